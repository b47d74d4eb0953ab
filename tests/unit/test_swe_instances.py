import json
from pathlib import Path

import pytest

from perfopt.errors import UserError
from perfopt.evals.swefficiency.instances import load_instances, parse_instance

SYMPY = Path(__file__).resolve().parents[2] / "datasets" / "swefficiency" / "sympy"


def _minimal(**changes):
    data = {
        "instance_id": "o__n-1", "repo": "o/n", "base_commit": "abc", "patch": "diff --git a/x",
        "workload": "def setup(): pass\ndef workload(): pass\n", "PASS_TO_PASS": ["t.py::test_a"],
    }
    data.update(changes)
    return data


def test_sympy_folder_loads_with_sdist_and_python_hint():
    insts = load_instances(SYMPY)
    assert [i.instance_id for i in insts] == [
        "sympy__sympy-14772", "sympy__sympy-20228", "sympy__sympy-21006"]
    first = insts[0]
    assert first.sdist is not None and first.sdist.mode == "reverse"
    assert first.sdist.package == "sympy" and first.sdist.version == "1.2"
    assert first.python_hint == "3.6" and insts[1].python_hint == "3.8"
    assert len(first.pass_to_pass) == 38 and first.package == "sympy"
    assert first.speedup and first.speedup > 100


def test_missing_fields_are_named():
    data = _minimal()
    del data["workload"], data["PASS_TO_PASS"]
    with pytest.raises(UserError, match="workload, PASS_TO_PASS"):
        parse_instance(data, "x.json")


def test_string_encoded_lists_and_jsonl(tmp_path):
    lines = [json.dumps(_minimal(instance_id=f"o__n-{k}", PASS_TO_PASS=json.dumps(["a::b"])))
             for k in (1, 2)]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n")
    insts = load_instances(path, ids=("o__n-2",))
    assert [i.instance_id for i in insts] == ["o__n-2"]
    assert insts[0].pass_to_pass == ("a::b",) and insts[0].sdist is None


def test_unknown_id_and_bad_mode(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps(_minimal()))
    with pytest.raises(UserError, match="unknown instance id"):
        load_instances(tmp_path, ids=("nope",))
    bad = _minimal(_pypi_sdist={"release": "x==1", "sha256": "0", "mode": "sideways"})
    with pytest.raises(UserError, match="forward or reverse"):
        parse_instance(bad)
    with pytest.raises(UserError, match="no such instance"):
        load_instances(tmp_path / "missing")
