"""Isolated copies of the user's project. perfopt only ever writes into these.

The user's tree is read, never written, until `--apply` calls `writes.write_files` on the
accepted candidates. Every workspace is removed on exit, on error and on Ctrl-C; the CLI's
signal handler calls `cleanup_all()` for the ones still alive.

`run_folder` gives each command one folder in the system temp folder (`perfopt-run-PID-*`)
that holds every temporary of the run, perfopt's and its children's (tempfile.tempdir and
TMPDIR point there): removed whole when the command ends, by the CLI's watchdog when
perfopt is killed (perfopt.cli.guard), and otherwise by the next perfopt that starts
(its lock is free once every process of the run is gone).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from types import TracebackType

# kept here for the callers that import it from this module
from perfopt.verify.writes import atomic_write as atomic_write

# Folders never copied when the project is not a git work tree (tool caches, virtualenvs,
# build output). In a git tree .gitignore decides, plus the tool folders in _ALWAYS_SKIP
# (an un-ignored .venv would otherwise be copied for every candidate).
SKIP_DIRS = frozenset(
    {
        ".git",
        ".venv",
        "venv",
        "env",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "node_modules",
        "build",
        "dist",
        ".perfopt",
        ".hypothesis",
    }
)
_ALWAYS_SKIP = SKIP_DIRS - {"build", "dist", "env"}

_LIVE: set[Workspace] = set()
_LIVE_LOCK = threading.Lock()


def _skipped(name: str) -> bool:
    return name in SKIP_DIRS or name.endswith(".egg-info")


def _git_files(project: Path) -> list[str] | None:
    """Files git would keep (tracked + untracked-not-ignored), relative to `project`;
    None when `project` is not inside a git work tree or git is missing."""
    try:
        probe = subprocess.run(
            ["git", "-C", str(project), "rev-parse", "--is-inside-work-tree"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if probe.returncode != 0 or probe.stdout.strip() != "true":
            return None
        listed = subprocess.run(
            [
                "git",
                "-C",
                str(project),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if listed.returncode != 0:
        return None
    names = listed.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    return sorted({n for n in names if n})


def _copy_entry(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
    elif src.is_dir():  # a submodule: git lists it as one path
        shutil.copytree(src, dst, symlinks=True, ignore=_ignore_skipped)
    else:
        shutil.copy2(src, dst)


def _ignore_skipped(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if _skipped(n) and (Path(folder) / n).is_dir()}


def copy_project(project: Path, dest: Path) -> int:
    """Copy `project` into the new folder `dest`; returns the number of entries copied."""
    files = _git_files(project)
    if files is None:
        shutil.copytree(project, dest, symlinks=True, ignore=_ignore_skipped)
        return sum(1 for _ in dest.rglob("*"))
    dest.mkdir(parents=True)
    count = 0
    for rel in files:
        parts = PurePosixPath(rel).parts
        if any(p in _ALWAYS_SKIP for p in parts):
            continue
        src = project / rel
        if not src.exists() and not src.is_symlink():
            continue  # deleted in the work tree but still in the index
        _copy_entry(src, dest / rel)
        count += 1
    return count


class Workspace:
    """A temporary copy of a project. Use as a context manager, or call `cleanup()`."""

    def __init__(self, holder: Path, root: Path, prefix: str) -> None:
        self._holder = holder  # the temp dir we own; root is inside it
        self.root = root
        self.prefix = prefix
        with _LIVE_LOCK:
            _LIVE.add(self)

    @classmethod
    def create(cls, project: Path, prefix: str = "perfopt-") -> Workspace:
        project = Path(project).resolve()
        if not project.is_dir():
            raise NotADirectoryError(f"{project} is not a folder")
        holder = Path(tempfile.mkdtemp(prefix=prefix))
        # Keep the project's folder name: some tools (pytest rootdir, relative imports in
        # conftest) behave differently when it changes.
        root = holder / project.name
        try:
            copy_project(project, root)
        except BaseException:
            shutil.rmtree(holder, ignore_errors=True)
            raise
        return cls(holder, root, prefix)

    def clone(self, name: str) -> Workspace:
        """A fresh copy of this workspace (for one candidate)."""
        holder = Path(tempfile.mkdtemp(prefix=f"{self.prefix}{_safe(name)}-"))
        root = holder / self.root.name
        try:
            shutil.copytree(self.root, root, symlinks=True)
        except BaseException:
            shutil.rmtree(holder, ignore_errors=True)
            raise
        return Workspace(holder, root, self.prefix)

    def path(self, rel: str | Path) -> Path:
        """`rel` inside the workspace; refuses absolute paths and `..` escapes."""
        candidate = (self.root / rel).resolve()
        if not candidate.is_relative_to(self.root.resolve()):
            raise ValueError(f"{rel} is outside the workspace")
        return candidate

    def write(self, rel: str | Path, text: str) -> Path:
        target = self.path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        return target

    def read(self, rel: str | Path) -> str:
        with open(self.path(rel), encoding="utf-8", newline="") as handle:
            return handle.read()

    @property
    def alive(self) -> bool:
        return self._holder.exists()

    def cleanup(self) -> None:
        shutil.rmtree(self._holder, ignore_errors=True)
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def __enter__(self) -> Workspace:  # noqa: PYI034 - py3.10 has no typing.Self
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    def __repr__(self) -> str:
        return f"Workspace({self.root})"


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:40]


def cleanup_all() -> int:
    """Remove every workspace still alive (for the CLI's signal handler)."""
    with _LIVE_LOCK:
        alive = list(_LIVE)
    for ws in alive:
        ws.cleanup()
    return len(alive)


RUN_PREFIX = "perfopt-run-"
_RUN_NAME = re.compile(re.escape(RUN_PREFIX) + r"(?P<pid>\d+)-")
_RUN_LOCK = ".lock"  # flock'd for as long as a process of the run holds it open
_RUN_ACTIVE: list[Path] = []


@contextlib.contextmanager
def run_folder() -> Iterator[Path | None]:
    """One folder for every temporary of this run (module docstring). The stale ones of
    runs that were killed go first. None where the temp folder is not writable (then
    nothing is redirected, and the first temporary fails with its own message)."""
    if _RUN_ACTIVE:  # a command inside a command: one folder
        yield _RUN_ACTIVE[-1]
        return
    saved = tempfile.tempdir, os.environ.get("TMPDIR")
    parent = Path(tempfile.gettempdir())
    remove_stale_run_folders(parent)
    try:
        folder, lock = _new_run_folder(parent)
    except OSError:
        yield None
        return
    tempfile.tempdir = os.environ["TMPDIR"] = str(folder)
    _RUN_ACTIVE.append(folder)
    try:
        yield folder
    finally:
        _RUN_ACTIVE.remove(folder)
        tempfile.tempdir = saved[0]
        if saved[1] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[1]
        shutil.rmtree(folder, ignore_errors=True)
        os.close(lock)


def _new_run_folder(parent: Path) -> tuple[Path, int]:
    """The folder and its held lock. The lock file is locked before it gets its name, so
    another perfopt never sees it free while this one lives."""
    folder = Path(tempfile.mkdtemp(prefix=f"{RUN_PREFIX}{os.getpid()}-", dir=parent))
    try:
        lock = os.open(folder / f"{_RUN_LOCK}.new", os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        try:
            _flock(lock)
            os.rename(folder / f"{_RUN_LOCK}.new", folder / _RUN_LOCK)
        except BaseException:
            os.close(lock)
            raise
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder, lock


def _flock(fd: int) -> bool | None:
    """Take the lock on `fd` without waiting; False when another process holds it, None
    where there is no flock (Windows: the PID in the folder's name decides)."""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def remove_stale_run_folders(parent: Path) -> list[Path]:
    """Remove the run folders in `parent` whose run is over: their lock is free, or
    (killed before it was taken) their PID is gone. Other users' folders stay."""
    from perfopt.verify.writes import pid_alive

    removed: list[Path] = []
    try:
        entries = [e for e in os.scandir(parent) if e.name.startswith(RUN_PREFIX)]
    except OSError:
        return removed
    for entry in entries:
        match = _RUN_NAME.match(entry.name)
        if (match is None or not entry.is_dir(follow_symlinks=False)
                or int(match.group("pid")) == os.getpid()):
            continue
        try:
            lock = os.open(Path(entry.path) / _RUN_LOCK,
                           os.O_RDWR | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            if not pid_alive(match.group("pid")):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
            continue
        except OSError:  # another user's, or not ours to judge
            continue
        try:
            free = _flock(lock)
            if free or (free is None and not pid_alive(match.group("pid"))):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
        finally:
            os.close(lock)
    return removed
