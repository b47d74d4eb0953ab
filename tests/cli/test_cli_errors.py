"""Bad input gets one line that says what to do, exit 2, and no traceback (real subprocess)."""

import subprocess
import sys

import pytest


def perfopt(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "perfopt.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def assert_one_line_error(proc, needle):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert needle in lines[0]
    assert proc.stdout == ""


def test_nonexistent_path():
    assert_one_line_error(perfopt("optimize", "/nonexistent/project"), "does not exist")


def test_syntax_error_in_project(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("def f(:\n    return 1\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_mod.py").write_text("def test_x():\n    assert True\n")
    proc = perfopt("optimize", str(tmp_path))
    assert_one_line_error(proc, "pkg/mod.py:1")
    assert "syntax" in proc.stderr


def test_project_without_tests(tmp_path):
    (tmp_path / "mod.py").write_text("def f():\n    return 1\n")
    assert_one_line_error(perfopt("optimize", str(tmp_path)), "--workload")


def test_bad_config_value(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.perfopt]\ntop = 0\n")
    (tmp_path / "mod.py").write_text("def f():\n    return 1\n")
    assert_one_line_error(perfopt("optimize", str(tmp_path)), "top must be >= 1")


def test_non_python_file(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("hello")
    assert_one_line_error(perfopt("optimize", str(f)), "not a Python file")


@pytest.mark.parametrize("args", [["--help"], ["optimize", "--help"]])
def test_help_explains_apply_policy(args):
    proc = perfopt(*args)
    assert proc.returncode == 0
    assert "--apply" in proc.stdout or "--apply" in proc.stdout.replace("\n", " ")
