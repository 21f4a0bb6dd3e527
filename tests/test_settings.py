"""Settings reach everything: a `GLOSSARY_RAG_*` variable read by `Settings.from_env` changes what the engine
does, through the same path the app and the CLI load it by (`Engine.load`). The library has no
`settings or Settings()` fall-back left, so a component built without the caller's settings is a TypeError,
not a silent default; these tests show each setting the change touched taking effect. (The IVF settings:
tests/test_index.py.)"""

from __future__ import annotations

import ast

import pytest

from glossary_rag.engine import Engine
from glossary_rag.query import parse_query
from glossary_rag.settings import PROJECT_ROOT, Settings


def engine_with(env: dict[str, str], encoder) -> Engine:
    return Engine.load(Settings.from_env(env), encoder=encoder)


def name_score(engine: Engine, query: str, term: str) -> float:
    return next(hit.name for hit in engine.search(query, 10).hits if hit.term == term)


@pytest.fixture(scope="module")
def default(encoder) -> Engine:
    return engine_with({}, encoder)


@pytest.mark.parametrize("env, changed", [
    # "wieght" is past the speller (no same-letter word within its cutoff) but within the name cutoff (82).
    ({"GLOSSARY_RAG_FUZZY_NAME_CUTOFF": "95"}, 0.0),
    # ... and 6 letters long: a minimum length of 7 leaves it to exact matching only.
    ({"GLOSSARY_RAG_FUZZY_MIN_LENGTH": "7"}, 0.0),
])
def test_the_fuzzy_name_settings_change_what_a_typo_matches(default, encoder, env, changed):
    assert name_score(default, "wieght", "Weight") == pytest.approx(0.833, abs=1e-3)
    assert name_score(engine_with(env, encoder), "wieght", "Weight") == changed


def test_example_quality_is_the_score_of_a_named_example(default, encoder):
    # "sigmoid" is one of Activation Function's examples, not one of its names.
    assert name_score(default, "sigmoid", "Activation Function") == pytest.approx(Settings().example_quality)
    changed = engine_with({"GLOSSARY_RAG_EXAMPLE_QUALITY": "0.9"}, encoder)
    assert name_score(changed, "sigmoid", "Activation Function") == pytest.approx(0.9)


def test_the_fuzzy_word_cutoff_decides_which_typos_count_as_glossary_words(default, encoder):
    """The out-of-scope evidence: "dropuot" counts as a typo of a glossary word at the default cutoff (85),
    "bayes" never does; at 99 neither does."""
    query = parse_query("dropuot of bayes")
    assert default.retriever.gather(query)[0].unknown_share == 0.5
    strict = engine_with({"GLOSSARY_RAG_FUZZY_WORD_CUTOFF": "99"}, encoder)
    assert strict.retriever.gather(query)[0].unknown_share == 1.0


def test_nearby_min_dense_decides_which_entries_an_abstention_offers(encoder):
    # The bar alone decides: with no bar a declined question offers the entries nearest it, with an
    # impossible one it offers none, and the question is declined either way.
    question = "how do decision trees pick a split"
    near = engine_with({"GLOSSARY_RAG_NEARBY_MIN_DENSE": "0.0"}, encoder).ask(question)
    assert near.kind == "abstain" and near.citations
    far = engine_with({"GLOSSARY_RAG_NEARBY_MIN_DENSE": "0.99"}, encoder).ask(question)
    assert far.kind == "abstain" and far.citations == ()


def test_no_module_falls_back_to_default_settings():
    """`settings or Settings()` (and `Settings | None = None` parameters) hid the caller's settings: the
    module then ran on defaults whatever the server was configured with."""
    offenders = []
    for path in sorted((PROJECT_ROOT / "glossary_rag").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or)
                    and any(isinstance(v, ast.Call) and getattr(v.func, "id", "") == "Settings" for v in node.values)):
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno}")
    assert offenders == []
