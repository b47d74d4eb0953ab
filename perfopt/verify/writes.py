"""How perfopt writes files: the user's (`--apply`) and the outputs it was asked for
(`--patch`, `--markdown`, `--sarif`).

Every write replaces the file in one step (new text in a temporary file, fsynced, renamed
over the old name) and strands nothing in the user's tree when the process dies half way.
On Linux the temporary is an O_TMPFILE: it has no name while it is written and fsynced
(the slow part), so a SIGKILL frees it with the process; it is linked under a name only
to be renamed, a few system calls apart. Where O_TMPFILE is missing (another OS, a
filesystem without it) the temporary is named from the start. Either way a name that a
kill could strand is `.NAME.PID.XXXXXXXX.perfopt-tmp`, and `remove_stale_temps` deletes
such files at the next start once their writer is gone. A temporary outside the tree was
not chosen: a rename must stay on one filesystem, and the system temp folder is often
another one (tmpfs), so there is no such place in general.

An apply of several files (`write_files`) stages them all first, then names every
temporary, then renames them back to back with Ctrl-C held: an error or Ctrl-C before
the renames changes no file, Ctrl-C during them waits for the last. Only a SIGKILL (or a
power cut) in the microseconds between two renames leaves some files new and the others
old, each file whole either way.

`check_output` and `check_project` run before any work and refuse, in one line that says
what to do, a path that could not be written at the end; they create nothing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from perfopt.errors import UserError

TEMP_SUFFIX = ".perfopt-tmp"
# .NAME.PID.XXXXXXXX.perfopt-tmp; without PID: the name earlier perfopt versions used
_TEMP_NAME = re.compile(r"^\.(?P<name>.+?)\.(?:(?P<pid>\d+)\.)?[a-z0-9_]{8}"
                        + re.escape(TEMP_SUFFIX) + "$")
# O_TMPFILE unsupported: EISDIR (kernels before 3.11 read it as O_DIRECTORY), EOPNOTSUPP
# (the filesystem), EINVAL
_NO_TMPFILE = {errno.EISDIR, errno.EOPNOTSUPP, errno.EINVAL}
_PROC_FD = "/proc/self/fd"

_APPLIED: list[Path] = []  # files `write_files` replaced in this process (for Ctrl-C's message)
# Told each temporary's path before it gets that name: the CLI passes it to its watchdog,
# which removes it if perfopt is killed before the rename (perfopt.cli.guard).
_NAMING: list[Callable[[Path], None]] = []


@dataclass
class _Staged:
    """New content on disk, not yet in place: an open nameless O_TMPFILE (`fd`), or a
    named temporary (`tmp`)."""

    path: Path
    fd: int | None = None
    tmp: Path | None = None


def atomic_write(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8, newlines as given) in one step, keeping the file's
    permission bits. A crash leaves the old file or the new one, and no temporary."""
    staged = _stage(Path(path), text)
    try:
        _commit([staged])
    except _CommitError as exc:
        raise exc.cause from None
    finally:
        _discard(staged)


def write_files(files: Sequence[tuple[Path, str]]) -> list[Path]:
    """Write several files for `--apply`. Every new text is staged (written and fsynced)
    before anything is renamed, then each gets its temporary name, then the renames run
    back to back: a full disk or a failing write changes nothing, and Ctrl-C during the
    renames takes effect after the last one. A SIGKILL can still fall between two renames
    (microseconds): then the files are part old, part new, each one whole. Returns the
    paths written; a failure is one line."""
    staged: list[_Staged] = []
    try:
        for path, text in files:
            try:
                staged.append(_stage(Path(path), text))
            except OSError as exc:
                raise _CommitError(Path(path), exc, []) from exc
        with _sigint_deferred():
            return _commit(staged, record=_APPLIED)
    except _CommitError as exc:
        done = exc.done
        written = (f"{len(done)} of {len(files)} files were written before it: "
                   f"{', '.join(map(str, done))}" if done else "no file was changed")
        raise UserError(f"--apply: could not write {exc.path}: "
                        f"{exc.cause.strerror or exc.cause} ({written}); fix that and rerun "
                        "perfopt") from None
    finally:
        for one in staged:
            _discard(one)


def report_temp_names(callback: Callable[[Path], None] | None) -> None:
    """Have `callback` told each temporary's path before it is created under that name
    (None: no longer)."""
    _NAMING[:] = [callback] if callback is not None else []


def _announce(path: Path) -> None:
    for callback in _NAMING:
        callback(path)


def applied_paths() -> tuple[Path, ...]:
    return tuple(_APPLIED)


def forget_applied() -> None:
    _APPLIED.clear()


def write_output(path: Path, text: str, flag: str) -> None:
    """`atomic_write` for an output the user named; a failure is one line, not a traceback
    (the start-up check passed, so the folder changed during the run)."""
    try:
        atomic_write(path, text)
    except OSError as exc:
        raise UserError(f"could not write {flag} {path}: {exc.strerror or exc}; "
                        "choose a writable path and rerun") from None


def _stage(path: Path, text: str) -> _Staged:
    data = text.encode("utf-8")
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else None
    staged = _Staged(path)
    try:
        staged.fd = _open_tmpfile(path.parent)
        if staged.fd is None:
            fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.",
                                        suffix=TEMP_SUFFIX)
            staged.tmp = Path(name)
            _announce(staged.tmp.absolute())  # named from the start: a kill strands it
        else:
            fd = os.dup(staged.fd)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
    except BaseException:
        _discard(staged)
        raise
    return staged


