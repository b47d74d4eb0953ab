"""SWE-fficiency instances in the official field format, read from JSON, JSONL or a folder.

The official dataset (a dataset hub export) stores list fields either as JSON lists or as
JSON-encoded strings (the SWE-bench habit); both are accepted. Fields perfopt adds for
rebuilding an instance without GitHub (`_pypi_sdist`) are parsed into `SdistSpec`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfopt.errors import UserError

REQUIRED = ("instance_id", "repo", "base_commit", "patch", "workload", "PASS_TO_PASS")
MODES = ("forward", "reverse")


@dataclass(frozen=True)
class SdistSpec:
    """A PyPI release that holds the instance's tree: as is (forward) or with the patch in it
    (reverse: `patch -p1 -R` recreates the pre-edit state)."""

    release: str  # "sympy==1.7.1"
    sha256: str
    mode: str = "forward"
    sdist_file: str = ""

    @property
    def package(self) -> str:
        return self.release.split("==", 1)[0]

    @property
    def version(self) -> str:
        return self.release.split("==", 1)[1] if "==" in self.release else ""


@dataclass(frozen=True)
class Instance:
    instance_id: str
    repo: str  # "owner/name"
    base_commit: str
    patch: str  # the expert's diff of non-test files
    workload: str  # Python source defining setup() and workload()
    pass_to_pass: tuple[str, ...]  # pytest node ids that must keep passing
    fail_to_pass: tuple[str, ...] = ()
    covering_tests: tuple[str, ...] = ()
    speedup: float | None = None  # the expert speedup recorded in the dataset
    version: str = ""
    sdist: SdistSpec | None = None
    python_hint: str | None = None  # "3.8" when the data says which CPython it was measured on
    source_file: str = ""

    @property
    def package(self) -> str:
        """The importable top-level package: the sdist's name, else the repo's name."""
        name = self.sdist.package if self.sdist else self.repo.rsplit("/", 1)[-1]
        return name.replace("-", "_").lower()

    @property
    def mirror_name(self) -> str:
        return self.repo.replace("/", "__")


def _str_list(value: Any, field: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError as exc:
            raise UserError(f"{where}: field '{field}' is not a JSON list: {exc}") from exc
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f"{where}: field '{field}' must be a list of strings")
    return tuple(value)


def _python_hint(data: dict[str, Any]) -> str | None:
    """The CPython minor version the data's author measured the instance with, if recorded."""
    import re

    sdist = data.get("_pypi_sdist") or {}
    texts = [str((sdist.get("local_check") or {}).get("python", ""))]
    texts.append(str((data.get("_local_measurements") or {}).get("machine", "")))
    for text in texts:
        match = re.search(r"(\d)\.(\d+)(?:\.\d+)?", text)
        if match:
            return f"{match.group(1)}.{match.group(2)}"
    return None


def _sdist(data: Any, where: str) -> SdistSpec | None:
    if data is None:
        return None
    if not isinstance(data, dict) or "release" not in data or "sha256" not in data:
        raise UserError(f"{where}: '_pypi_sdist' needs 'release' (name==version) and 'sha256'")
    mode = data.get("mode", "forward")
    if mode not in MODES:
        raise UserError(f"{where}: '_pypi_sdist.mode' is '{mode}'; use forward or reverse")
    if "==" not in data["release"]:
        raise UserError(f"{where}: '_pypi_sdist.release' must read name==version")
    return SdistSpec(data["release"], data["sha256"], mode, data.get("sdist_file", ""))


def parse_instance(data: Any, where: str = "<instance>") -> Instance:
    """One instance from its JSON object; a UserError names every missing field."""
    if not isinstance(data, dict):
        raise UserError(f"{where}: an instance must be a JSON object")
    missing = [name for name in REQUIRED if name not in data]
    if missing:
        raise UserError(
            f"{where}: missing field(s) {', '.join(missing)}; an SWE-fficiency instance needs "
            f"{', '.join(REQUIRED)}"
        )
    for name in ("instance_id", "repo", "patch", "workload"):
        if not isinstance(data[name], str) or not data[name].strip():
            raise UserError(f"{where}: field '{name}' must be a non-empty string")
    speedup = data.get("speedup")
    return Instance(
        instance_id=data["instance_id"],
        repo=data["repo"],
        base_commit=str(data["base_commit"]),
        patch=data["patch"],
        workload=data["workload"],
        pass_to_pass=_str_list(data["PASS_TO_PASS"], "PASS_TO_PASS", where),
        fail_to_pass=_str_list(data.get("FAIL_TO_PASS", []), "FAIL_TO_PASS", where),
        covering_tests=_str_list(data.get("covering_tests", []), "covering_tests", where),
        speedup=float(speedup) if isinstance(speedup, (int, float)) else None,
        version=str(data.get("version", "")),
        sdist=_sdist(data.get("_pypi_sdist"), where),
        python_hint=_python_hint(data),
        source_file=where,
    )


def _read_file(path: Path) -> list[Instance]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc}") from exc
    if path.suffix == ".jsonl":
        out = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                out.append(parse_instance(_loads(line, f"{path}:{number}"), f"{path}:{number}"))
        return out
    data = _loads(text, str(path))
    if isinstance(data, list):
        return [parse_instance(item, f"{path}[{i}]") for i, item in enumerate(data)]
    return [parse_instance(data, str(path))]


def _loads(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{where} is not valid JSON: {exc}") from exc


def load_instances(path: Path | str, ids: tuple[str, ...] = ()) -> list[Instance]:
    """Instances from a .json file (one object or a list), a .jsonl file, or a folder of them
    (sorted by file name). `ids` keeps only those instance ids, in the file order."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".json", ".jsonl"))
        if not files:
            raise UserError(f"{path} holds no .json or .jsonl instance files")
    elif path.is_file():
        files = [path]
    else:
        raise UserError(f"no such instance file or folder: {path}")
    instances = [inst for f in files for inst in _read_file(f)]
    seen: set[str] = set()
    for inst in instances:
        if inst.instance_id in seen:
            raise UserError(f"instance {inst.instance_id} appears twice under {path}")
        seen.add(inst.instance_id)
    if ids:
        unknown = sorted(set(ids) - seen)
        if unknown:
            raise UserError(
                f"unknown instance id(s) {', '.join(unknown)}; found: {', '.join(sorted(seen))}"
            )
        instances = [inst for inst in instances if inst.instance_id in ids]
    return instances
