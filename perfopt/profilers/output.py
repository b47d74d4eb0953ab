"""What `perfopt profile` shows and writes: the hotspot table, JSON, speedscope files and
SVG flame graphs.

The flame graph is drawn from the Profile's own stacks rather than by a second py-spy run
(`--format flamegraph`): one run, and it works the same for the cProfile fallback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from perfopt import jsonout
from perfopt.errors import UserError
from perfopt.profilers.base import Frame, Profile

if TYPE_CHECKING:
    from rich.console import Console

    from perfopt.profilers.session import ProfileReport

FORMATS = {".json": "speedscope", ".speedscope": "speedscope", ".svg": "flamegraph"}
SPEEDSCOPE_SCHEMA = "https://www.speedscope.app/file-format-schema.json"
# Flame graph geometry (pixels). Boxes narrower than MIN_BOX_PX are dropped: at 2,000+
# distinct pytest stacks they would only make the file large and the picture grey.
SVG_WIDTH_PX, SVG_ROW_PX, SVG_PAD_PX, MIN_BOX_PX = 1200, 16, 10, 0.3
_CHAR_PX = 6.6  # average glyph width of 11 px monospace, to fit labels in their boxes


def output_format(path: Path) -> str:
    """The format --output FILE asks for, from its extension."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise UserError(
            f"cannot tell the format of {path}: use .json or .speedscope for speedscope, "
            ".svg for a flame graph"
        )
    return fmt


def write_output(profile: Profile, path: Path, project_root: Path) -> Path:
    """Write `profile` to `path` in the format its extension names; returns the path."""
    from perfopt.verify.workspace import atomic_write

    if output_format(path) == "speedscope":
        text = jsonout.dumps(speedscope(profile, name=Path(project_root).name),
                             separators=(",", ":"))
    else:
        text = flamegraph_svg(profile, project_root)
    atomic_write(Path(path), text)
    return Path(path)


# --- speedscope -----------------------------------------------------------------------------


def speedscope(profile: Profile, name: str) -> dict:
    """A speedscope "sampled" profile (https://www.speedscope.app/file-format-schema.json)."""
    index: dict[Frame, int] = {}
    frames: list[dict] = []
    samples: list[list[int]] = []
    weights: list[int] = []
    for stack, weight in sorted(profile.stacks, key=lambda item: _stack_key(item[0])):
        ids = []
        for f in stack:
            if f not in index:
                index[f] = len(frames)
                entry: dict = {"name": f.function, "file": f.file}
                if f.line > 0:
                    entry["line"] = f.line
                frames.append(entry)
            ids.append(index[f])
        samples.append(ids)
        weights.append(weight)
    total = sum(weights)
    return {
        "$schema": SPEEDSCOPE_SCHEMA,
        "name": f"{name} ({profile.profiler})",
        "exporter": "perfopt",
        "activeProfileIndex": 0,
        "shared": {"frames": frames},
        "profiles": [{
            "type": "sampled",
            "name": name,
            "unit": "microseconds" if profile.profiler == "cprofile" else "none",
            "startValue": 0,
            "endValue": total,
            "samples": samples,
            "weights": weights,
        }],
    }


def _stack_key(stack: tuple[Frame, ...]) -> list[tuple[str, str, int]]:
    # Sorted stacks put a function's samples side by side in speedscope's time-order view.
    return [(f.file, f.function, f.line) for f in stack]


# --- SVG flame graph ------------------------------------------------------------------------


@dataclass
class _Node:
    name: str
    file: str
    line: int
    weight: int = 0
    children: dict[tuple[str, str], _Node] = field(default_factory=dict)


def _tree(profile: Profile) -> _Node:
    # Frames merge by (file, function), not line: one box per function call path, the way
    # py-spy's own flame graphs read.
    root = _Node("all", "", 0)
    for stack, weight in profile.stacks:
        node = root
        node.weight += weight
        for f in stack:
            key = (f.file, f.function)
            child = node.children.get(key)
            if child is None:
                child = node.children[key] = _Node(f.function, f.file, f.line)
            child.weight += weight
            node = child
    return root


