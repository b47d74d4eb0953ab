"""Issue 30's acceptance 3: one generator is the model seam. Prompts are built and replies
parsed only in perfopt.llm, reached by the loop only through perfopt.generate.Generator;
every target kind and the evals (the SWE-fficiency adapter included) get generation,
refinement, the guard and the skill plan through the pipeline and that one class."""

from __future__ import annotations

import ast

from tests.unit.test_structure import graph, modules

SEAM = "perfopt.generate"
# outside the run: `perfopt skills mine` asks the model to explain slow->fast pairs as
# cards (its prompt, mine_skill, is rendered in perfopt.llm.engine.ask); `perfopt doctor`
# checks the endpoint with the client itself, before any run
OFF_THE_RUN = {"perfopt.skills.mining", "perfopt.cli.skills", "perfopt.cli.doctor"}


def test_only_the_seam_reaches_the_model_package() -> None:
    g = graph()
    users = {m for m, deps in g.items() if any(d.startswith("perfopt.llm") for d in deps)
             and not m.startswith("perfopt.llm")}
    assert users - OFF_THE_RUN == {SEAM}, users


def test_prompts_and_parsing_live_in_the_model_package() -> None:
    g = graph()
    inner = ("perfopt.llm.prompts", "perfopt.llm.parse", "perfopt.llm.engine",
             "perfopt.llm.client")
    outside = {m: sorted(d for d in deps if d.startswith(inner)) for m, deps in g.items()
               if not m.startswith("perfopt.llm") and m != SEAM and m not in OFF_THE_RUN}
    assert {m: v for m, v in outside.items() if v} == {}
    # the prompt templates are rendered in one place
    renders = {m for m, deps in g.items() if "perfopt.llm.prompts" in deps}
    assert renders <= {"perfopt.llm.engine", "perfopt.llm", "perfopt.llm.prompts"}, renders


def test_one_generator_class_for_every_target_kind() -> None:
    tree = ast.parse(modules()[SEAM].read_text(encoding="utf-8"))
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert classes == ["Generator"]
    methods = {n.name for c in tree.body if isinstance(c, ast.ClassDef)
               for n in c.body if isinstance(n, ast.FunctionDef)}
    assert {"candidates", "refine", "stress_code"} <= methods
    g = graph()
    # the loop asks the Generator it is handed; the entry points and adapters make it
    for entry in ("perfopt.commands.optimize", "perfopt.evals.swefficiency.adapter",
                  "perfopt.evals.pie.runner"):
        assert SEAM in g[entry], entry
        assert "perfopt.pipeline" in g[entry], entry
    assert not any(d.startswith("perfopt.llm") for d in g["perfopt.pipeline"])
