"""Correctness against gold key facts (eval.correctness): the reader's verdict."""

from __future__ import annotations

from eval import correctness as c


def test_key_facts_are_whole_words_and_numbers_lose_separators():
    assert c.states("Moscow deployed almost 2,000 peacekeepers [3].", "2000")
    assert not c.states("It lasted 44 days.", "4")
    assert c.states("Russia's Defense Ministry said", "russia defense ministry")
    assert not c.states("Russian-brokered", "russia")


def test_grade_needs_every_key_fact_and_no_forbidden_claim():
    facts = [["russia", "russian", "moscow"]]
    assert c.grade("A Russian-brokered agreement [1].", False, True, facts).outcome == "correct"
    wrong = c.grade("Azerbaijan brokered it [1].", False, True, facts, ["azerbaijan brokered"])
    assert wrong.outcome == "wrong" and wrong.missing == facts
    swapped = c.grade(
        "Azerbaijan brokered it, not Russia [1].", False, True, facts, ["azerbaijan brokered"]
    )
    assert swapped.outcome == "wrong" and swapped.forbidden == ["azerbaijan brokered"]
    assert c.grade("", True, True, facts).outcome == "refused"
    assert c.grade("", True, False, []).outcome == "refused"
    assert c.grade("Paris [1].", False, False, []).outcome == "answered"


def test_rates_and_verifier_agreement():
    rows = [
        {"id": "a", "answerable": True, "outcome": "correct", "raw_outcome": "correct"},
        {"id": "b", "answerable": True, "outcome": "wrong", "raw_outcome": "wrong"},
        {"id": "c", "answerable": True, "outcome": "refused", "raw_outcome": "correct"},
        {"id": "d", "answerable": True, "outcome": "refused", "raw_outcome": "wrong"},
        {"id": "e", "answerable": False, "outcome": "refused"},
        {"id": "f", "answerable": False, "outcome": "answered"},
    ]
    rates = c.outcome_rates(rows)
    assert (rates["correct"], rates["wrong"], rates["refused"]) == (0.25, 0.25, 0.5)
    assert rates["refusal_accuracy"] == 0.5 and rates["n_answerable"] == 4
    agreement = c.verifier_agreement(rows)
    assert agreement["verifier_correctness_agreement"] == 0.5
    assert agreement["disagreements"] == {"passed_wrong": ["b"], "stopped_correct": ["c"]}
