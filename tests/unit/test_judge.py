"""eval.judge: the judge on tiny hand-made sources, with a hashed bag-of-words embedder."""

from __future__ import annotations

import asyncio
import concurrent.futures

import pytest

from eval import judge as fa
from eval.suites import ragtruth
from tests.fakes import FakeLlama, FixedYesNo, WordHashEmbedder

SOURCE = (
    "Mayor Anna Keller opened the new bridge in Riverton on Monday. "
    "The bridge cost 12 million dollars and took three years to build. "
    "It does not carry cars; it is open only to cyclists and pedestrians."
)


@pytest.fixture()
def judge() -> fa.Judge:
    return fa.Judge(WordHashEmbedder())


def _claim(verdicts: fa.Verdicts, needle: str) -> fa.ClaimVerdict:
    return next(c for c in verdicts.claims if needle in c.claim)


def test_supported_answer_passes_with_evidence_offsets(judge: fa.Judge) -> None:
    answer = "Anna Keller opened the new bridge in Riverton on Monday. It cost 12 million dollars."
    verdicts = judge.check([SOURCE], answer)
    assert verdicts.faithful
    assert [c.verdict for c in verdicts.claims] == ["supported", "supported"]
    first = verdicts.claims[0]
    assert first.evidence is not None and first.evidence.source == 0
    ev = first.evidence
    assert SOURCE[ev.start : ev.end] == ev.text
    assert "Riverton" in ev.text
    assert answer[first.start : first.end] == first.claim
    assert 0.0 <= verdicts.score <= 1.0


def test_invented_number_is_flagged_with_answer_span(judge: fa.Judge) -> None:
    answer = "Anna Keller opened the bridge in Riverton. The bridge cost 45 million dollars."
    verdicts = judge.check(SOURCE, answer)
    assert not verdicts.faithful
    bad = _claim(verdicts, "45 million")
    assert bad.verdict in ("unsupported", "conflicting")
    assert any("45" in r for r in bad.reasons)
    assert bad.unsupported, "an unsupported claim must say where in the answer"
    for span in bad.unsupported:
        assert answer[span.start : span.end] == span.text
        assert span.start >= bad.start and span.end <= bad.end
    assert _claim(verdicts, "Anna Keller").verdict == "supported"
    assert verdicts.unsupported_spans == bad.unsupported


def test_invented_name_is_flagged(judge: fa.Judge) -> None:
    verdicts = judge.check(SOURCE, "Governor Peter Mendez opened the bridge in Riverton.")
    claim = verdicts.claims[0]
    assert claim.verdict != "supported"
    assert any("Mendez" in r for r in claim.reasons)


def test_negated_fact_scores_low_and_is_called_conflicting() -> None:
    record = fa.record_to_text({"name": "Cafe Blue", "WiFi": False, "OutdoorSeating": True})
    calibrated = fa.Judge(WordHashEmbedder())
    bad = calibrated.check([record], "Cafe Blue offers WiFi.").claims[0]
    good = calibrated.check([record], "Cafe Blue has outdoor seating.").claims[0]
    assert bad.score < good.score
    assert any("wifi" in r.lower() for r in bad.reasons)
    assert good.verdict == "supported"
    # once a claim is flagged, a fact the sources negate makes it a conflict, not a gap
    strict = fa.Judge(WordHashEmbedder(), config=fa.JudgeConfig(claim_threshold=0.4, threshold=0.4))
    flagged = strict.check([record], "Cafe Blue offers WiFi.")
    assert not flagged.faithful
    assert flagged.claims[0].verdict == "conflicting"


def test_times_match_across_formats(judge: fa.Judge) -> None:
    record = fa.record_to_text({"name": "Deli", "hours": {"Friday": "8:0-20:0"}})
    good = judge.check([record], "On Friday the Deli is open from 8 AM to 8 PM.")
    bad = judge.check([record], "On Friday the Deli is open from 8 AM to 10 PM.")
    assert good.claims[0].features["missing_numbers"] == 0
    assert bad.claims[0].features["missing_numbers"] >= 1
    assert good.score > bad.score


def test_use_llm_without_llm_is_an_error(judge: fa.Judge) -> None:
    with pytest.raises(ValueError):
        judge.check(SOURCE, "The bridge opened.", use_llm=True)


def test_record_to_text_is_readable() -> None:
    text = fa.record_to_text(
        {
            "name": "Taffy's Pizza",
            "hours": {"Monday": "0:0-0:0", "Tuesday": "11:30-20:0"},
            "attributes": {
                "WiFi": "free",
                "RestaurantsTakeOut": False,
                "Ambience": {"casual": True, "romantic": False},
            },
            "business_stars": 4.0,
        }
    )
    assert "Name: Taffy's Pizza." in text
    assert "monday: closed" in text and "tuesday: 11:30 to 20:00" in text
    assert "Wifi: free." in text
    assert "Takeout: no." in text
    assert "Ambience: casual: yes, romantic: no." in text
    assert "Business stars: 4." in text


