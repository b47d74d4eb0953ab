"""Which files' code must never leave the machine for a model."""

from __future__ import annotations

import fnmatch
import subprocess
from pathlib import Path

# Names that usually hold secrets, matched case-insensitively against every path part.
SECRET_PATTERNS = (".env*", "*.pem", "*.key", "id_rsa*", "*secret*", "credentials*")


def looks_secret(path: Path) -> bool:
    return any(
        fnmatch.fnmatch(part.lower(), pattern) for part in path.parts for pattern in SECRET_PATTERNS
    )


def is_private(path: Path, project: Path) -> bool:
    """True when `path` is git-ignored in `project` or has a secret-looking name."""
    project = Path(project).resolve()
    path = Path(path)
    full = (path if path.is_absolute() else project / path).resolve()
    try:
        rel = full.relative_to(project)
    except ValueError:
        rel = Path(full.name)
    if looks_secret(rel):
        return True
    try:
        done = subprocess.run(
            ["git", "-C", str(project), "check-ignore", "-q", "--", str(full)],
            capture_output=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False  # no git: only the name rules apply
    # 0 = ignored, 1 = not ignored, 128 = not a repository (or git failed)
    return done.returncode == 0
