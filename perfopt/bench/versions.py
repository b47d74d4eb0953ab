"""`perfopt bench`: compare two versions of a target outside the optimize loop.

Two files with the same function (`symbol`), two git revisions of one file
(`git show REV:path`, read-only), or two whole programs run on stdin input files. The
answer is the speedup of B over A with its interval, for every metric measured.
"""

from __future__ import annotations

import ast
import pickle
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from perfopt.bench import critic
from perfopt.bench.measure import measure_all
from perfopt.bench.programs import compare_programs
from perfopt.config import Settings
from perfopt.errors import UserError
from perfopt.models import Measurement, StressCase, StressSuite, Target, Verdict


@dataclass(frozen=True)
class BenchInputs:
    files: tuple[Path, ...] = ()  # pickled {"args", "kwargs"} (functions) or stdin (programs)
    calls: tuple[str, ...] = ()  # argument lists as Python literals: "1000", "[3, 1], key=None"


@dataclass(frozen=True)
class BenchReport:
    a: str  # what was compared, e.g. "HEAD~1:src/mod.py::f"
    b: str
    metric: str  # the metric that decides
    measurements: tuple[Measurement, ...]
    verdict: Verdict  # would `optimize` accept B as a replacement of A

    @property
    def speedup(self) -> float:
        return critic.deciding(self.measurements).speedup

    def lines(self) -> list[str]:
        out = [f"{self.b} vs {self.a}"]
        for m in self.measurements:
            out.append(f"  {m.metric:<12} {critic.describe(m)}  ({m.note})")
        state = "faster" if self.verdict.accepted else "not shown faster"
        out.append(f"  decided by {self.metric}: {state} ({self.verdict.reason})")
        return out


def parse_call(text: str) -> tuple[tuple[object, ...], dict[str, object]]:
    """"1000, key=None" -> ((1000,), {"key": None}); literals only (nothing is executed)."""
    try:
        call = ast.parse(f"f({text})", mode="eval").body
        assert isinstance(call, ast.Call)
        args = tuple(ast.literal_eval(a) for a in call.args)
        kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg}
    except (SyntaxError, ValueError, AssertionError) as exc:
        raise UserError(
            f"--call {text!r} is not a list of Python literals; write e.g. --call '1000' "
            "or --call '[3, 1, 2], reverse=True'"
        ) from exc
    return args, kwargs


def read_version(path: Path, rev: str | None) -> str:
    if rev is None:
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot read {path}: {exc.strerror}") from exc
    folder = path.resolve().parent
    top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=folder,
                         capture_output=True, text=True)
    if top.returncode != 0:
        raise UserError(f"{path} is not in a git repository; drop --rev or pass two files")
    rel = path.resolve().relative_to(Path(top.stdout.strip())).as_posix()
    shown = subprocess.run(["git", "show", f"{rev}:{rel}"], cwd=folder,
                           capture_output=True, text=True)
    if shown.returncode != 0:
        raise UserError(f"git show {rev}:{rel} failed: {shown.stderr.strip()}; "
                        "check the revision name (git log --oneline)")
    return shown.stdout


def _tree(root: Path, original: Path, text: str) -> Path:
    """A folder holding `text` under the original's file name, next to links to the
    original's siblings (so `import helper` still works)."""
    root.mkdir(parents=True)
    for sibling in original.resolve().parent.iterdir():
        if sibling.name != original.name and not sibling.name.startswith("."):
            (root / sibling.name).symlink_to(sibling)
    (root / original.name).write_text(text, encoding="utf-8")
    return root


def _suite(folder: Path, target: Target, inputs: BenchInputs) -> StressSuite:
    folder.mkdir(parents=True)
    cases = []
    payloads = [f.read_bytes() for f in inputs.files]
    for text in inputs.calls:
        args, kwargs = parse_call(text)
        payloads.append(pickle.dumps({"args": args, "kwargs": kwargs}))
    for i, data in enumerate(payloads):
        (folder / f"case{i}.pkl").write_bytes(data)
        cases.append(StressCase(id=f"case{i}", provenance="sample", payload=f"case{i}.pkl"))
    if not cases:
        raise UserError("no inputs: pass --call '1000' (arguments) or --input FILE (pickles)")
    return StressSuite(target=target, cases=tuple(cases), folder=str(folder))


def _program_cmd(path: Path, text: str, work: Path, name: str) -> tuple[list[str], bool]:
    """The command running one version, and whether it is compiled (worth counting)."""
    if path.suffix == ".py":
        script = work / f"{name}.py"
        script.write_text(text, encoding="utf-8")
        return [sys.executable, str(script)], False
    if path.suffix in (".cpp", ".cc", ".cxx"):
        compiler = shutil.which("g++") or shutil.which("clang++")
        if compiler is None:
            raise UserError("no C++ compiler found; install g++ or pass compiled programs")
        src, exe = work / f"{name}.cpp", work / name
        src.write_text(text, encoding="utf-8")
        # No -march=native: valgrind cannot run AVX-512 code, and both sides must match.
        built = subprocess.run([compiler, "-O2", "-std=c++17", "-o", str(exe), str(src)],
                               capture_output=True, text=True)
        if built.returncode != 0:
            raise UserError(f"{path} does not compile: {built.stderr.strip()[-400:]}")
        return [str(exe)], True
    return [str(path.resolve())], True


def bench_versions(
    a: Path,
    b: Path | None,
    symbol: str | None,
    rev_a: str | None,
    rev_b: str | None,
    inputs: BenchInputs,
    settings: Settings,
) -> BenchReport:
    """Speedup of version B over version A. `b` None: the same file as `a` (then `rev_a`
    and/or `rev_b` name the versions; a missing rev means the working tree)."""
    b = b or a
    if b == a and rev_a is None and rev_b is None:
        raise UserError("nothing to compare: pass two files, or --rev-a/--rev-b for one file")
    label_a = f"{rev_a + ':' if rev_a else ''}{a}{'::' + symbol if symbol else ''}"
    label_b = f"{rev_b + ':' if rev_b else ''}{b}{'::' + symbol if symbol else ''}"
    text_a, text_b = read_version(a, rev_a), read_version(b, rev_b)
    with tempfile.TemporaryDirectory(prefix="perfopt-bench-versions-") as tmp:
        work = Path(tmp)
        if symbol is None:
            cmd_a, compiled = _program_cmd(a, text_a, work, "a")
            cmd_b, _ = _program_cmd(b, text_b, work, "b")
            datas = [f.read_bytes() for f in inputs.files]
            measurements = compare_programs(cmd_a, cmd_b, datas, settings, cwd=work,
                                            count_instructions=compiled
                                            and settings.metric != "wall")
        else:
            if a.suffix != ".py":
                raise UserError(f"--symbol compares Python functions; {a} is not a .py file")
            target = Target(file=a.name, qualname=symbol)
            root_a = _tree(work / "a", a, text_a)
            root_b = _tree(work / "b", a, text_b)
            suite = _suite(work / "suite", target, inputs)
            measurements = measure_all(root_a, root_b, target, suite, settings)
    verdict = critic.accept(measurements, critic.policy_from_settings(settings))
    return BenchReport(label_a, label_b, critic.deciding(measurements).metric,
                       measurements, verdict)
