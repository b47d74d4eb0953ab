"""Interrupting `perfopt optimize --apply` with SIGINT or SIGKILL at random points.

    .venv/bin/python bench/interrupts.py --out bench/results/interrupts.txt  # 100
    .venv/bin/python bench/interrupts.py --trials 10 --seed 2               # a quick check

Every run works on a fresh copy of datasets/demo made a git repository (so `git status`
lists changed and stray files) with fast settings in its [tool.perfopt] table (one
hotspot, 1 s of stress, 3 s of measuring), and its own TMPDIR outside the copy. The
command is `perfopt optimize COPY/shop/stats.py --apply --patch RUN/run.diff --quiet`, run
from a copy of perfopt's code taken when the bench starts (`snapshot`). A first,
uninterrupted run is the reference: how long a run takes and when its apply begins.

Each trial draws SIGINT (to the process group, as Ctrl-C in a terminal) or SIGKILL (to
perfopt alone, as the OOM killer) and a point: a random delay within a run's length (the
median of the last five complete runs, the reference first), or, in `--apply-share` of
the trials, the moment the apply begins (the bench polls /proc/PID/fd for perfopt's
temporary in the project: a nameless O_TMPFILE shows as `#INODE (deleted)`, a named one
as `*.perfopt-tmp`). A signal that finds the run over is
no interrupt: that run is listed apart (it must have ended with exit 0 and its complete
apply) and the bench draws again, until `--trials` signals have reached a running perfopt.

What a trial checks, once the run has ended:
- each project file is its original text or exactly the text the run's own --patch gives
  (perfopt writes the patch, outside the project, before it applies: the patch says what
  a complete apply writes, whichever candidate won); anything else is "changed or
  half-written";
- `git status` names nothing but files of that patch (else "stray");
- the exit status: 130 after SIGINT, -9 after SIGKILL; a SIGINT that came before
  perfopt's Ctrl-C handler was in place (the interpreter's start-up and the imports:
  Python's default, `Trial.at_startup`) is counted apart;
- after SIGINT, perfopt's last line tells the truth about the files;
- the processes of the run still alive 3 s after it ended (the bench is their child
  subreaper, so orphans come to it; they are named, then killed);
- the entries left in the trial's TMPDIR (outside the project), and, where there are any,
  whether the next perfopt to start (one that fails at once on a bad --patch path)
  removes them.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import io
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "datasets" / "demo"
FAST = {"top": "1", "stress_budget_s": "1.0", "measure_budget_s": "3.0", "rounds": "3",
        "max_captures": "5"}
# PATH names one file of the project: its functions are the targets.
TARGET = "shop/stats.py"
TEMP_SUFFIX = ".perfopt-tmp"
WAIT_EXIT_S = 120.0  # after SIGINT: perfopt stops its children and removes its workspaces
DRAIN_S = 3.0  # how long a run's processes may take to go once perfopt has ended
UNCHANGED = "your files were not changed"


@dataclass
class Trial:
    number: int
    signal: str  # SIGINT, SIGKILL or none (the reference)
    mode: str  # random, apply
    at_s: float | None = None  # when the signal was sent; None: the run had ended
    length_s: float | None = None  # a run that ended before its signal: how long it took
    during_apply: bool = False
    seen: str = ""  # the temporary the apply had open, as /proc showed it
    exit: int | None = None
    patch_files: int = 0  # files the run's --patch changes (0: no patch written yet)
    changed: list[str] = field(default_factory=list)  # neither original nor the patch's text
    applied: list[str] = field(default_factory=list)  # the patch's text
    stray: list[str] = field(default_factory=list)
    procs_left: list[str] = field(default_factory=list)
    temp_names: list[str] = field(default_factory=list)
    temps_after_next_start: int | None = None  # None: nothing was left to remove
    hung: bool = False
    message: str = ""  # perfopt's last line on stderr
    stderr: str = ""
    message_ok: bool = True

    @property
    def interrupted(self) -> bool:
        return self.at_s is not None

    @property
    def at_startup(self) -> bool:
        """SIGINT before perfopt's Ctrl-C handler was in place (the interpreter's start-up
        and the imports), so Python's default met it: killed with nothing printed (-2),
        its "KeyboardInterrupt" traceback (-2, or 1 inside the interpreter's own start-up),
        130 with nothing printed, or the interrupt dropped with "Exception ignored" (an
        import's callback) and the run went on. perfopt's handler always prints a line, and
        a traceback through perfopt's `main` is no start-up."""
        if (self.signal != "SIGINT" or not self.interrupted
                or re.search(r'perfopt/cli/(guard|__init__)\.py", line \d+, in (main|wrapper)',
                             self.stderr)):
            return False
        if self.exit in (-2, 1, 130):
            return self.message in ("", "KeyboardInterrupt")
        return "Exception ignored" in self.stderr and "KeyboardInterrupt" in self.stderr

    @property
    def cut_between_files(self) -> bool:
        """Some files of the patch new, others old (each whole): a SIGKILL between renames."""
        return 0 < len(self.applied) < self.patch_files

    @property
    def exit_ok(self) -> bool:
        if self.hung:
            return False
        if not self.interrupted:  # the run ended first: a complete, successful run
            return self.exit == 0 and len(self.applied) == self.patch_files
        expected = {"SIGINT": 130, "SIGKILL": -9}[self.signal]
        return self.exit == expected or self.at_startup

    def line(self) -> str:
        at = f"{self.at_s:6.2f} s" if self.at_s is not None else "  ended "
        where = "apply" if self.during_apply else self.mode
        text = (f"#{self.number:3d} {self.signal:7s} at {at} ({where:6s}) exit {self.exit!s:>4}"
                f"  applied {len(self.applied)}/{self.patch_files}"
                f"  changed/half {len(self.changed)}  stray {len(self.stray)}"
                f"  procs left {len(self.procs_left)}  temp left outside {len(self.temp_names)}")
        if self.temps_after_next_start is not None:
            text += f" (after the next start {self.temps_after_next_start})"
        if self.signal == "SIGINT" and self.temp_names:
            text += f" {self.temp_names[:3]}"
        notes = [("(start-up)", self.at_startup),
                 ("(ended before the signal)", not self.interrupted),
                 ("EXIT?", not self.exit_ok), ("MSG?", not self.message_ok),
                 (f"{self.changed + self.stray}", bool(self.changed or self.stray)),
                 (f"procs {self.procs_left[:2]}", bool(self.procs_left)),
                 (f"seen {self.seen}", bool(self.seen)),
                 (f"last line: {self.message[:160]!r}",
                  not self.exit_ok or not self.message_ok)]
        return text + "".join(f"  {note}" for note, show in notes if show)


def become_subreaper() -> bool:
    """Orphans of a killed perfopt are re-parented to this process (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def snapshot(work: Path, from_head: list[str]) -> Path:
    """perfopt's code as it is now, in a venv of its own; returns its interpreter. The
    trials run this copy: a worktree edited while the bench runs would otherwise change
    the code (and a codemod's output) from one trial to the next. The venv holds a .pth
    naming the copy, then this environment's site-packages (the dependencies; perfopt's
    editable-install hook there is not run, so the copy is the only perfopt)."""
    code = work / "code"
    shutil.copytree(ROOT / "perfopt", code / "perfopt",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for rel in from_head:  # a part of the worktree another change has left mid-edit
        shutil.rmtree(code / rel, ignore_errors=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD",
                                  rel], capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(code, filter="data")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    deps = sysconfig.get_paths()["purelib"]
    (Path(site) / "perfopt_snapshot.pth").write_text(f"{code}\n{deps}\n", encoding="utf-8")
    for tool in ("py-spy",):  # perfopt looks for it beside the interpreter
        found = Path(sys.executable).with_name(tool)
        if found.exists():
            (venv / "bin" / tool).symlink_to(found)
    where = subprocess.run([str(python), "-c", "import perfopt; print(perfopt.__file__)"],
                           capture_output=True, text=True, check=True,
                           cwd=work).stdout.strip()
    if not where.startswith(str(code)):
        sys.exit(f"the snapshot venv imports perfopt from {where}, not {code}")
    return python


def git(repo: Path, *args: str, check: bool = True) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.name=bench",
                           "-c", "user.email=bench@example.invalid", *args],
                          capture_output=True, text=True, check=check).stdout


def make_template(work: Path) -> Path:
    project = work / "template" / "demo"
    shutil.copytree(DEMO, project, ignore=shutil.ignore_patterns(
        "__pycache__", ".pytest_cache", ".perfopt", ".hypothesis"))
    toml = (project / "pyproject.toml").read_text(encoding="utf-8")
    head = toml.split("[tool.perfopt]")[0].rstrip()
    table = "\n".join(f"{k} = {v}" for k, v in FAST.items())
    (project / "pyproject.toml").write_text(f"{head}\n\n[tool.perfopt]\n{table}\n",
                                            encoding="utf-8")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "demo")
    return project


def hashes(project: Path) -> dict[str, str]:
    files = git(project, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    out = {}
    for rel in filter(None, files.split("\0")):
        path = project / rel
        out[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "-"
    return out


def status_paths(project: Path) -> list[str]:
    text = git(project, "status", "--porcelain", "--untracked-files=all", "--ignored")
    return sorted(line[3:] for line in text.splitlines() if line)


def patched(template: Path, patch: Path, scratch: Path) -> dict[str, str] | None:
    """The files the run's --patch changes, with their hashes once it is applied to the
    original project: what a complete apply writes. None: the run wrote no patch."""
    if not patch.is_file() or not patch.read_text(encoding="utf-8").strip():
        return None
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(template, scratch, symlinks=True)
    git(scratch, "apply", str(patch))
    before, after = hashes(template), hashes(scratch)
    shutil.rmtree(scratch, ignore_errors=True)
    return {rel: h for rel, h in after.items() if before.get(rel) != h}


def apply_started(pid: int, project: str) -> str | None:
    """What perfopt's open temporary in the project points to (the apply is staging it),
    or None."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith(project) and (target.endswith(" (deleted)")
                                           or TEMP_SUFFIX in target):
            return target[len(project):]
    return None


def orphans() -> list[int]:
    """Live processes whose parent is this one (with the subreaper: a run's leftovers)."""
    me, found = os.getpid(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == me and fields[0] != "Z":
            found.append(int(entry))
    return found


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def leftovers(wait_s: float) -> list[str]:
    """The run's processes still alive `wait_s` after it ended (named, then killed)."""
    deadline = time.monotonic() + wait_s
    while True:
        reap()
        left = orphans()
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    names = []
    for pid in left:
        try:
            names.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                         .decode(errors="replace")[:100])
        except OSError:
            names.append(str(pid))
        for kill in (lambda p: os.killpg(p, signal.SIGKILL), lambda p: os.kill(p, signal.SIGKILL)):
            try:
                kill(pid)
            except (ProcessLookupError, PermissionError):
                pass
    time.sleep(0.2 if left else 0)
    reap()
    return names


@dataclass
class Run:
    """One perfopt process on one copy."""

    project: Path
    folder: Path  # the trial's folder, outside the project: logs, the patch and TMPDIR
    python: Path  # the snapshot's interpreter
    proc: subprocess.Popen = field(init=False)
    started: float = field(init=False)

    @property
    def patch(self) -> Path:
        return self.folder / "run.diff"

    def env(self) -> dict[str, str]:
        return {**os.environ, "TMPDIR": str(self.folder / "tmp")}

    def start(self) -> None:
        (self.folder / "tmp").mkdir(parents=True)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [str(self.python), "-m", "perfopt.cli", "optimize", str(self.project / TARGET),
             "--apply", "--patch", str(self.patch), "--quiet"],
            stdout=open(self.folder / "stdout.txt", "wb"),  # noqa: SIM115 - the child owns it
            stderr=open(self.folder / "stderr.txt", "wb"),  # noqa: SIM115
            env=self.env(), start_new_session=True,
            cwd=self.folder)  # not the worktree: `-m` would import its perfopt first

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def watch(self, until_s: float | None,
              apply_hint_s: float | None) -> tuple[float, str | None]:
        """Wait until `until_s`, or (apply_hint_s given) until the apply starts; returns the
        time and the temporary seen (None: not seen). Stops early when the run ends."""
        prefix = str(self.project) + "/"
        while self.proc.poll() is None:
            now = self.elapsed()
            if apply_hint_s is not None:
                seen = apply_started(self.proc.pid, prefix)
                if seen is not None:
                    return now, seen
                time.sleep(0.0005 if now > 0.5 * apply_hint_s else 0.02)
            elif until_s is not None and now >= until_s:
                return now, None
            else:
                time.sleep(0.005)
        return self.elapsed(), None

    def send(self, name: str) -> bool:
        """Signal the run; False when it had already ended (no interrupt then)."""
        if self.proc.poll() is not None or _zombie(self.proc.pid):
            return False
        if name == "SIGINT":  # Ctrl-C: the terminal signals the foreground group
            os.killpg(self.proc.pid, signal.SIGINT)
        else:
            os.kill(self.proc.pid, signal.SIGKILL)
        return True  # not reaped yet: the PID is still this run's

    def finish(self) -> tuple[int, bool]:
        try:
            return self.proc.wait(timeout=WAIT_EXIT_S), False
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(), True

    def last_line(self) -> str:
        lines = (self.folder / "stderr.txt").read_text(errors="replace").strip().splitlines()
        return lines[-1].strip() if lines else ""

    def next_start(self) -> None:
        """A perfopt that fails at once (a --patch folder that does not exist), in the same
        TMPDIR: it removes what killed runs left there."""
        subprocess.run([str(self.python), "-m", "perfopt.cli", "optimize", str(self.project),
                        "--patch", str(self.folder / "missing" / "x.diff")],
                       env=self.env(), cwd=self.folder, capture_output=True, timeout=120)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def check(trial: Trial, run: Run, template: Path, original: dict[str, str]) -> None:
    trial.procs_left = leftovers(DRAIN_S)
    expected = patched(template, run.patch, run.folder / "patched") or {}
    trial.patch_files = len(expected)
    now = hashes(run.project)
    for rel in sorted(set(original) | set(expected)):  # any other file is stray (below)
        if now.get(rel) == original.get(rel):
            continue
        (trial.applied if now.get(rel) == expected.get(rel) else trial.changed).append(rel)
    trial.stray = [p for p in status_paths(run.project) if p not in expected]
    tmp = run.folder / "tmp"
    trial.temp_names = sorted(p.name for p in tmp.iterdir())
    if trial.temp_names:
        run.next_start()
        trial.temps_after_next_start = sum(1 for _ in tmp.iterdir())
    trial.message = run.last_line()
    trial.stderr = (run.folder / "stderr.txt").read_text(errors="replace")
    if trial.signal == "SIGINT" and trial.exit == 130 and not trial.at_startup:
        names = ", ".join(Path(rel).name for rel in trial.applied)
        trial.message_ok = (UNCHANGED in trial.message if not trial.applied
                            else f"wrote its {len(trial.applied)} verified file(s) ({names})"
                            in trial.message)


