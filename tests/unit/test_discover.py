import pytest

from perfopt.discover import discover, is_test_file, pytest_file_patterns
from perfopt.errors import TargetError


def make(tmp_path, files):
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def test_pytest_python_files_setting_is_honoured(tmp_path):
    root = make(tmp_path, {
        "pyproject.toml": "[tool.pytest.ini_options]\npython_files = ['check_*.py']\n",
        "pkg/mod.py": "def f():\n    return 1\n",
        "bench/check_mod.py": "def test_f():\n    assert True\n",
    })
    assert pytest_file_patterns(root) == ("check_*.py",)
    project = discover(root)
    assert project.workload.kind == "pytest"
    assert "bench/check_mod.py" in project.test_files


def test_default_patterns_and_no_tests_error(tmp_path):
    root = make(tmp_path, {"pkg/mod.py": "x = 1\n", "pkg/check_mod.py": "x = 2\n"})
    assert not is_test_file("pkg/check_mod.py")
    assert is_test_file("pkg/test_mod.py") and is_test_file("tests/helpers.py")
    with pytest.raises(TargetError, match="--workload"):
        discover(root)


def test_a_file_path_focuses_the_run(tmp_path):
    root = make(tmp_path, {"pyproject.toml": "", "pkg/mod.py": "x = 1\n",
                           "tests/test_mod.py": "def test_x(): pass\n"})
    project = discover(root / "pkg" / "mod.py")
    assert project.root == root.resolve() and project.focus == "pkg/mod.py"