def flamegraph_svg(profile: Profile, project_root: Path, title: str | None = None) -> str:
    """A static SVG flame graph (root at the bottom); project code in orange, everything
    else in grey-blue; each box's tooltip gives its function, file, line and share."""
    root = _tree(profile)
    total = root.weight or 1
    scale = (SVG_WIDTH_PX - 2 * SVG_PAD_PX) / total
    prefix = str(Path(project_root)) + "/"
    boxes: list[tuple[int, float, float, _Node]] = []  # (depth, x, width, node)

    def walk(node: _Node, depth: int, x: float) -> None:
        for child in sorted(node.children.values(), key=lambda n: (n.file, n.name)):
            width = child.weight * scale
            if width >= MIN_BOX_PX:
                boxes.append((depth, x, width, child))
                walk(child, depth + 1, x)
            x += width

    walk(root, 1, SVG_PAD_PX)
    depth = max((d for d, *_ in boxes), default=0) + 1
    top = 2 * SVG_ROW_PX + SVG_PAD_PX  # room for the title
    height = top + depth * SVG_ROW_PX + SVG_PAD_PX
    unit = "µs" if profile.profiler == "cprofile" else "samples"
    heading = title or f"{Path(project_root).name}: {profile.profiler}, {total:,} {unit}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_WIDTH_PX}" height="{height}" '
        f'viewBox="0 0 {SVG_WIDTH_PX} {height}" font-family="monospace" font-size="11">',
        '<rect width="100%" height="100%" fill="#fdfdfd"/>',
        f'<text x="{SVG_WIDTH_PX / 2}" y="{SVG_ROW_PX + 2}" text-anchor="middle" '
        f'font-size="14">{escape(heading)}</text>',
    ]
    all_box = _box(height - SVG_PAD_PX - SVG_ROW_PX, SVG_PAD_PX, total * scale,
                   _Node("all", "", 0, total), total, unit, "#c8c8c8")
    out.append(all_box)
    for d, x, width, node in boxes:
        y = height - SVG_PAD_PX - (d + 1) * SVG_ROW_PX
        ours = node.file.startswith(prefix)
        out.append(_box(y, x, width, node, total, unit, _colour(node.name, ours)))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _box(y: float, x: float, width: float, node: _Node, total: int, unit: str,
         colour: str) -> str:
    where = f" ({node.file}:{node.line})" if node.file else ""
    tip = f"{node.name}{where}: {node.weight:,} {unit}, {node.weight / total:.1%}"
    label = node.name
    fits = int((width - 4) / _CHAR_PX)
    text = ""
    if fits >= 3:
        shown = label if len(label) <= fits else label[: fits - 2] + ".."
        text = f'<text x="{x + 2:.1f}" y="{y + SVG_ROW_PX - 4}">{escape(shown)}</text>'
    return (
        f"<g><title>{escape(tip)}</title>"
        f'<rect x="{x:.1f}" y="{y}" width="{width:.1f}" height="{SVG_ROW_PX - 1}" '
        f"fill={quoteattr(colour)} rx=\"2\"/>{text}</g>"
    )


def _colour(name: str, ours: bool) -> str:
    # Stable per name, so one function keeps its colour across boxes and runs.
    h = sum(ord(c) * (i + 1) for i, c in enumerate(name)) % 60
    if ours:
        return f"rgb(240,{110 + h},{40 + h // 2})"
    return f"rgb({150 + h // 2},{175 + h // 2},210)"


# --- terminal and JSON ------------------------------------------------------------------------


def report_json(report: ProfileReport) -> str:
    from perfopt.models import to_dict

    return jsonout.dumps(to_dict(report), indent=2)


def render_report(report: ProfileReport, console: Console) -> None:
    """The hotspot table: function, file, self %, total %, samples, calls, hot lines."""
    from rich.markup import escape
    from rich.table import Table

    # names come from the user's code and command line: `-k 'x[1]'` is not a style tag
    unit = "µs" if report.unit == "microseconds" else "samples"
    table = Table(
        title=f"Hotspots of {escape(report.workload)} ({report.profiler}, "
        f"{report.samples:,} {unit}, {report.wall_s:.1f} s)",
        title_justify="left",
    )
    table.add_column("#", justify="right", style="dim")
    # fold, not ellipsis: a cut function or file name is no use to look up
    table.add_column("function", style="bold", overflow="fold")
    table.add_column("file", overflow="fold")
    table.add_column("self %", justify="right")
    table.add_column("total %", justify="right")
    table.add_column(unit, justify="right")
    table.add_column("calls", justify="right")
    table.add_column("hot lines")
    for i, h in enumerate(report.hotspots, 1):
        table.add_row(
            str(i),
            escape(h.target.qualname or "<module>"),
            escape(h.target.file),
            f"{h.self_share:.1%}",
            f"{h.total_share:.1%}",
            f"{h.samples:,}",
            "-" if h.calls is None else f"{h.calls:,}",
            " ".join(f"{line}:{share:.0%}" for line, share in h.hot_lines[:3]) or "-",
        )
    console.print(table)
    if report.python is not None:
        from perfopt.interpreter import describe

        console.print(f"python: {describe(report.python)}", highlight=False, markup=False)
    if report.output:
        console.print(f"wrote {report.output}", highlight=False, markup=False)