def _open_tmpfile(folder: Path) -> int | None:
    """A nameless file in `folder`, or None where the system has none."""
    if not hasattr(os, "O_TMPFILE") or not os.path.isdir(_PROC_FD):
        return None
    try:  # 0o666: the umask applies, as for any new file
        return os.open(folder, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        if exc.errno in _NO_TMPFILE:
            return None
        raise


class _CommitError(Exception):
    """Writing `path` failed (`cause`) after the files `done` were renamed."""

    def __init__(self, path: Path, cause: OSError, done: list[Path]) -> None:
        super().__init__(str(cause))
        self.path, self.cause, self.done = path, cause, done


def _commit(staged: Sequence[_Staged], record: list[Path] | None = None) -> list[Path]:
    """Put the staged files in place: their folders opened and every temporary named
    first (a failure there changes nothing), then the renames back to back, then one fsync
    per folder. Returns the paths renamed, each also appended to `record`."""
    done: list[Path] = []
    folders: dict[Path, int] = {}
    current = staged[0].path if staged else Path()
    try:
        for one in staged:
            current = one.path
            if one.path.parent not in folders:
                folders[one.path.parent] = os.open(one.path.parent,
                                                   os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            if one.fd is not None:
                one.tmp = _link(one.fd, folders[one.path.parent], one.path)
        for one in staged:
            current = one.path
            assert one.tmp is not None
            folder = folders[one.path.parent]
            os.replace(one.tmp.name, one.path.name, src_dir_fd=folder, dst_dir_fd=folder)
            one.tmp = None
            done.append(one.path)
            if record is not None:
                record.append(one.path)
    except OSError as exc:
        raise _CommitError(current, exc, done) from exc
    finally:
        for folder in folders.values():
            with contextlib.suppress(OSError):  # the renames themselves survive a power cut
                os.fsync(folder)
            os.close(folder)
    return done


def _link(fd: int, folder: int, path: Path) -> Path:
    """Give the O_TMPFILE `fd` a temporary name beside `path` (`folder` is its folder,
    open; linkat through /proc: an O_TMPFILE cannot be linked over an existing name, so
    it is renamed next). The name is announced first (`report_temp_names`)."""
    name = path.name
    proc = os.open(_PROC_FD, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for _ in range(100):
            tmp = f".{name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
            _announce(path.parent.absolute() / tmp)
            try:
                os.link(str(fd), tmp, src_dir_fd=proc, dst_dir_fd=folder, follow_symlinks=True)
            except FileExistsError:
                continue
            return Path(tmp)
    finally:
        os.close(proc)
    raise FileExistsError(errno.EEXIST, "no free temporary name", name)


def _discard(staged: _Staged) -> None:
    if staged.fd is not None:
        os.close(staged.fd)
        staged.fd = None
    if staged.tmp is not None:
        with contextlib.suppress(FileNotFoundError):
            (staged.path.parent / staged.tmp.name).unlink()
        staged.tmp = None


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C until the block ends (then deliver it), so an apply is not cut between
    two files. Only the main thread can swap the handler; elsewhere nothing is held."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield
        return
    caught: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            signal.raise_signal(signal.SIGINT)


def remove_stale_temps(folders: Iterable[Path]) -> list[Path]:
    """Delete the temporaries an earlier perfopt, killed while writing, left in `folders`
    (not recursive): regular files named exactly as perfopt names them whose writing
    process is gone. Returns what was removed."""
    removed = []
    for folder in sorted(set(folders)):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            match = _TEMP_NAME.match(entry.name)
            if (match is None or not entry.is_file(follow_symlinks=False)
                    or pid_alive(match.group("pid"))):
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def pid_alive(pid: str | None) -> bool:
    """Whether process `pid` may still be running (None: no PID known, so no)."""
    if pid is None:
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def check_output(path: Path, flag: str, example: str) -> None:
    """Refuse, before any work, an output file that could not be written at the end: a
    folder, a missing or unwritable folder, a read-only or special file."""
    path = Path(path)
    where = f"{flag} {path}"
    if path.is_dir():
        raise UserError(f"{where} is a folder; give a file path, e.g. {flag} {path / example}")
    folder = path.absolute().parent
    if not folder.exists():
        raise UserError(f"{where}: the folder {folder} does not exist; create it or choose "
                        "another path")
    if not folder.is_dir():
        raise UserError(f"{where}: {folder} is not a folder; choose another path")
    if not _can_write(folder):
        raise UserError(f"{where}: cannot write into {folder} (permission denied); choose a "
                        "writable folder")
    if path.exists() and not path.is_file():
        raise UserError(f"{where} is not a regular file; give a file path")
    if path.exists() and not _can_write(path):
        raise UserError(f"{where} is read-only; make it writable (chmod u+w) or choose "
                        "another path")


def check_project(root: Path, files: Iterable[str]) -> None:
    """Refuse `--apply`, before any work, when the project or one of the files it could
    write (`files`, relative to `root`) cannot be written."""
    advice = ("make the project writable (chmod -R u+w) or run without --apply "
              "(--patch FILE saves the changes as a diff)")
    if not _can_write(root):
        raise UserError(f"--apply: cannot write into {root}; {advice}")
    blocked = [rel for rel in files
               if not _can_write((root / rel).parent)
               or ((root / rel).exists() and not _can_write(root / rel))]
    if blocked:
        more = f" (and {len(blocked) - 1} more)" if len(blocked) > 1 else ""
        raise UserError(f"--apply: {root / blocked[0]} is read-only{more}; {advice}")


def _can_write(path: Path) -> bool:
    need = os.W_OK | (os.X_OK if path.is_dir() else 0)
    return os.access(path, need, effective_ids=os.access in os.supports_effective_ids)
