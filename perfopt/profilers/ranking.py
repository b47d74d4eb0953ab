"""From a Profile to ranked Hotspots: which project functions own the time.

A sample's *self* time goes to its deepest project frame, so time spent in the standard
library or builtins it calls directly counts as its own: that is time perfopt could win
back by changing that function. *Total* time goes to every project function on the stack.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from perfopt.config import Settings, path_matches
from perfopt.languages.python import LineMap, definitions
from perfopt.models import Hotspot, Target
from perfopt.profilers.base import Frame, Profile

HOT_LINES = 5  # lines kept per hotspot
CALLERS = 3  # callers kept per hotspot
_VENV_PARTS = frozenset({"site-packages", "dist-packages", ".venv", "venv", ".tox", ".nox"})
_TEST_DIRS = frozenset({"tests", "test"})


@dataclass(frozen=True)
class _Func:
    file: str  # project-relative, POSIX
    qualname: str | None  # None: module-level code

    @property
    def key(self) -> str:
        return f"{self.file}::{self.qualname}" if self.qualname else self.file


class _Mapper:
    """Frame -> project function, with one parse per file."""

    def __init__(self, project: Path, settings: Settings, drivers: tuple[str, ...] = ()) -> None:
        self.root = project.resolve()
        self.settings = settings
        self.drivers = drivers
        self._files: dict[str, str | None] = {}
        self._maps: dict[str, LineMap | None] = {}
        self._sources: dict[str, str] = {}

    def rel(self, file: str) -> str | None:
        """Project-relative path of `file`, or None when the file is not ours to optimize."""
        if file not in self._files:
            self._files[file] = self._classify(file)
        return self._files[file]

    def _classify(self, file: str) -> str | None:
        if file.startswith("<") or not file.endswith(".py"):
            return None
        path = Path(file)
        try:
            rel = path.resolve().relative_to(self.root).as_posix()
        except (ValueError, OSError):
            return None
        if path_matches(rel, self.settings.exclude):
            return None
        if path_matches(rel, self.settings.include):
            return rel
        if rel in self.drivers:
            return None
        parts = PurePosixPath(rel).parts
        name = parts[-1]
        if _VENV_PARTS.intersection(parts) or self._in_virtualenv(path):
            return None
        is_test = (
            _TEST_DIRS.intersection(parts[:-1])
            or name.startswith("test_")
            or name.endswith("_test.py")
            or name == "conftest.py"
        )
        return None if is_test else rel

    def _in_virtualenv(self, path: Path) -> bool:
        for folder in path.resolve().parents:
            if folder == self.root or self.root not in folder.parents:
                return False
            if (folder / "pyvenv.cfg").is_file():
                return True
        return False

    def function(self, frame: Frame) -> _Func | None:
        rel = self.rel(frame.file)
        if rel is None:
            return None
        if rel not in self._maps:
            try:
                source = Path(frame.file).read_text(encoding="utf-8")
                self._maps[rel] = LineMap(source)
                self._sources[rel] = source
            except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
                self._maps[rel] = None
        line_map = self._maps[rel]
        if line_map is None:
            return None
        qual = line_map.function_at(frame.line)
        if frame.function not in ("<module>",) and not _named(qual, frame.function):
            # cProfile reports a decorated function at its first decorator line; look
            # a few lines down for the def whose name matches.
            for offset in range(1, 12):
                nearer = line_map.function_at(frame.line + offset)
                if _named(nearer, frame.function):
                    qual = nearer
                    break
        return _Func(rel, qual)

    def span(self, func: _Func) -> tuple[int, int] | None:
        source = self._sources.get(func.file)
        if source is None or func.qualname is None:
            return None
        for d in definitions(source):
            if d.qualname == func.qualname:
                return (d.start_line, d.end_line)
        return None


def _named(qual: str | None, function: str) -> bool:
    # py-spy 0.4 prints "Class.method"; cProfile prints the bare name; comprehensions and
    # lambdas ("<listcomp>") belong to the enclosing function.
    if qual is None:
        return False
    if function.startswith("<"):
        return True
    return qual == function or qual.endswith("." + function.rsplit(".", 1)[-1])


def rank_hotspots(profile: Profile, project: Path, settings: Settings, limit: int,
                  drivers: tuple[str, ...] = ()) -> list[Hotspot]:
    """The `limit` project functions with the largest self share, best first. Test files,
    virtualenvs, `exclude` and the workload's own scripts (`drivers`) are not ranked."""
    mapper = _Mapper(project, settings, drivers)
    total_weight = profile.samples or sum(w for _, w in profile.stacks)
    if total_weight <= 0:
        return []
    self_w: Counter[_Func] = Counter()
    total_w: Counter[_Func] = Counter()
    lines: dict[_Func, Counter[int]] = defaultdict(Counter)
    callers: dict[_Func, Counter[str]] = defaultdict(Counter)
    for stack, weight in profile.stacks:
        ours = [(f, fn) for f in stack if (fn := mapper.function(f)) is not None]
        if not ours:
            continue
        leaf_frame, leaf = ours[-1]
        self_w[leaf] += weight
        lines[leaf][leaf_frame.line] += weight
        for _, fn in reversed(ours[:-1]):
            if fn != leaf:  # recursion: the caller is the first *other* function up
                callers[leaf][fn.key] += weight
                break
        for fn in {fn for _, fn in ours}:
            total_w[fn] += weight
    calls = _calls_by_function(profile, mapper)
    ranked = sorted(self_w, key=lambda fn: (-self_w[fn], fn.key))[:limit]
    out = []
    for fn in ranked:
        own = self_w[fn]
        hot = lines[fn].most_common(HOT_LINES) if profile.profiler != "cprofile" else []
        out.append(
            Hotspot(
                target=Target(file=fn.file, qualname=fn.qualname, span=mapper.span(fn)),
                self_share=own / total_weight,
                total_share=total_w[fn] / total_weight,
                score=own / total_weight,
                samples=own,
                calls=calls.get(fn),
                hot_lines=tuple((line, w / own) for line, w in hot),
                callers=tuple(k for k, _ in callers[fn].most_common(CALLERS)),
            )
        )
    return out


def _calls_by_function(profile: Profile, mapper: _Mapper) -> dict[_Func, int]:
    out: dict[_Func, int] = {}
    for key, count in profile.calls.items():
        file, _, rest = key.rpartition(":")  # "file:line:func" -> func is after the last ':'
        file, _, line = file.rpartition(":")
        if not line.isdigit() or rest.startswith("<"):  # genexprs/lambdas are not calls of it
            continue
        fn = mapper.function(Frame(file, int(line), rest))
        if fn is not None and fn.qualname is not None:
            out[fn] = out.get(fn, 0) + count
    return out
