"""`perfopt profile`, run for real in a subprocess: the table, --json, --output, the cProfile
fallback line, and the acceptance runs on the demo and the hotproj fixture."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "datasets" / "demo"
HOTPROJ = REPO / "tests" / "fixtures" / "hotproj"
DEMO_HOT = {"shop/stats.py::sku_frequencies", "shop/catalog.py::known_orders",
            "shop/jobs.py::run_jobs"}
HOTPROJ_HOT = {"hotproj/textstats.py::word_frequencies",
               "hotproj/geometry.py::PointCloud.closest_pair",
               "hotproj/inventory.py::dedupe_records"}


def perfopt(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # wide enough that rich does not fold function names in the piped table
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "perfopt.cli", "profile", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=240, env=env)


def git_status(path: Path) -> str:
    return subprocess.run(["git", "status", "--porcelain", "--ignored", "--", str(path)],
                          cwd=REPO, capture_output=True, text=True, check=True).stdout


def keys(report: dict, n: int = 5) -> set[str]:
    return {f"{h['target']['file']}::{h['target']['qualname']}" for h in report["hotspots"][:n]}


@pytest.fixture
def small(tmp_path: Path) -> Path:
    proj = tmp_path / "small"
    (proj / "pkg").mkdir(parents=True)
    (proj / "tests").mkdir()
    (proj / "pyproject.toml").write_text("[project]\nname = 'small'\n")
    (proj / "pkg" / "__init__.py").write_text("")
    (proj / "pkg" / "mod.py").write_text(
        "def squares(n):\n    return sum(i * i for i in range(n))\n")
    (proj / "tests" / "test_mod.py").write_text(
        "from pkg.mod import squares\n\n\ndef test_squares():\n"
        "    assert squares(300_000) > 0\n")
    return proj


def test_missing_pyspy_says_so_in_one_line_and_profiles_with_cprofile(small: Path,
                                                                      tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "py-spy"
    proc = perfopt(str(small), "--json", "--py-spy", str(missing))
    assert proc.returncode == 0, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines[0] == (f"perfopt: py-spy unavailable (py-spy not found at {missing}); "
                        "using cProfile")
    # a one-test run: the only other line says the profile is thin, and how to do better
    assert all("too little to rank hotspots on; pass a longer one" in ln for ln in lines[1:])
    report = json.loads(proc.stdout)  # exactly one JSON object on stdout
    assert report["profiler"] == "cprofile"
    assert report["notes"] == [ln.removeprefix("perfopt: ") for ln in lines]
    top = report["hotspots"][0]
    assert top["target"]["qualname"] == "squares" and top["calls"] == 1


def test_unknown_output_extension_is_one_line_error(small: Path, tmp_path: Path) -> None:
    proc = perfopt(str(small), "--output", str(tmp_path / "p.html"))
    assert proc.returncode == 2
    assert [ln for ln in proc.stderr.splitlines() if ln.strip()] == [
        f"perfopt: error: cannot tell the format of {tmp_path / 'p.html'}: use .json or "
        ".speedscope for speedscope, .svg for a flame graph"]
    assert not (tmp_path / "p.html").exists()


@pytest.mark.slow
def test_demo_table_svg_and_clean_tree(tmp_path: Path) -> None:
    before = git_status(DEMO)
    out = tmp_path / "demo.svg"
    proc = perfopt(str(DEMO), "--output", str(out), "--top", "5")
    assert proc.returncode == 0, proc.stderr
    assert git_status(DEMO) == before  # nothing written into the project
    assert [p.name for p in tmp_path.iterdir()] == ["demo.svg"]
    header = proc.stdout.splitlines()[0]
    assert header.startswith("Hotspots of pytest (") and ("py-spy" in header)
    for name in ("sku_frequencies", "known_orders", "run_jobs", "self %", "hot lines"):
        assert name in proc.stdout
    svg = ET.fromstring(out.read_text())
    titles = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}title")]
    assert any(t.startswith(f"sku_frequencies ({DEMO}/shop/stats.py:") for t in titles)


@pytest.mark.slow
def test_demo_three_hotspots_in_top_five_json() -> None:
    proc = perfopt(str(DEMO), "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["profiler"] == "py-spy" and report["returncode"] == 0
    assert DEMO_HOT <= keys(report)


@pytest.mark.slow
def test_hotproj_three_hotspots_in_top_five_and_speedscope(tmp_path: Path) -> None:
    # hotproj's tests are check_*.py (so perfopt's own run skips them), which discovery's
    # test_*.py check does not count: name the workload.
    out = tmp_path / "hot.speedscope"
    proc = perfopt(str(HOTPROJ), "--json", "--output", str(out),
                   "--workload", f"{sys.executable} -m pytest -q -p no:cacheprovider")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert HOTPROJ_HOT <= keys(report)
    doc = json.loads(out.read_text())
    names = {f["name"] for f in doc["shared"]["frames"]}
    assert {"word_frequencies", "PointCloud.closest_pair", "dedupe_records"} <= names
    assert doc["profiles"][0]["endValue"] == report["samples"]
