from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from perfopt.verify import workspace
from perfopt.verify.workspace import Workspace, atomic_write

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@needs_git
def test_git_project_honours_gitignore_from_a_subfolder(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    project = repo / "app"
    (project / "pkg").mkdir(parents=True)
    (project / "data").mkdir()
    (repo / ".gitignore").write_text("*.log\ndata/\n")
    (repo / "outside.py").write_text("x = 1\n")
    (project / "pkg" / "mod.py").write_text("def f():\n    return 1\n")
    (project / "gone.py").write_text("")
    (project / "run.log").write_text("noise")
    (project / "data" / "big.bin").write_text("data")
    (project / "new_untracked.py").write_text("")
    _git(repo, "init", "-q")
    _git(repo, "add", "app/pkg/mod.py", "app/gone.py", ".gitignore")
    (project / "gone.py").unlink()  # deleted in the work tree, still in the index

    with Workspace.create(project) as ws:
        assert _files(ws.root) == {"pkg/mod.py", "new_untracked.py"}
        assert ws.root.name == "app"


def test_plain_folder_skips_virtualenvs_and_caches(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    for rel in (
        ".venv/lib/site.py",
        "pkg/__pycache__/m.pyc",
        "pkg/m.py",
        "x.egg-info/PKG-INFO",
        ".perfopt/cache.json",
        "node_modules/a.js",
        "README.md",
    ):
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text("x")
    with Workspace.create(project) as ws:
        assert _files(ws.root) == {"pkg/m.py", "README.md"}


def test_writes_stay_in_the_workspace(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "m.py").write_text("A = 1\n")
    with Workspace.create(project) as ws:
        ws.write("m.py", "A = 2\n")
        ws.write("sub/new.py", "B = 3\n")
        assert ws.read("m.py") == "A = 2\n"
        with ws.clone("cand-1") as cand:
            cand.write("m.py", "A = 3\n")
            assert ws.read("m.py") == "A = 2\n"
            assert cand.read("sub/new.py") == "B = 3\n"
            assert cand.root != ws.root
        with pytest.raises(ValueError):
            ws.write("../escape.py", "")
    assert (project / "m.py").read_text() == "A = 1\n"
    assert sorted(p.name for p in project.iterdir()) == ["m.py"]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_no_temp_dir_left_after_an_exception(tmp_path: Path, error: type[BaseException]) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "m.py").write_text("")
    with pytest.raises(error), Workspace.create(project) as ws:
        holder = ws.root.parent
        clone = ws.clone("c")
        raise error()
    assert not holder.exists()
    clone_holder = clone.root.parent
    assert clone_holder.exists()  # not a context manager: cleanup_all is the safety net
    workspace.cleanup_all()
    assert not clone_holder.exists()
    assert not clone.alive


def test_atomic_write_replaces_and_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "script.py"
    target.write_text("old\r\n")
    os.chmod(target, 0o750)
    atomic_write(target, "new\r\nline\n")
    assert target.read_bytes() == b"new\r\nline\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    assert [p.name for p in tmp_path.iterdir()] == ["script.py"]
