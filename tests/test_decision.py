"""The decision: whole results for hand-made evidence, fitting that is deterministic and learns what the
data says, and the shipped parameters refit exactly from the tune set."""

from __future__ import annotations

import json

import numpy as np
import pytest

from glossary_rag import decision as d
from glossary_rag.decision import (CANDIDATE_FEATURES, QUERY_FEATURES, Decision, DecisionModel, Evidence, decide,
                                   load_decision_model)
from glossary_rag.fitting import Example, fit_decision
from glossary_rag.settings import PROJECT_ROOT


def make_evidence(name=(1.0, 0.0, 0.5), dense=(0.8, 0.6, 0.7), intent="define", enriched=True) -> Evidence:
    n = len(name)
    return Evidence(intent=intent, n_words=2, unknown_share=0.0, enriched=enriched, candidates=np.arange(n),
                    dense=np.array(dense), by_kind=np.zeros((n, len(d.KINDS))), lexical=np.zeros(n),
                    name=np.array(name), name_at_start=np.zeros(n), mentioned=np.zeros(n), best_dense=max(dense),
                    second_dense=sorted(dense)[-2], lexical_top=0.0)


def hand_model(**changes) -> DecisionModel:
    """Rank by name match only (logit = name - 2); covered = sigmoid(10 * best_dense - 5)."""
    rank = tuple(1.0 if f == "name" else 0.0 for f in CANDIDATE_FEATURES)
    scope = tuple(10.0 if f == "best_dense" else 0.0 for f in QUERY_FEATURES)
    fields = dict(rank_features=CANDIDATE_FEATURES, rank_coef=rank, rank_intercept=-2.0,
                  rank_mean=(0.0,) * len(rank), rank_scale=(1.0,) * len(rank), scope_features=QUERY_FEATURES,
                  scope_coef=scope, scope_intercept=-5.0, scope_mean=(0.0,) * len(scope),
                  scope_scale=(1.0,) * len(scope), abstain_below=0.5, abstain_below_plain=0.5, high_from=0.7,
                  medium_from=0.2,
                  ambiguity_margin=0.1)
    return DecisionModel(**(fields | changes))


def test_decide_ranks_judges_and_grades_one_query():
    assert decide(hand_model(), make_evidence()) == Decision(
        order=(0, 2, 1), relevance=(0.2689, 0.1824, 0.1192), covered=0.9526, abstained=False,
        confidence="medium", ambiguous=False)


def test_far_from_everything_abstains_with_low_confidence():
    assert decide(hand_model(), make_evidence(name=(0.5, 0.0, 0.3), dense=(0.3, 0.2, 0.1))) == Decision(
        order=(0, 2, 1), relevance=(0.1824, 0.1545, 0.1192), covered=0.1192, abstained=True,
        confidence="low", ambiguous=False)


def test_a_query_that_names_an_entry_is_never_abstained_on():
    # Far in meaning (an acronym such as "BCE" embeds poorly), but the name matches exactly.
    result = decide(hand_model(), make_evidence(dense=(0.3, 0.2, 0.1)))
    assert result.covered == 0.1192 and not result.abstained and result.order[0] == 0


def test_close_unnamed_answers_ask_did_you_mean():
    result = decide(hand_model(), make_evidence(name=(0.5, 0.45, 0.0)))
    assert result.order == (0, 1, 2) and result.ambiguous and not result.abstained
    # The same margin, but the first answer is named: no question.
    assert not decide(hand_model(), make_evidence(name=(0.9, 0.88, 0.0))).ambiguous


def synthetic_examples(seed: int, n: int = 300) -> list[Example]:
    """Queries whose right answer is the candidate with the best name match; out of scope when dense is low."""
    rng = np.random.default_rng(seed)
    examples = []
    for i in range(n):
        name, dense = rng.random(6) * 0.8, rng.random(6) * 0.3 + 0.2
        in_scope = i % 4 != 0
        if in_scope:
            dense[rng.integers(6)] += 0.4
        gold = frozenset({int(np.argmax(name))}) if in_scope else frozenset()
        examples.append(Example(make_evidence(tuple(name), tuple(dense), intent="question"), gold,
                                "question" if in_scope else "out_of_scope"))
    return examples


def test_fitting_is_deterministic_and_learns_the_rule():
    first, second = fit_decision(synthetic_examples(0)), fit_decision(synthetic_examples(0))
    assert first == second
    held_out = synthetic_examples(1, 200)
    right = [decide(first, e.evidence).order[0] in e.gold for e in held_out if e.gold]
    abstained = [decide(first, e.evidence).abstained for e in held_out if not e.gold]
    assert np.mean(right) > 0.9 and np.mean(abstained) > 0.8
    assert first.tune["abstention"]["enriched"]["false_abstain_rate"] <= 0.03


def test_shipped_parameters_match_the_features_and_say_how_they_were_set():
    model = load_decision_model()
    assert model.rank_features == CANDIDATE_FEATURES and model.scope_features == QUERY_FEATURES
    assert len(model.rank_coef) == len(CANDIDATE_FEATURES) and len(model.scope_coef) == len(QUERY_FEATURES)
    assert set(model.tune) == {"examples", "abstention", "ambiguity", "confidence_bands"}
    assert 0.0 < model.abstain_below < 1.0


def test_a_broken_parameter_file_names_itself_and_the_fix(tmp_path):
    broken = tmp_path / "decision.json"
    broken.write_text('{"rank_coef": [1', encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"decision\.json.*scripts/fit_decision\.py"):
        load_decision_model(broken)


def rounded(value, places: int = 6):
    """`value` with every float rounded, so two fits compare equal up to float noise."""
    if isinstance(value, float):
        return round(value, places)
    if isinstance(value, dict):
        return {k: rounded(v, places) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, places) for v in value]
    return value


@pytest.mark.slow
def test_the_committed_decision_refits_exactly_from_the_tune_set(engine):
    # Reproducible fitting, and a guard: an edited glossary or encoder without a refit fails here.
    from glossary_rag.fitting import fit_on_queries

    refit = json.loads(json.dumps(fit_on_queries(engine, PROJECT_ROOT / "eval" / "tune_queries.jsonl").model_dump()))
    committed = json.loads((PROJECT_ROOT / "glossary_rag" / "decision.json").read_text(encoding="utf-8"))
    assert rounded(refit, 5) == rounded(committed, 5)