def reference(work: Path, template: Path, python: Path) -> tuple[float, float, list[str]]:
    """A complete run: its length, when its apply began, the files it applied."""
    project = work / "reference" / "demo"
    shutil.copytree(template, project, symlinks=True)
    run = Run(project, work / "reference", python)
    run.start()
    t_apply, seen = run.watch(None, apply_hint_s=0.0)  # polls every 0.5 ms from the start
    exit_code, _ = run.finish()
    total = run.elapsed()
    if exit_code != 0:
        tail = (run.folder / "stderr.txt").read_text(errors="replace").strip()[-2000:]
        sys.exit(f"the reference run failed (exit {exit_code}):\n{tail}")
    trial = Trial(0, "none", "random")
    trial.exit = exit_code
    check(trial, run, template, hashes(template))
    if not trial.applied or trial.changed:
        sys.exit(f"the reference run applied {trial.applied}, changed {trial.changed}: the "
                 "bench needs a complete apply to interrupt")
    return total, t_apply if seen is not None else total, trial.applied


def trial_run(number: int, rng: random.Random, args: argparse.Namespace, work: Path,
              template: Path, python: Path, total_s: float, apply_s: float,
              original: dict[str, str]) -> Trial:
    name = rng.choice(["SIGINT", "SIGKILL"])
    mode = "apply" if rng.random() < args.apply_share else "random"
    trial = Trial(number, name, mode)
    folder = work / "trials" / f"{number:03d}"
    project = folder / "demo"
    shutil.copytree(template, project, symlinks=True)
    run = Run(project, folder, python)
    run.start()
    if mode == "apply":
        at, seen = run.watch(None, apply_hint_s=apply_s)
        trial.during_apply, trial.seen = seen is not None, seen or ""
    else:
        at, _ = run.watch(rng.uniform(0.0, total_s), apply_hint_s=None)
    if run.send(name):
        trial.at_s = at
    else:
        trial.during_apply, trial.seen = False, ""
    trial.exit, trial.hung = run.finish()
    if not trial.interrupted:
        trial.length_s = run.elapsed()
    check(trial, run, template, original)
    if not (trial.changed or trial.stray or not trial.exit_ok or trial.at_startup
            or not trial.message_ok):
        shutil.rmtree(folder, ignore_errors=True)  # kept for a look when something is wrong
    return trial


