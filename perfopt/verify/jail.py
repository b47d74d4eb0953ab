"""Confinement of the processes that run candidate or model-written code.

perfopt runs code a model wrote on the user's machine, so every process that runs a
candidate, a model's stress generator, or unpickles inputs such a generator wrote goes
into a `Jail` (`sandbox.run(..., jail=...)`). Three levels (setting `sandbox`, flag
`--sandbox`; `auto` is strict where it works here, else basic with one warning):

- strict: bubblewrap (bwrap). Own user, network, PID, IPC, UTS and cgroup namespaces: no
  network at all (a connect to 127.0.0.1 is refused), and every descendant, setsid or
  not, dies when the run ends (the namespace's init goes, and --die-with-parent ties it
  to perfopt). The whole filesystem is read-only except the jail's `writable` paths and
  a private scratch folder (HOME and TMPDIR); /run (daemon sockets: docker, dbus), the
  X11 and ssh-agent sockets and the usual credential files in HOME are hidden; /proc
  shows only the jail's processes; no capabilities, a new session (no TIOCSTI).
- basic: no namespaces. The environment allowlist, the private HOME/TMPDIR, memory and
  core limits, and the process-group kill. The network and the filesystem are open, and
  a descendant that calls setsid leaves the group and can outlive the run.
- off: as before jails: the parent's environment less names that look like credentials.

At strict and basic the environment is built from an allowlist, never the parent's
whole environment: PATH, LANG, LC_*, TZ, TERM, SYSTEMROOT, the PYTHON* variables perfopt
sets, what the calling code set itself, and the names or patterns of setting `pass_env`.

Why not a tmpfs over /tmp: perfopt's workspaces and scratch, a test's tmp_path and often
the virtual environment itself live there; the jail would have to list every path a run
reads. A read-only /tmp with a private TMPDIR keeps what is read visible and nothing
writable. Measured costs: bench/sandbox_overhead.py (docs/architecture.md, Containment).
"""

from __future__ import annotations

import fnmatch
import functools
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from perfopt.errors import SandboxError, UserError

if TYPE_CHECKING:
    from perfopt.config import Settings

STRICT, BASIC, OFF, AUTO = "strict", "basic", "off", "auto"
LEVELS = (AUTO, STRICT, BASIC, OFF)

# What a jailed process gets from perfopt's environment, besides `pass_env` and what the
# calling code set itself. HOME and TMPDIR point into the jail's private scratch.
ALLOWED_ENV = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM", "SYSTEMROOT", "PYTHONPATH",
               "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING", "PYTHONUTF8",
               "PYTHONUNBUFFERED")
ALLOWED_ENV_PREFIXES = ("LC_",)

# Hidden at strict: the user's credentials in HOME (files and folders, where they exist).
CREDENTIALS = (".ssh", ".aws", ".azure", ".gnupg", ".docker", ".kube", ".netrc", ".pypirc",
               ".git-credentials", ".npmrc", ".config/gh", ".config/gcloud", ".password-store")
# Hidden at strict: folders of daemon and agent sockets (a read-only mount does not stop a
# connect to a Unix socket: docker.sock would be root on the host).
SOCKET_DIRS = ("/run", "/var/run", "/tmp/.X11-unix", "/tmp/.ICE-unix")

# Device nodes a GPU needs, kept in the strict jail's private /dev (NVIDIA, AMD, DRM).
GPU_DEVICES = ("/dev/nvidia*", "/dev/kfd", "/dev/dri")

TRIAL_TIMEOUT_S = 20.0  # the one trial run of bwrap, on a loaded machine
INSTALL_HINT = "install bubblewrap (apt install bubblewrap) or pass --sandbox basic"
MISSING_AT_BASIC = ("no network namespace (candidate code can open connections), "
                    "the filesystem writable, descendants that call setsid outlive the run, "
                    "other processes and your files readable")


@dataclass(frozen=True)
class Jail:
    """What an untrusted process may touch: `level` (strict, basic or off: resolved, never
    auto), the paths it may write (its workspace, its scratch) besides its private
    HOME/TMPDIR, and the environment names or glob patterns the user lets through."""

    level: str = STRICT
    writable: tuple[str, ...] = ()
    pass_env: tuple[str, ...] = ()

    def allowing(self, *paths: Path | str) -> Jail:
        """The same jail, with `paths` writable too."""
        return replace(self, writable=self.writable + tuple(str(p) for p in paths))

    @property
    def confines(self) -> bool:
        return self.level != OFF


def jail_for(settings: Settings, *writable: Path | str) -> Jail:
    """The jail `settings` ask for (setting `sandbox`, auto resolved), with `writable`."""
    return Jail(resolve(settings.sandbox), tuple(str(p) for p in writable), settings.pass_env)


@dataclass(frozen=True)
class Support:
    """Whether strict confinement works here: the bwrap found, or why not."""

    bwrap: str | None
    problem: str = ""


