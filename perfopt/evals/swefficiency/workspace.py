"""An instance's trees on disk: the pre-edit source (from a PyPI sdist or a local git
mirror), copies with a patch applied, and the patching itself.

Layout under the work folder, per instance:
    <work>/<instance_id>/pre/      pre-edit tree (kept between runs; `.perfopt-ready` marks it)
    <work>/<instance_id>/expert/   pre + the expert patch
    <work>/<instance_id>/<name>/   pre + a candidate patch (rebuilt every run)
    <work>/<instance_id>/venv/     see venvs.py
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from perfopt.errors import UserError
from perfopt.evals.swefficiency.instances import Instance, SdistSpec

READY = ".perfopt-ready"
PIP_TIMEOUT_S = 600.0
GIT_TIMEOUT_S = 600.0
PATCH_TIMEOUT_S = 120.0
SOURCES = ("pypi-sdist", "git")


@dataclass(frozen=True)
class PatchResult:
    ok: bool
    tool: str  # "git apply", "patch", or "" when nothing ran
    output: str


def default_cache() -> Path:
    return Path.home() / ".cache" / "perfopt" / "sdists"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _run(cmd: list[str], cwd: Path, timeout_s: float, stdin: str | None = None) -> tuple[int, str]:
    """A trusted helper command (pip, git, patch): these run our inputs, not candidate code."""
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=timeout_s
        )
    except subprocess.TimeoutExpired:
        return -9, f"{cmd[0]} ran longer than {timeout_s:.0f} s"
    except OSError as exc:
        return -1, f"cannot run {cmd[0]}: {exc}"
    return proc.returncode, (proc.stdout + proc.stderr)[-4000:]


def fetch_sdist(spec: SdistSpec, cache: Path, pip_python: str) -> Path:
    """The sdist archive of `spec.release`, downloaded once into `cache`, sha256-checked."""
    cache.mkdir(parents=True, exist_ok=True)
    archive = _cached_archive(spec, cache)
    if archive is None:
        cmd = [pip_python, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "--disable-pip-version-check", "-q", spec.release, "-d", str(cache)]
        code, out = _run(cmd, cache, PIP_TIMEOUT_S)
        archive = _cached_archive(spec, cache)
        if code != 0 or archive is None:
            raise UserError(
                f"cannot download the sdist of {spec.release} (pip exit {code}): "
                f"{out.strip()[-300:]}; check the network to PyPI or put the archive in {cache}"
            )
    actual = sha256_of(archive)
    if actual != spec.sha256:
        raise UserError(
            f"{archive} has sha256 {actual}, the instance expects {spec.sha256}; "
            "delete the file and run again"
        )
    return archive


def _cached_archive(spec: SdistSpec, cache: Path) -> Path | None:
    names = [spec.sdist_file] if spec.sdist_file else []
    for ext in (".tar.gz", ".zip", ".tar.bz2"):
        names.append(f"{spec.package}-{spec.version}{ext}")
        names.append(f"{spec.package.replace('-', '_')}-{spec.version}{ext}")
    for name in names:
        if name and (cache / name).is_file():
            return cache / name
    return None


def unpack(archive: Path, dest: Path) -> Path:
    """Unpack an sdist into `dest` (replaced) and return the tree root inside the archive."""
    if dest.exists():
        shutil.rmtree(dest)
    staging = dest.with_name(dest.name + ".unpack")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(staging)
    else:
        with tarfile.open(archive) as tf:
            # The "data" filter refuses absolute paths and links out of the tree.
            if hasattr(tarfile, "data_filter"):
                tf.extractall(staging, filter="data")
            else:  # pragma: no cover - Python without PEP 706
                tf.extractall(staging)  # noqa: S202
    entries = list(staging.iterdir())
    root = entries[0] if len(entries) == 1 and entries[0].is_dir() else staging
    root.rename(dest)
    shutil.rmtree(staging, ignore_errors=True)
    return dest


def apply_patch(tree: Path, patch: str, reverse: bool = False) -> PatchResult:
    """Apply `patch` to `tree` as the official harness does: `git apply` in a git tree, then
    `patch -p1 --fuzz=5` as the fallback. A dry run comes first so a failed patch leaves the
    tree untouched.

    `git apply` is not used outside a git tree: run in a folder nested in some other
    repository it silently skips every path outside that folder.
    """
    if not patch.strip():
        return PatchResult(True, "", "empty patch")
    if (tree / ".git").exists():
        flags = ["-R"] if reverse else []
        code, out = _run(["git", "apply", "--check", *flags, "-"], tree, PATCH_TIMEOUT_S, patch)
        if code == 0:
            code, out = _run(["git", "apply", *flags, "-"], tree, PATCH_TIMEOUT_S, patch)
            if code == 0:
                return PatchResult(True, "git apply", out)
    # --forward: without it, --batch "helpfully" reverses an already applied patch.
    base = ["patch", "-p1", "--batch", "--forward", "--fuzz=5", "--no-backup-if-mismatch",
            "--reject-file=-"]
    if reverse:
        base.append("-R")
    code, out = _run([*base, "--dry-run"], tree, PATCH_TIMEOUT_S, patch)
    if code != 0:
        return PatchResult(False, "patch", out)
    code, out = _run(base, tree, PATCH_TIMEOUT_S, patch)
    return PatchResult(code == 0, "patch", out)


def copy_tree(src: Path, dest: Path) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    (dest / READY).unlink(missing_ok=True)
    return dest


def prepare_pre_tree(
    instance: Instance,
    root: Path,
    source: str,
    *,
    cache: Path,
    repos: Path | None,
    pip_python: str,
) -> Path:
    """The pre-edit tree of `instance` under `root` (built once; reused when marked ready)."""
    pre = root / "pre"
    if (pre / READY).is_file():
        return pre
    if source == "pypi-sdist":
        if instance.sdist is None:
            raise UserError(
                f"{instance.instance_id} has no '_pypi_sdist' entry; use --source git with "
                "--repos DIR holding a mirror of the repository"
            )
        archive = fetch_sdist(instance.sdist, cache, pip_python)
        unpack(archive, pre)
        if instance.sdist.mode == "reverse":
            result = apply_patch(pre, instance.patch, reverse=True)
            if not result.ok:
                raise UserError(
                    f"{instance.instance_id}: reversing the expert patch on "
                    f"{instance.sdist.release} failed: {result.output.strip()[-300:]}"
                )
    elif source == "git":
        clone_at(instance, repos, pre)
    else:
        raise UserError(f"unknown source '{source}'; use one of {', '.join(SOURCES)}")
    (pre / READY).write_text(instance.instance_id + "\n", encoding="utf-8")
    return pre


def clone_at(instance: Instance, repos: Path | None, dest: Path) -> Path:
    """Clone the local mirror `<repos>/<owner>__<name>` into `dest` at the base commit."""
    if repos is None:
        raise UserError("--source git needs --repos DIR (a folder of <owner>__<name> mirrors)")
    mirror = repos / instance.mirror_name
    if not mirror.exists():
        raise UserError(f"no mirror of {instance.repo} at {mirror}; clone it there first")
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # --no-checkout + checkout of the commit: works for bare and non-bare mirrors alike,
    # and --shared avoids copying the object store of a large repository.
    code, out = _run(["git", "clone", "-q", "--shared", "--no-checkout", str(mirror), str(dest)],
                     dest.parent, GIT_TIMEOUT_S)
    if code != 0:
        raise UserError(f"git clone of {mirror} failed: {out.strip()[-300:]}")
    code, out = _run(["git", "-c", "advice.detachedHead=false", "checkout", "-q",
                      instance.base_commit], dest, GIT_TIMEOUT_S)
    if code != 0:
        raise UserError(
            f"{mirror} has no commit {instance.base_commit} ({out.strip()[-200:]}); "
            "fetch it into the mirror"
        )
    return dest


def patched_tree(pre: Path, dest: Path, patch: str) -> tuple[Path, PatchResult]:
    """A fresh copy of `pre` at `dest` with `patch` applied."""
    copy_tree(pre, dest)
    return dest, apply_patch(dest, patch)