def summary(trials: list[Trial], wall_s: float) -> list[str]:
    hits = [t for t in trials if t.interrupted]
    ended = [t for t in trials if not t.interrupted]

    def count(pred, among: list[Trial] = hits) -> int:
        return sum(1 for t in among if pred(t))

    def total(pred, among: list[Trial] = hits) -> int:
        return sum(pred(t) for t in among)

    exits = Counter(t.exit for t in ended)
    startup = Counter(t.exit for t in hits if t.at_startup)
    kill_procs = count(lambda t: t.signal == "SIGKILL" and bool(t.procs_left))
    left_after_kill = [t for t in hits if t.signal == "SIGKILL" and t.temp_names]
    return [
        f"interrupts: {len(hits)} (SIGINT {count(lambda t: t.signal == 'SIGINT')}, SIGKILL "
        f"{count(lambda t: t.signal == 'SIGKILL')}; {count(lambda t: t.during_apply)} during "
        f"the apply, perfopt's temporary open in the project, of "
        f"{count(lambda t: t.mode == 'apply')} aimed at it)",
        f"runs that ended before their signal, not counted as interrupts: {len(ended)} "
        f"(exit {', '.join(f'{k}: {v}' for k, v in sorted(exits.items(), key=str)) or '-'}; "
        f"with an unexpected exit or an incomplete apply: {count(lambda t: not t.exit_ok, ended)})",
        f"interrupted runs whose files hold their complete apply: "
        f"{count(lambda t: bool(t.applied) and not t.cut_between_files)}; "
        f"cut between two files: {count(lambda t: t.cut_between_files)}",
        f"files changed or half-written: {total(lambda t: len(t.changed), trials)}",
        f"stray files in the project: {total(lambda t: len(t.stray), trials)}",
        f"unexpected exit status (SIGINT: 130, SIGKILL: -9) or hung: "
        f"{count(lambda t: not t.exit_ok)}",
        f"SIGINT before perfopt's Ctrl-C handler was in place (Python's start-up and the "
        f"imports; Python's default, see Trial.at_startup): {count(lambda t: t.at_startup)}"
        + (f" (exit {', '.join(f'{k}: {v}' for k, v in sorted(startup.items()))})"
           if startup else ""),
        f"SIGINT lines that misstate the files: {count(lambda t: not t.message_ok)}",
        f"processes still running {DRAIN_S:g} s after the run ended: after SIGINT "
        f"{total(lambda t: len(t.procs_left) if t.signal == 'SIGINT' else 0)}, after SIGKILL "
        f"{total(lambda t: len(t.procs_left) if t.signal == 'SIGKILL' else 0)} "
        f"(in {kill_procs} runs)",
        f"temp entries left outside the project: after SIGINT "
        f"{total(lambda t: len(t.temp_names) if t.signal == 'SIGINT' else 0)}, after SIGKILL "
        f"{total(lambda t: len(t.temp_names) if t.signal == 'SIGKILL' else 0)} (in "
        f"{len(left_after_kill)} runs; left after the next perfopt started: "
        f"{sum(t.temps_after_next_start or 0 for t in hits)})",
        f"wall time: {wall_s / 60:.1f} min",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100,
                        help="signals that reach a running perfopt")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--apply-share", type=float, default=0.3,
                        help="share of the trials aimed at the start of the apply")
    parser.add_argument("--out", type=Path, help="also write the output here")
    parser.add_argument("--from-head", action="append", default=[], metavar="PATH",
                        help="take this part of perfopt/ from the last commit, not the "
                        "worktree (one another change has left mid-edit); repeatable")
    args = parser.parse_args()
    started = time.monotonic()
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    # a background job starts with SIGINT ignored, and perfopt would inherit that: Ctrl-C
    # has to reach it as it does from a terminal
    signal.signal(signal.SIGINT, signal.default_int_handler)
    subreaper = become_subreaper()
    say(f"interrupts: {args.trials} trials, seed {args.seed}, apply share "
        f"{args.apply_share}, settings {FAST}, subreaper {subreaper}, {os.cpu_count()} CPUs, "
        f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
        + (f", from HEAD: {', '.join(args.from_head)}" if args.from_head else ""))
    work = Path(tempfile.mkdtemp(prefix="perfopt-interrupts-"))
    trials: list[Trial] = []
    try:
        python = snapshot(work, args.from_head)
        template = make_template(work)
        original = hashes(template)
        total_s, apply_s, applied = reference(work, template, python)
        say(f"reference run: {total_s:.1f} s, apply at {apply_s:.2f} s, applies "
            f"{', '.join(applied)}")
        rng = random.Random(args.seed)
        number = 0
        # the delays are drawn within a run's length as it is now: the median of the last
        # complete runs (the machine's load changes over the bench's hour)
        lengths = [total_s]
        while sum(t.interrupted for t in trials) < args.trials and number < 3 * args.trials:
            number += 1
            window = statistics.median(lengths[-5:])
            trials.append(trial_run(number, rng, args, work, template, python, window,
                                    apply_s * window / total_s, original))
            lengths += [trials[-1].length_s] if trials[-1].length_s else []
            say(trials[-1].line())
        for text in summary(trials, time.monotonic() - started):
            say(text)
    finally:
        kept = sorted((work / "trials").glob("*")) if (work / "trials").exists() else []
        if kept:
            say(f"kept for inspection: {', '.join(map(str, kept))}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bad = sum(len(t.changed) + len(t.stray) for t in trials)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
