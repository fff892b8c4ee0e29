"""`newsrag bench query`'s bookkeeping: which model call is which, and the figures it prints
(percentiles, new vs cached prompt tokens, grades, overhead), without a model."""

from __future__ import annotations

import json

import prompts
from eval.bench import Timed, call_stats, headline, label_calls, timing_stats
from rag.llm import CallUsage


def _calls(*kinds: str) -> list[CallUsage]:
    """Calls of these kinds; "pick" is a probe whose prompt ends in the pick instruction."""
    return [
        CallUsage(
            "probe" if k == "pick" else k,
            600,
            500,
            generated_tokens=41 if k == "stream" else 0,
            messages=[{"role": "user", "content": "Sources: ...\n" + prompts.load(k)}]
            if k == "pick"
            else [{"role": "user", "content": "Sources: ...\nAnswer ..."}],
        )
        for k in kinds
    ]


def test_calls_are_named_by_what_they_ask():
    named = [k for k, _ in label_calls(_calls("chat", "pick", "probe", "stream"))]
    assert named == ["condense", "pick", "refusal_probe", "answer"]
    # The pick may come after the answer; a probed refusal writes nothing.
    named = [k for k, _ in label_calls(_calls("probe", "stream", "pick"))]
    assert named == ["refusal_probe", "answer", "pick"]
    assert [k for k, _ in label_calls(_calls("probe"))] == ["refusal_probe"]
    # A written answer that failed gets a second look: a chat call with the hint.
    second = _calls("chat")[0]
    hint = prompts.render("hint", label=3, sentence="The weather was hazy.")
    second.messages = [{"role": "user", "content": "Sources: ...\n" + hint}]
    calls = [*_calls("probe", "stream", "pick"), second]
    assert [k for k, _ in label_calls(calls)][-1] == "second_look"


def _timed(ttft: float, total: float, outcome: str = "correct", **kw) -> Timed:
    calls = label_calls(_calls("pick", "probe", "stream"))
    calls[-1][1].seconds, calls[-1][1].first_token_s = total - ttft + 0.5, 0.5
    return Timed("multihop", "q", outcome, True, ttft, total, calls, **kw)


def test_timing_stats_give_percentiles_tokens_and_grades():
    rows = [_timed(2.0, 4.0), _timed(3.0, 6.0, "refused"), _timed(4.0, 8.0, "wrong")]
    stats = timing_stats(rows, "multihop.")
    assert stats["multihop.ttft_p50_s"] == 3.0 and stats["multihop.answer_p50_s"] == 6.0
    assert 7.0 < stats["multihop.answer_p95_s"] <= 8.0
    assert stats["multihop.prompt_tokens_p50"] == 600
    assert stats["multihop.new_tokens_p50"] == 300 and stats["multihop.cached_tokens_p50"] == 1500
    assert stats["multihop.correct"] == stats["multihop.wrong"] == stats["multihop.refused"]
    assert stats["multihop.tokens_per_s"] == 40 * 3 / (2.0 + 3.0 + 4.0)
    # A follow-up's condensing counts in its first token and its answer time.
    later = timing_stats([_timed(2.0, 4.0, condense_s=1.5)])
    assert later["ttft_p50_s"] == 3.5 and later["answer_p50_s"] == 5.5


def test_call_stats_and_headline_are_flat_json_with_the_issue_keys():
    rows = [_timed(2.0, 4.0), _timed(3.0, 6.0)]
    calls = call_stats(rows)
    assert calls["calls.pick.count"] == 2 and calls["calls.answer.new_tokens_p50"] == 100
    assert "calls.condense.count" not in calls
    result = headline(
        {
            "model": "m",
            "_rows.multihop": rows,
            "multihop.overhead": 0.04,
            "multihop.qa_strict": 0.5,
            "multihop.floor.ttft_p50_s": float("nan"),
        }
    )
    for key in ("ttft_p50_s", "answer_p50_s", "answer_p95_s", "prompt_tokens_p50", "overhead"):
        assert key in result
    assert result["overhead"] == 0.04 and result["correct"] == 1.0
    assert result["multihop.floor.ttft_p50_s"] is None
    assert not any(k.startswith("_rows") for k in result)
    json.loads(json.dumps(result, allow_nan=False))
