"""Bad input gets one line that says what to do, exit 2, and no traceback (real subprocess)."""

import os
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


@pytest.mark.parametrize(("args", "needle"), [
    (["profile", "--help"], "[auto]"),
    (["bench", "--help"], "[working tree]"),
    (["stress", "--help"], "[tool.perfopt]"),
])
def test_help_keeps_bracketed_defaults(args, needle):
    # rich reads "[auto]" or "[tool.perfopt]" as a style tag and drops it unless escaped
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")}
    env.update(NO_COLOR="1", COLUMNS="200")  # one line per option, no colour codes
    proc = subprocess.run([sys.executable, "-m", "perfopt.cli", *args], capture_output=True,
                          text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert needle in proc.stdout, proc.stdout


def test_an_error_naming_the_config_table_keeps_its_name(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool]\nperfopt = 3\n")
    (tmp_path / "mod.py").write_text("def f():\n    return 1\n")
    assert_one_line_error(perfopt("optimize", str(tmp_path)), "[tool.perfopt] in ")


def test_skill_cards_print_code_as_written():
    proc = perfopt("skills", "show", "sieve-of-eratosthenes")
    assert proc.returncode == 0, proc.stderr
    assert "if is_p[i]:" in proc.stdout, proc.stdout
