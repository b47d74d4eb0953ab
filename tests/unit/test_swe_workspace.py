import hashlib
import subprocess
import tarfile
from pathlib import Path

import pytest

from perfopt.errors import UserError
from perfopt.evals.swefficiency.instances import Instance, SdistSpec
from perfopt.evals.swefficiency.venvs import candidate_pythons
from perfopt.evals.swefficiency.workspace import (
    apply_patch,
    clone_at,
    fetch_sdist,
    prepare_pre_tree,
)

PATCH = """\
diff --git a/pkg/mod.py b/pkg/mod.py
--- a/pkg/mod.py
+++ b/pkg/mod.py
@@ -1,2 +1,2 @@
 def f(a, p):
-    return pow(a % p, (p - 1) // 2) % p
+    return pow(a, (p - 1) // 2, p)
"""
OLD = "def f(a, p):\n    return pow(a % p, (p - 1) // 2) % p\n"
NEW = "def f(a, p):\n    return pow(a, (p - 1) // 2, p)\n"


def _instance(**changes):
    base = dict(instance_id="toy__pkg-1", repo="toy/pkg", base_commit="", patch=PATCH,
                workload="", pass_to_pass=())
    base.update(changes)
    return Instance(**base)


def _tree(root: Path, text: str) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text(text)
    return root


def test_patch_forward_reverse_and_failure_leaves_tree_untouched(tmp_path):
    tree = _tree(tmp_path / "t", OLD)
    assert apply_patch(tree, PATCH).ok
    assert (tree / "pkg/mod.py").read_text() == NEW
    assert not apply_patch(tree, PATCH).ok  # already applied: refused, not doubled
    assert (tree / "pkg/mod.py").read_text() == NEW
    assert apply_patch(tree, PATCH, reverse=True).ok
    assert (tree / "pkg/mod.py").read_text() == OLD
    assert not list(tree.rglob("*.orig")) and not list(tree.rglob("*.rej"))


def _sdist(cache: Path, text: str) -> tuple[Path, str]:
    src = _tree(cache.parent / "src" / "toy-1.0", text)
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / "toy-1.0.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(src, arcname="toy-1.0")
    return archive, hashlib.sha256(archive.read_bytes()).hexdigest()


def test_sdist_reverse_mode_recreates_pre_edit_state(tmp_path):
    cache = tmp_path / "cache"
    _, digest = _sdist(cache, NEW)  # the release already holds the fix
    inst = _instance(sdist=SdistSpec("toy==1.0", digest, "reverse"))
    pre = prepare_pre_tree(inst, tmp_path / "work", "pypi-sdist", cache=cache, repos=None,
                           pip_python="python3")
    assert (pre / "pkg/mod.py").read_text() == OLD
    assert (pre / ".perfopt-ready").is_file()


def test_sdist_checksum_mismatch_is_a_user_error(tmp_path):
    cache = tmp_path / "cache"
    archive, _ = _sdist(cache, OLD)
    with pytest.raises(UserError, match="sha256"):
        fetch_sdist(SdistSpec("toy==1.0", "0" * 64), cache, "python3")
    assert archive.exists()


def _git(cwd: Path, *args: str) -> str:
    out = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd,
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def test_git_source_checks_out_base_commit_and_applies_with_git(tmp_path):
    mirror = _tree(tmp_path / "repos" / "toy__pkg", OLD)
    _git(mirror, "init", "-q")
    _git(mirror, "add", ".")
    _git(mirror, "commit", "-q", "-m", "base")
    base = _git(mirror, "rev-parse", "HEAD")
    (mirror / "pkg/mod.py").write_text("def f(a, p):\n    return 0\n")
    _git(mirror, "commit", "-q", "-am", "later")
    inst = _instance(base_commit=base)
    pre = prepare_pre_tree(inst, tmp_path / "work", "git", cache=tmp_path, repos=tmp_path /
                           "repos", pip_python="python3")
    assert (pre / "pkg/mod.py").read_text() == OLD
    result = apply_patch(pre, PATCH)
    assert result.ok and result.tool == "git apply"
    with pytest.raises(UserError, match="no mirror"):
        clone_at(_instance(repo="x/y"), tmp_path / "repos", tmp_path / "other")


def test_python_order_hint_then_classifiers_then_newest(tmp_path):
    (tmp_path / "setup.py").write_text(
        "setup(python_requires='>=3.6',\n classifiers=['Programming Language :: Python :: 3.7',"
        "'Programming Language :: Python :: 3.8'])\n")
    installed = [((3, 11, 7), "/py311"), ((3, 8, 18), "/py38"), ((3, 7, 16), "/py37"),
                 ((3, 5, 9), "/py35")]
    assert candidate_pythons(tmp_path, "3.7", installed) == ["/py37", "/py38", "/py311"]
    assert candidate_pythons(tmp_path, None, installed)[0] == "/py38"
