"""PIE pairs from disk, in the layouts we meet:

- pie-dev (ours): `pairs.jsonl` (`slow_code`, `fast_code`, `problem_id`,
  `submission_id_v0/v1`) + `problems/<problem_id>/{statement.txt,input.N.txt,output.N.txt}`;
- PIE's own C++ jsonl: `src_code`, `tgt_code`, `problem_id` (`src_id`/`tgt_id`, optional
  `tests`: which `input.N.txt` to use), test folders `<problem_id>/input.N.txt` under the
  data folder, `problems/`, `tests/` or `public_test_cases/`;
- PerfForge: `<case>/task.json` (`slow_code`, `statement`) + `<case>/slow_tests/*.in`.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from perfopt.errors import UserError

_TEST_ROOTS = ("", "problems", "tests", "public_test_cases", "generated_test_cases")


@dataclass(frozen=True)
class PiePair:
    pair_id: str
    problem_id: str
    language: str  # "python" | "cpp"
    slow_code: str
    fast_code: str | None  # the human's faster version (None: PerfForge has none)
    samples_dir: str  # folder of input.N.txt / *.in files (with expected outputs)
    statement: str | None = None
    tests: tuple[int, ...] = ()  # PIE's `tests`: the input.N.txt to keep; () = all


def guess_language(code: str, declared: str | None = None) -> str:
    if declared:
        low = declared.lower()
        if "c++" in low or "cpp" in low:
            return "cpp"
        if "py" in low:
            return "python"
    return "cpp" if re.search(r"^\s*#include\b", code, re.MULTILINE) else "python"


def _safe_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:80]


def _test_dir(root: Path, problem_id: str) -> Path | None:
    for sub in _TEST_ROOTS:
        folder = root / sub / problem_id if sub else root / problem_id
        if folder.is_dir() and (any(folder.glob("input*.txt")) or any(folder.glob("*.in"))):
            return folder
    return None


def _statement(folder: Path | None) -> str | None:
    if folder is None:
        return None
    for name in ("statement.txt", "statement.md", "problem.txt"):
        if (folder / name).is_file():
            return (folder / name).read_text(encoding="utf-8", errors="replace")
    return None


def _from_row(row: dict, k: int, root: Path) -> PiePair | None:
    slow = row.get("slow_code") or row.get("src_code") or row.get("input")
    fast = row.get("fast_code") or row.get("tgt_code") or row.get("target")
    pid = str(row.get("problem_id") or "")
    if not slow or not pid:
        return None
    sub_id = row.get("submission_id_v0") or row.get("src_id") or str(k)
    folder = _test_dir(root, pid)
    tests = row.get("tests") or ()
    tests = tuple(int(t) for t in tests) if isinstance(tests, list) and all(
        str(t).isdigit() for t in tests) else ()
    return PiePair(
        pair_id=_safe_id(f"{pid}_{sub_id}"), problem_id=pid,
        language=guess_language(slow, row.get("language")), slow_code=slow, fast_code=fast,
        samples_dir=str(folder) if folder else "", statement=_statement(folder), tests=tests)


def _jsonl(path: Path, root: Path) -> list[PiePair]:
    pairs = []
    for k, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(
                f"{path}:{k + 1} is not JSON ({exc.msg}); fix or remove the line") from None
        pair = _from_row(row, k, root)
        if pair is not None:
            pairs.append(pair)
    return pairs


def _perfforge(task: Path) -> PiePair:
    data = json.loads(task.read_text(encoding="utf-8"))
    folder = task.parent / "slow_tests"
    return PiePair(
        pair_id=_safe_id(task.parent.name), problem_id=str(data.get("problem_id", "")),
        language=guess_language(data["slow_code"], data.get("language")),
        slow_code=data["slow_code"], fast_code=data.get("fast_code"),
        samples_dir=str(folder) if folder.is_dir() else "", statement=data.get("statement"))


def load_pairs(data: Path, limit: int | None = None) -> list[PiePair]:
    """Every pair under `data` (a folder or a .jsonl file), in file order."""
    data = Path(data).resolve()
    if data.is_file():
        pairs = _jsonl(data, data.parent)
    elif (data / "pairs.jsonl").is_file():
        pairs = _jsonl(data / "pairs.jsonl", data)
    elif (data / "task.json").is_file():
        pairs = [_perfforge(data / "task.json")]
    elif data.is_dir() and sorted(data.glob("*/task.json")):
        pairs = [_perfforge(t) for t in sorted(data.glob("*/task.json"))]
    elif data.is_dir() and sorted(data.glob("*.jsonl")):
        pairs = [p for f in sorted(data.glob("*.jsonl")) for p in _jsonl(f, data)]
    else:
        raise UserError(f"no PIE pairs in {data}: expected pairs.jsonl, *.jsonl or */task.json")
    return pairs[:limit] if limit else pairs


def select_tests(pair: PiePair, dest: Path) -> Path:
    """The pair's sample folder, narrowed to PIE's `tests` when it lists some."""
    if not pair.tests or not pair.samples_dir:
        return Path(pair.samples_dir)
    dest.mkdir(parents=True, exist_ok=True)
    src = Path(pair.samples_dir)
    for n in pair.tests:
        for name in (f"input.{n}.txt", f"output.{n}.txt"):
            if (src / name).is_file():
                shutil.copyfile(src / name, dest / name)
    return dest