@functools.cache
def support() -> Support:
    """bwrap present and a trial run in the strict jail works (detected once per process)."""
    if not sys.platform.startswith("linux"):
        return Support(None, f"no bubblewrap on {sys.platform} (Linux only)")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return Support(None, "bubblewrap (bwrap) is not installed")
    true = shutil.which("true") or "/bin/true"
    try:
        proc = subprocess.run([bwrap, *_namespaces(), "--chdir", "/", "--", true],
                              capture_output=True, timeout=TRIAL_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Support(None, f"bwrap does not start: {exc}")
    if proc.returncode != 0:
        why = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        return Support(None, f"bwrap cannot create namespaces here ({why[0][:160]})")
    return Support(bwrap)


def resolve(setting: str) -> str:
    """`auto` -> strict where it works here, else basic; any other level as it is."""
    if setting == AUTO:
        return STRICT if support().bwrap else BASIC
    return setting


def announce(setting: str) -> str | None:
    """The one line a run starts with when candidate code is not fully confined (None at
    strict). Strict asked for where it cannot work is a UserError: it never degrades."""
    level = resolve(setting)
    found = support()
    if level == STRICT and found.bwrap is None:
        raise UserError(f"--sandbox strict cannot confine candidate code here: "
                        f"{found.problem}; {INSTALL_HINT}")
    if level == BASIC:
        why = found.problem if found.bwrap is None else "as set"
        fix = ("install bubblewrap (apt install bubblewrap) for --sandbox strict"
               if found.bwrap is None else "pass --sandbox strict to confine them")
        return (f"sandbox basic ({why}): candidate and model code run with {MISSING_AT_BASIC};"
                f" only the environment allowlist, memory limits and the process-group kill "
                f"hold; {fix}")
    if level == OFF:
        return ("sandbox off: candidate and model code run unconfined, with your network, "
                "files and environment (less names that look like credentials); pass "
                "--sandbox strict or basic")
    return None


def environment(jail: Jail, given: Mapping[str, str], scratch: Path,
                parent: Mapping[str, str] | None = None) -> dict[str, str]:
    """A jailed process's environment: from `given` (what the caller built) the allowlisted
    names and those the caller set itself (absent from perfopt's environment `parent`, or
    another value there); `pass_env` names from `parent`; HOME and TMPDIR in `scratch`."""
    parent = os.environ if parent is None else parent
    env = {name: value for name, value in given.items()
           if name in ALLOWED_ENV or name.startswith(ALLOWED_ENV_PREFIXES)
           or parent.get(name) != value}
    env["HOME"] = str(scratch / "home")
    env["TMPDIR"] = str(scratch / "tmp")
    for name, value in parent.items():
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in jail.pass_env):
            env[name] = value
    return env


def make_scratch() -> Path:
    """A private HOME and TMPDIR for one jailed process (the caller removes it)."""
    scratch = Path(tempfile.mkdtemp(prefix="perfopt-jail-"))
    (scratch / "home").mkdir()
    (scratch / "tmp").mkdir()
    return scratch


def _namespaces() -> list[str]:
    return ["--die-with-parent", "--unshare-all", "--unshare-user", "--cap-drop", "ALL",
            "--new-session", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]


def _devices() -> list[str]:
    """bwrap options that keep the GPUs in the jail's /dev (--dev makes a minimal one):
    a GPU candidate is timed on its GPU (bench/gpu.py)."""
    args: list[str] = []
    for pattern in GPU_DEVICES:
        for path in sorted(glob.glob(pattern)):
            args += ["--dev-bind", path, path]
    return args


def _hidden(home: str | None, env: Mapping[str, str], keep: Sequence[str]) -> list[str]:
    """bwrap options that hide socket folders and credentials: an empty tmpfs over a
    folder, /dev/null over a file. A folder holding one of `keep` (the temp folder, the
    working folder: where perfopt's workspaces are read) stays."""
    paths = list(SOCKET_DIRS)
    agent = env.get("SSH_AUTH_SOCK")
    if agent:
        paths.append(str(Path(agent).parent))
    if home:
        paths += [str(Path(home) / rel) for rel in CREDENTIALS]
    args: list[str] = []
    for path in dict.fromkeys(paths):
        if (os.path.islink(path) or not os.path.exists(path) or path in ("/", "/tmp")
                or any(k == path or k.startswith(path + os.sep) for k in keep)):
            continue
        args += ["--tmpfs", path] if os.path.isdir(path) else ["--ro-bind", "/dev/null", path]
    return args


def bwrap_command(jail: Jail, cmd: Sequence[str], cwd: Path | str,
                  scratch: Path) -> list[str]:
    """`cmd` wrapped in the strict jail: read-only everything, `jail.writable` and
    `scratch` writable, sockets and credentials hidden, new namespaces."""
    found = support()
    if found.bwrap is None:
        raise SandboxError(f"the strict sandbox is unavailable: {found.problem}; "
                           f"{INSTALL_HINT}")
    binds: list[str] = []
    for path in (*jail.writable, str(scratch)):
        real = os.path.realpath(path)
        if not os.path.isdir(real) and not os.path.isfile(real):
            raise SandboxError(f"a jail's writable path does not exist: {path}")
        binds += ["--bind", real, real]
    keep = (os.path.realpath(tempfile.gettempdir()), os.path.realpath(cwd))
    return [found.bwrap, *_namespaces(), *_devices(),
            *_hidden(os.environ.get("HOME"), os.environ, keep), *binds,
            "--chdir", os.path.realpath(cwd), "--", *cmd]
