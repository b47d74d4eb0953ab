"""The skill library: built-in cards load and validate; bad cards name file and field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from perfopt.errors import UserError
from perfopt.models import Skill, from_dict, to_dict
from perfopt.skills.codemods import CODEMODS
from perfopt.skills.library import card_body, get_skill, load_skills, parse_card

GOOD = textwrap.dedent(
    """\
    ---
    id: my-skill
    kind: meta
    languages: [python]
    title: A title
    mechanism: Why it is faster.
    triggers: [a loop]
    example:
      before: |
        x = 1
      after: |
        x = 2
    pitfalls: [none]
    impact: 2
    source: tests
    ---
    Free text.
    """
)


def test_builtin_cards_load_and_are_complete():
    skills = load_skills()
    ids = [s.id for s in skills]
    assert len(ids) == len(set(ids)) >= 55
    assert all(isinstance(s, Skill) and s.title and s.mechanism and s.source for s in skills)
    python = [s for s in skills if "python" in s.languages]
    cpp = [s for s in skills if "cpp" in s.languages]
    assert len(python) >= 40 and len(cpp) >= 15
    # every codemod has its card, and the card names it
    by_codemod = {s.codemod: s for s in skills if s.codemod}
    assert set(by_codemod) == set(CODEMODS)
    assert all(by_codemod[name].id == CODEMODS[name].skill_id for name in CODEMODS)
    for skill in skills:
        assert skill.kind in ("operator", "meta")
        assert skill.example_before and skill.example_after and skill.pitfalls
        assert from_dict(Skill, to_dict(skill)) == skill


def test_card_examples_in_python_compile():
    for skill in load_skills():
        if skill.languages == ("python",) and "..." not in skill.example_before:
            compile(skill.example_before, skill.id, "exec")
            compile(skill.example_after, skill.id, "exec")


def test_load_is_cached():
    assert load_skills() is load_skills()


def test_get_skill_and_close_matches():
    assert get_skill("list-pop0-to-deque").codemod == "list-pop0-to-deque"
    with pytest.raises(UserError, match="did you mean list-pop0-to-deque"):
        get_skill("list-pop0-deque")
    with pytest.raises(UserError, match="perfopt skills list"):
        get_skill("zzzzzzzz")


def test_card_body():
    body = card_body("list-membership-to-set")
    assert body.startswith("The codemod hoists") and "---" not in body
    with pytest.raises(UserError):
        card_body("no-such-card")


def test_extra_paths_add_cards(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "my-skill.md").write_text(GOOD)
    skills = load_skills((str(tmp_path),))
    assert skills[-1].id == "my-skill"
    assert skills[-1].example_before == "x = 1\n" and skills[-1].impact == 2.0
    assert get_skill("my-skill", (str(tmp_path),)).title == "A title"
    assert card_body("my-skill", (str(tmp_path),)) == "Free text."


def test_duplicate_id_names_both_files(tmp_path: Path):
    (tmp_path / "prefix-sums.md").write_text(GOOD.replace("id: my-skill", "id: prefix-sums"))
    with pytest.raises(UserError, match="defined twice: cards/python/prefix-sums.md"):
        load_skills((str(tmp_path),))


def test_missing_extra_path():
    with pytest.raises(UserError, match="does not exist"):
        load_skills(("/no/such/folder",))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("kind: meta", "kind: magic"), "'kind'"),
        (("languages: [python]", "languages: [cobol]"), "'languages'"),
        (("languages: [python]\n", ""), "missing field 'languages'"),
        (("title: A title", "title: ''"), "'title'"),
        (("triggers: [a loop]", "triggers: a loop"), "'triggers'"),
        (("pitfalls: [none]", "pitfalls: [{a: 1}]"), "'pitfalls'"),
        (("impact: 2", "impact: fast"), "'impact'"),
        (("source: tests", "source: tests\ncodemod: nope"), "unknown codemod 'nope'"),
        (("source: tests", "source: tests\nspeed: 3"), "unknown field 'speed'"),
        (("id: my-skill", "id: other"), "must match the file name"),
        (("  after: |", "  later: |"), "'example'"),
        (("title: A title", "title: [unclosed"), "invalid YAML"),
    ],
)
def test_malformed_cards_name_file_and_field(change, field):
    old, new = change
    assert old in GOOD
    with pytest.raises(UserError, match="my-skill.md") as info:
        parse_card(GOOD.replace(old, new), "x/my-skill.md")
    assert field in str(info.value)


def test_card_without_front_matter():
    with pytest.raises(UserError, match="must start with '---'"):
        parse_card("# just markdown\n", "x/a.md")
    with pytest.raises(UserError, match="not closed"):
        parse_card("---\nid: a\n", "x/a.md")
