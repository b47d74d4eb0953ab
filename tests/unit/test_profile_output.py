"""speedscope, SVG flame graph, table and JSON output of `perfopt profile`, on hand-made
profiles (the real-run checks are in tests/cli/test_profile_cmd.py)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console

from perfopt.errors import UserError
from perfopt.models import Hotspot, Target, from_dict
from perfopt.profilers import Frame, Profile, ProfileReport
from perfopt.profilers.output import (
    MIN_BOX_PX,
    SVG_PAD_PX,
    SVG_WIDTH_PX,
    flamegraph_svg,
    output_format,
    render_report,
    report_json,
    speedscope,
    write_output,
)

SVG = "{http://www.w3.org/2000/svg}"
ROOT = Path("/proj")
MAIN = Frame("/proj/app.py", 9, "<module>")
HOT = Frame("/proj/app.py", 3, "hot")
COLD = Frame("/proj/app.py", 6, "cold")
LIB = Frame("/usr/lib/python3.11/json/encoder.py", 200, "encode")


def sample_profile(profiler: str = "py-spy") -> Profile:
    stacks = (
        ((MAIN, HOT), 60),
        ((MAIN, HOT, LIB), 20),
        ((MAIN, Frame("/proj/app.py", 4, "hot")), 10),  # same function, other line
        ((MAIN, COLD), 9),
        ((MAIN, Frame("/proj/app.py", 7, "tiny")), 1),
    )
    return Profile(profiler, 100, stacks, 1.0, 0, "")


def boxes(svg: str) -> dict[str, list[float]]:
    """function name -> widths of its boxes, read back from the SVG's tooltips."""
    out: dict[str, list[float]] = {}
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        name = g.find(f"{SVG}title").text.split(" (")[0].split(":")[0]
        out.setdefault(name, []).append(float(g.find(f"{SVG}rect").get("width")))
    return out


def test_output_format_by_extension() -> None:
    assert output_format(Path("p.json")) == "speedscope"
    assert output_format(Path("p.speedscope")) == "speedscope"
    assert output_format(Path("P.SVG")) == "flamegraph"
    with pytest.raises(UserError, match=r"\.svg for a flame graph"):
        output_format(Path("p.html"))


def test_speedscope_file_shares_frames_and_keeps_weights() -> None:
    doc = speedscope(sample_profile(), name="proj")
    assert doc["$schema"] == "https://www.speedscope.app/file-format-schema.json"
    frames = doc["shared"]["frames"]
    assert len(frames) == 6  # each distinct (file, line, function) once
    (prof,) = doc["profiles"]
    assert prof["type"] == "sampled" and prof["unit"] == "none"
    assert prof["endValue"] == sum(prof["weights"]) == 100
    assert len(prof["samples"]) == len(prof["weights"]) == 5
    named = [[frames[i]["name"] for i in s] for s in prof["samples"]]
    assert ["<module>", "hot", "encode"] in named
    hot_weight = sum(w for s, w in zip(named, prof["weights"], strict=True) if s[-1] == "hot")
    assert hot_weight == 70
    assert speedscope(sample_profile("cprofile"), "p")["profiles"][0]["unit"] == "microseconds"


def test_flamegraph_widths_follow_weights_and_drop_slivers() -> None:
    svg = flamegraph_svg(sample_profile(), ROOT)
    found = boxes(svg)
    full = SVG_WIDTH_PX - 2 * SVG_PAD_PX
    assert found["all"] == [pytest.approx(full, abs=0.1)]
    # both lines of `hot` merge into one box: 60 + 20 + 10 of 100
    assert found["hot"] == [pytest.approx(full * 0.9, abs=0.1)]
    assert found["encode"] == [pytest.approx(full * 0.2, abs=0.1)]
    assert found["cold"] == [pytest.approx(full * 0.09, abs=0.1)]
    assert "&lt;module&gt;" in svg and "<module>" not in svg  # escaped, still valid XML
    # a box narrower than MIN_BOX_PX is left out
    many = Profile("py-spy", 100_000, (((MAIN, HOT), 99_999), ((MAIN, COLD), 1)), 1.0, 0, "")
    assert 1 / 100_000 * full < MIN_BOX_PX
    assert "cold" not in boxes(flamegraph_svg(many, ROOT))


def test_flamegraph_colours_project_code_apart_from_libraries() -> None:
    root = ET.fromstring(flamegraph_svg(sample_profile(), ROOT))
    fills = {
        g.find(f"{SVG}title").text.split(" (")[0]: g.find(f"{SVG}rect").get("fill")
        for g in root.iter(f"{SVG}g")
    }
    assert fills["hot"].startswith("rgb(240,")  # project: warm
    assert not fills["encode"].startswith("rgb(240,")  # stdlib: cool


def test_write_output_writes_only_the_named_file(tmp_path: Path) -> None:
    svg_path = write_output(sample_profile(), tmp_path / "f.svg", ROOT)
    json_path = write_output(sample_profile(), tmp_path / "f.json", ROOT)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json", "f.svg"]
    assert ET.fromstring(svg_path.read_text()).tag == f"{SVG}svg"
    assert json.loads(json_path.read_text())["profiles"][0]["endValue"] == 100


def make_report(**changes) -> ProfileReport:
    hot = Hotspot(Target("pkg/mod.py", "Cache.lookup_all", span=(10, 30)), 0.42, 0.5, 0.42,
                  samples=420, calls=None, hot_lines=((17, 0.75), (18, 0.25)),
                  callers=("pkg/run.py::main",))
    base = {"project": "/p", "workload": "pytest", "profiler": "py-spy", "unit": "samples",
            "samples": 1000, "wall_s": 2.5, "returncode": 0, "hotspots": (hot,)}
    base.update(changes)
    return ProfileReport(**base)


def test_table_shows_every_column() -> None:
    console = Console(record=True, width=160)
    render_report(make_report(output="/tmp/x.svg"), console)
    text = console.export_text()
    for needle in ("function", "self %", "total %", "calls", "hot lines", "Cache.lookup_all",
                   "pkg/mod.py", "42.0%", "50.0%", "420", "17:75% 18:25%", "wrote /tmp/x.svg"):
        assert needle in text, needle
    console = Console(record=True, width=160)
    render_report(make_report(unit="microseconds", profiler="cprofile"), console)
    assert "µs" in console.export_text()


def test_json_report_round_trips() -> None:
    report = make_report(notes=("py-spy unavailable (x); using cProfile",))
    data = json.loads(report_json(report))
    assert data["hotspots"][0]["target"]["qualname"] == "Cache.lookup_all"
    assert from_dict(ProfileReport, data) == report