def test_split_sentences_keeps_abbreviations() -> None:
    text = "It is at 1201 State St. in Santa Barbara. The U.S. team won 3.5 to 2! Next one"
    parts = [text[s:e] for s, e in fa.split_sentences(text)]
    assert parts == [
        "It is at 1201 State St. in Santa Barbara.",
        "The U.S. team won 3.5 to 2!",
        "Next one",
    ]


def test_stem_and_numbers_normalise() -> None:
    assert fa.stem("customers") == fa.stem("customer")
    assert fa.stem("Wi-Fi") == fa.stem("WiFi")
    keys = {k for t in fa.tokenize("$1,200.00 and 45% at 7:30pm") for k in t.keys}
    assert {"1200", "45", "19:30"} <= keys


def test_llm_yes_no_reads_logits_and_reuses_the_source_prefix() -> None:
    fake = FakeLlama()
    yn = fa.LlamaYesNo(fake)
    source = "the bridge cost twelve million"
    assert yn.p_yes(source, "bridge cost twelve million") > 0.9
    first_cost = fake.evaluated
    assert yn.p_yes(source, "bridge cost forty million") < 0.1
    assert fake.evaluated - first_cost < first_cost, "the shared source prefix must be reused"


def test_judge_with_llm_uses_its_answer() -> None:
    cfg = fa.JudgeConfig(weights_llm={"bias": 0.0, "fast_logit": 0.0, "llm_logit": -3.0})
    stub = FixedYesNo(0.01)
    judge = fa.Judge(WordHashEmbedder(), stub, cfg)
    answer = "Anna Keller opened the new bridge in Riverton on Monday."
    fast = fa.Judge(WordHashEmbedder()).check(SOURCE, answer)
    slow = judge.check(SOURCE, answer)
    assert stub.calls == 1 and slow.used_llm
    assert fast.faithful and not slow.faithful
    assert "llm_logit" in slow.claims[0].features


def test_llamaindex_evaluator() -> None:
    from llama_index.core.evaluation import BaseEvaluator

    evaluator = fa.FaithfulnessEvaluator(fa.Judge(WordHashEmbedder()))
    assert isinstance(evaluator, BaseEvaluator)
    assert evaluator.get_prompts() == {}
    good = evaluator.evaluate(
        query="Who opened it?", response="Anna Keller opened the bridge.", contexts=[SOURCE]
    )
    # A fresh thread has no running event loop, whatever ran before in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        bad = pool.submit(
            asyncio.run,
            evaluator.aevaluate(
                query="What did it cost?",
                response="The bridge cost 45 million dollars.",
                contexts=[SOURCE],
            ),
        ).result()
    assert good.passing and not bad.passing
    assert bad.score is not None and good.score is not None and bad.score < good.score
    assert "45 million" in (bad.feedback or "")


def test_config_round_trips_through_json() -> None:
    cfg = fa.JudgeConfig(task_thresholds={"qa": 0.4}, llm_band=(0.1, 0.9))
    again = fa.JudgeConfig.from_json(cfg.to_json())
    assert again == cfg
    assert again.threshold_for("qa") == 0.4
    assert again.threshold_for("other") == cfg.threshold


def test_split_is_deterministic_and_balanced() -> None:
    splits = [ragtruth.split_of("qa", n) for n in range(400)]
    assert splits == [ragtruth.split_of("qa", n) for n in range(400)]
    assert 150 < splits.count("test") < 250


def test_verifier_results_are_mapped_to_spans() -> None:
    from types import SimpleNamespace as NS

    response = "Paris is in France. It has 90 million people. Yes."
    claims = ["Paris is in France.", "It has 90 million people.", "Yes."]
    supports = [
        NS(supported=True, score=0.9, neutral=False),
        NS(supported=False, score=0.3, neutral=False),
        NS(supported=True, score=1.0, neutral=True),
    ]
    score, flagged, spans, _ = ragtruth.verifier_result(response, claims, supports)
    assert flagged and score == pytest.approx(0.7)
    assert [response[s:e] for s, e in spans] == ["It has 90 million people."]
    ok = ragtruth.verifier_result(response, claims[:1], supports[:1])
    assert ok[:3] == (pytest.approx(0.1), False, [])


def test_the_fitted_weights_are_read_from_their_data_file() -> None:
    fast, with_llm = fa.JudgeConfig(), fa.JudgeConfig.with_llm()
    assert fast.weights_fast == fa.FITTED["fast"]["weights"] and not fast.weights_llm
    assert fast.task_thresholds == fa.FITTED["fast"]["task_thresholds"]
    assert with_llm.weights_llm == fa.FITTED["llm"]["weights"]
    assert with_llm.threshold == fa.FITTED["llm"]["threshold"]
    assert set(fast.weights_fast) == {"bias", *fa.FEATURES_FAST}
    assert fa.JudgeConfig.from_json(with_llm.to_json()) == with_llm


def test_the_llm_prompt_comes_from_the_prompt_files(fake_llama) -> None:
    import prompts

    prompt = fa.LlamaYesNo(fake_llama).prompt("SRC TEXT", "the claim", "Who?")
    assert prompts.load("judge_system") in prompt
    asked = "QUESTION the answer responds to: Who?"
    assert f"SOURCE:\nSRC TEXT\n\n{asked}\n\nCLAIM: the claim" in prompt
