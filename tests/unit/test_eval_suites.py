"""Evaluation suites with fakes: the gold set, every scoring rule, and the CLI's three files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.suites import common, multihop, rgb, sample
from tests.conftest import SAMPLE_ARTICLE, one_line_error
from tests.fakes import FakeEmbedder

ARTICLE = SAMPLE_ARTICLE.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# The gold set


def test_gold_set_is_sound_and_tests_who_did_what():
    items = sample.load_set()
    articles = sample.load_articles()
    assert len(items) >= 80 and len(articles) >= 6
    assert sample.validate_set(items, articles) == []
    by_cat = {c: [it for it in items if it.category == c] for c in {i.category for i in items}}
    # Two sides in one passage: who did what, who said what.
    assert len(by_cat["actor"]) + len(by_cat["attribution"]) >= 20
    assert len(by_cat["number"]) >= 10
    assert sum(1 for it in items if it.follow_up_of) >= 10
    assert len(by_cat["absent"]) >= 15  # near misses: the entity is there, the fact is not
    assert sum(1 for it in items if it.position in ("middle", "end")) >= 40
    assert {it.doc for it in items if it.answerable} == set(articles)
    assert all(it.key_facts for it in items if it.answerable)
    assert any(len(it.gold_passages) > 1 for it in items)  # multi-passage answers


def test_gold_passages_are_verbatim_in_the_ingested_text():
    """Every gold passage is in what ingest keeps of its article: its text, or its title
    (a question on a headline, or on when a story was published, has its title as its
    passage)."""
    from ingest.clean import clean
    from ingest.load import load_text

    folder = SAMPLE_ARTICLE.parent
    kept = {}
    for name, text in sample.load_articles(folder).items():
        article = clean(load_text(folder / name, text))
        kept[name] = (article.text, article.title)
    for it in sample.load_set():
        for passage in it.gold_passages:
            text, title = kept[it.doc]
            assert passage in text or passage in title, (it.id, passage)


def test_key_facts_grade_the_seed_failures_wrong():
    """The answers newsrag once gave, graded against the set's own key facts."""
    by_q = {it.question: it for it in sample.load_set()}

    def outcome(fragment: str, answer: str) -> str:
        item = next(it for q, it in by_q.items() if fragment in q)
        return sample.score_answer(item, answer, False)["outcome"]

    assert outcome("Who brokered", "Azerbaijan brokered the agreement [1].") == "wrong"
    assert outcome("drone strikes", "Russia deployed almost 2,000 peacekeepers [3].") == "wrong"
    assert outcome("drone strikes", "Azerbaijan carried out four drone strikes [1].") == "correct"


def test_casualty_question_is_answerable_and_defense_minister_is_not():
    by_id = {it.id: it for it in sample.load_set()}
    casualties = next(it for it in by_id.values() if "killed or wounded" in it.question)
    assert casualties.answerable and "no casualties" in casualties.gold_passages[0]
    minister = next(it for it in by_id.values() if "Russia's defense minister" in it.question)
    assert not minister.answerable


def test_validate_set_catches_broken_items():
    items = sample.load_set()[:3]
    broken = [
        sample.SampleItem("x1", "q?", "a", ["not in the article at all"], "fact", True),
        sample.SampleItem("x2", "q?", "", [], "absent", False, follow_up_of="nope"),
        sample.SampleItem("x1", "q?", "", ["Clashes erupted"], "absent", False),
    ]
    problems = sample.validate_set(items + broken, sample.load_articles())
    assert any("not verbatim" in p for p in problems)
    assert any("follow_up_of nope" in p for p in problems)
    assert any("duplicate id" in p for p in problems)
    assert any("unanswerable but has" in p for p in problems)


# ---------------------------------------------------------------------------------------------
# Text scoring


def test_token_f1_is_squad_style_and_ignores_markers():
    assert common.token_f1("The Hazy weather [1].", "hazy weather") == 1.0
    assert common.token_f1("Almost 2,000 [2]", "Almost 2,000.") == 1.0
    assert common.token_f1("Four drones", "Four.") == pytest.approx(2 / 3)
    assert common.token_f1("nothing shared", "Saturday") == 0.0
    assert common.normalize_answer("An “Immediate” measure!") == "immediate measure"
    assert common.token_recall("It carried out four-drone strikes [1].", "Four.") == 1.0


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("The articles I have do not contain the answer to this question.", True),
        ("NOT IN SOURCES", True),
        ("The article does not mention the name of Russia's defense minister.", True),
        ("I can not answer the question because of the insufficient information.", True),
        ("There were no casualties among the Azerbaijani soldiers [1].", False),
        ("The ministry did not specify what form of provocation took place [1].", False),
        ("Moscow deployed almost 2,000 peacekeepers [1]. The source does not say more.", False),
    ],
)
def test_refusal_detection(text, refusal):
    assert common.looks_like_refusal(text) is refusal


# ---------------------------------------------------------------------------------------------
# Retrieval hits through LlamaIndex's retrieval evaluator


def test_passage_hit_by_containment_or_span_overlap():
    gold_ids = [common.span_id("d1", 100, 150)]
    gold_texts = ["Clashes erupted on Sept. 27, 2020"]
    assert common.passage_hit(
        gold_ids, gold_texts, "d2:0:10", "x Clashes erupted on Sept. 27, 2020"
    )
    assert common.passage_hit(gold_ids, gold_texts, "d1:140:400", "unrelated text")
    assert not common.passage_hit(gold_ids, gold_texts, "d1:150:400", "touching, not overlapping")
    assert not common.passage_hit(gold_ids, gold_texts, "d2:120:130", "other document")


def test_precomputed_retrieval_evaluator_reports_rank_and_hit():
    evaluator = common.PrecomputedRetrievalEvaluator(
        metrics=[common.PassageHitRate(k=2), common.PassageMRR()]
    )
    result = evaluator.evaluate(
        "q",
        expected_ids=[common.span_id("d", 500, 520)],
        expected_texts=["gold words"],
        retrieved_ids=["d:0:100", "d:100:200", "d:450:510"],
        retrieved_texts=["a", "b", "c"],
    )
    assert result.metric_dict["passage_mrr"].score == pytest.approx(1 / 3)
    assert result.metric_dict["passage_mrr"].metadata["rank"] == 3
    assert result.metric_dict["passage_hit"].score == 0.0  # rank 3 > k=2


# ---------------------------------------------------------------------------------------------
# Judge verdicts on an answer


def _answer(sentences, citations, refused=False, question="q"):
    from rag.engine import Answer, AnswerSentence, Citation
    from rag.retrieve import Retrieved
    from rag.store import StoredChunk

    cits = [
        Citation(n, "d", "t", "o", "", "", passage, passage, (0, len(passage)), 1.0)
        for n, passage in citations.items()
    ]
    sents = [AnswerSentence(text, True, nums, 1.0) for text, nums in sentences]
    chunk = StoredChunk("d:0", "d", 0, 0, len(ARTICLE), ARTICLE, {})
    return Answer(
        question=question,
        text=" ".join(t for t, _ in sentences),
        refused=refused,
        citations=cits,
        sentences=sents,
        retrieved=[Retrieved(chunk, 1.0, 0.9, 1, 1)],
        filters={},
        timings={},
        model="fake",
    )


def test_judge_grades_sentences_against_their_own_citations():
    from eval.judge import Judge

    deploy = "Moscow deployed almost 2,000 peacekeepers to the region after the cease-fire."
    clashes = "Clashes erupted on Sept. 27, 2020, with the Armenian army attacking civilians."
    answer = _answer(
        [
            ("Moscow deployed almost 2,000 peacekeepers to the region.", [1]),
            ("Clashes erupted on Sept. 27, 2020.", [1]),  # cites the wrong passage
            ("The fighting ended with a Russian-brokered agreement on Nov. 10, 2020.", []),
        ],
        {1: deploy, 2: clashes},
    )
    refused = _answer([("whatever", [])], {}, refused=True)
    judgements = common.judge_answers(Judge(FakeEmbedder()), [answer, None, refused])
    assert judgements[1] is None and judgements[2] is None
    counts = judgements[0].to_dict()
    assert [s["supported"] for s in counts["sentences"]] == [True, False, False]
    assert counts["n_citations"] == 2 and counts["n_citations_supported"] == 1
    # every sentence is in the retrieved article; two of the three carry a citation
    assert counts["n_in_context"] == 3 and counts["n_in_context_cited"] == 2
    m = common.judged_metrics([counts, None])
    assert m["faithfulness"] == pytest.approx(1 / 3)
    assert m["citation_precision"] == pytest.approx(1 / 2)
    assert m["citation_recall"] == pytest.approx(2 / 3)
    # the engine had called all three supported: the judge agrees on one
    assert m["verifier_judge_agreement"] == pytest.approx(1 / 3)


def test_judge_reads_a_bare_yes_as_the_question_it_answers():
    from eval.judge import Judge

    deploy = "Moscow deployed almost 2,000 peacekeepers to the region after the cease-fire."
    true_q = "Did Moscow deploy almost 2,000 peacekeepers to the region?"
    false_q = "Did Paris deploy 5,000 soldiers to the border?"
    right, wrong = (_answer([("Yes.", [1])], {1: deploy}, question=q) for q in (true_q, false_q))
    judged = common.judge_answers(Judge(FakeEmbedder()), [right, wrong])
    assert judged[0].to_dict()["n_supported"] == 1
    assert judged[1].to_dict()["n_supported"] == 0


def test_judge_grades_no_bare_no_but_the_grounds_after_it():
    from eval.judge import Judge

    deploy = "Moscow deployed almost 2,000 peacekeepers to the region after the cease-fire."
    question = "Did Paris deploy 5,000 soldiers to the border?"
    told = "Moscow deployed almost 2,000 peacekeepers to the region."
    answer = _answer([("No.", [1]), (told, [1])], {1: deploy}, question=question)
    [judged] = common.judge_answers(Judge(FakeEmbedder()), [answer])
    counts = judged.to_dict()
    assert [s["text"] for s in counts["sentences"]] == [told]
    assert counts["n_supported"] == 1 and counts["n_citations"] == 1
    # Not to a wh-question, where "No." is an answer to grade.
    wh = _answer([("No.", [1])], {1: deploy}, question="Who deployed soldiers?")
    assert common.judge_answers(Judge(FakeEmbedder()), [wh])[0].to_dict()["n_sentences"] == 1


def test_judge_reads_the_outlet_on_the_source_card():
    import dataclasses

    from eval.judge import Judge

    deploy = "Moscow deployed almost 2,000 peacekeepers to the region after the cease-fire."
    claim = "Anadolu Agency reports that Moscow deployed almost 2,000 peacekeepers."
    answer = _answer([(claim, [1])], {1: deploy})
    by_outlet = {}
    for outlet in ("Anadolu Agency", "Reuters"):
        card = dataclasses.replace(answer.citations[0], title="Peacekeepers", outlet=outlet)
        judged = common.judge_answers(
            Judge(FakeEmbedder()), [dataclasses.replace(answer, citations=[card])]
        )
        by_outlet[outlet] = judged[0].to_dict()["sentences"][0]
    assert by_outlet["Anadolu Agency"]["supported"]
    assert by_outlet["Anadolu Agency"]["score"] > by_outlet["Reuters"]["score"]


def test_citation_precision_follows_alce_for_several_citations():
    from eval.judge import Judge

    deploy = "Moscow deployed almost 2,000 peacekeepers to the region after the cease-fire."
    clashes = "Clashes erupted on Sept. 27, 2020, with the Armenian army attacking civilians."
    answer = _answer(
        [
            # each source carries one half: both citations are needed
            (
                "Moscow deployed almost 2,000 peacekeepers,"
                " while clashes erupted on Sept. 27, 2020.",
                [1, 2],
            ),
            # the first source says it all: the second citation is surplus
            ("Moscow deployed almost 2,000 peacekeepers to the region.", [1, 2]),
        ],
        {1: deploy, 2: clashes},
    )
    both, surplus = common.judge_answers(Judge(FakeEmbedder()), [answer])[0].sentences
    assert both.supported and both.citation_supported == {1: True, 2: True}
    assert surplus.supported and surplus.citation_supported == {1: True, 2: False}


def test_judged_metrics_are_undefined_without_sentences():
    m = common.judged_metrics([None, None])
    assert m["faithfulness"] is None and m["n_answer_sentences"] == 0


# ---------------------------------------------------------------------------------------------
# Sample suite scoring


def _row(answerable, refused, f1=None, rank=None, judge=None, category="fact", latency=1.0):
    outcome = ("refused" if refused else "answered") if not answerable else None
    if answerable:
        outcome = "refused" if refused else ("correct" if (f1 or 0) >= 0.5 else "wrong")
    row = {
        "outcome": outcome,
        "id": "x",
        "category": category,
        "answerable": answerable,
        "refused": refused,
        "refusal_correct": refused == (not answerable),
        "answer_f1": f1,
        "answer_recall": None if f1 is None else min(1.0, 2 * f1),
        "latency_s": latency,
        "judge": judge,
    }
    if answerable:
        row["hit_rank"] = rank
    return row


def test_sample_summary_from_rows():
    judge = {"n_sentences": 2, "n_supported": 1, "n_citations": 2, "n_citations_supported": 2}
    rows = [
        _row(True, False, 1.0, 1, judge, latency=1.0),
        _row(True, True, 0.0, 3, latency=2.0),  # false refusal
        _row(True, False, 0.5, None, latency=3.0),  # retrieval missed
        _row(False, True, category="off_topic", latency=4.0),
        _row(False, False, category="absent", latency=5.0),  # answered the unanswerable
    ]
    s = sample.summarize(rows, top_k=5)
    assert list(s)[:4] == ["correct", "wrong", "refused", "refusal_accuracy"]
    assert s["correct"] == pytest.approx(2 / 3) and s["refused"] == pytest.approx(1 / 3)
    assert s["wrong"] == 0.0
    assert s["refusal_accuracy"] == pytest.approx(1 / 2)  # of the unanswerable
    assert s["false_refusal_rate"] == pytest.approx(1 / 3)
    assert s["missed_refusal_rate"] == pytest.approx(1 / 2)
    assert s["answer_f1"] == pytest.approx(0.5)
    assert s["answer_f1_answered"] == pytest.approx(0.75)
    assert s["answer_recall"] == pytest.approx((1.0 + 0.0 + 1.0) / 3)
    assert s["hit@1"] == pytest.approx(1 / 3) and s["hit@3"] == pytest.approx(2 / 3)
    assert s["mrr"] == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert s["faithfulness"] == 0.5 and s["citation_precision"] == 1.0
    assert s["latency_p50_s"] == 3.0
    cats = sample.per_category(rows)
    assert cats["off_topic"]["refusal_accuracy"] == 1.0
    assert cats["absent"]["refusal_accuracy"] == 0.0


def test_score_answer_refusal_and_f1():
    item = sample.SampleItem(
        "a", "q", "Almost 2,000.", ["x"], "number", True, key_facts=[["2000"]], must_not=["300"]
    )
    scored = sample.score_answer(item, "Almost 2,000 [1].", False)
    assert scored["outcome"] == "correct"
    assert (scored["refusal_correct"], scored["answer_f1"], scored["answer_recall"]) == (
        True,
        1.0,
        1.0,
    )
    wrong = sample.score_answer(item, "Around 300 and not 2,000 [1].", False, "raw 2,000")
    assert wrong["outcome"] == "wrong" and wrong["raw_outcome"] == "correct"
    assert wrong["grade"]["forbidden"] == ["300"]
    long = sample.score_answer(item, "Moscow deployed almost 2,000 peacekeepers [1].", False)
    assert long["answer_recall"] == 1.0 and long["answer_f1"] == pytest.approx(4 / 7)
    refused = sample.score_answer(item, "refusal", True)
    assert refused["answer_f1"] == 0.0 and not refused["refusal_correct"]
    absent = sample.SampleItem("b", "q", "", [], "absent", False)
    refused_absent = sample.score_answer(absent, "refusal", True)
    assert refused_absent["outcome"] == "refused" and refused_absent["refusal_correct"]
    assert refused_absent["answer_f1"] is None
    answered = sample.score_answer(absent, "It is Paris [1].", False)
    assert answered["outcome"] == "answered" and not answered["refusal_correct"]


# ---------------------------------------------------------------------------------------------
# MultiHop-RAG scoring


def test_multihop_official_retrieval_rules():
    gold = ["Fact one is here.", "Fact two\nis there."]
    retrieved = ["noise", "xx Factone is here. yy", "noise", "noise", "Fact two is there. zz"]
    s = multihop.official_retrieval(retrieved, gold)
    assert s["hits@4"] == 1.0 and s["hits@10"] == 1.0
    assert s["rr"] == 0.5 and s["first_rank"] == 2
    assert s["ap"] == pytest.approx((1 / 2 + 1 / 5) / 2)
    assert s["found"] == 2
    late = multihop.official_retrieval(["a"] * 5 + ["Fact one is here."], gold)
    assert late["hits@4"] == 0.0 and late["hits@10"] == 1.0 and late["found"] == 1
    miss = multihop.official_retrieval(["a"] * 10 + ["Fact one is here."], gold)
    assert miss["hits@10"] == 0.0 and miss["rr"] == 0.0  # rank 11 is outside the top 10


@pytest.mark.parametrize(
    ("answer", "gold", "refused", "qtype", "official", "strict"),
    [
        ("Yes, the article suggests so [1].", "Yes", False, "comparison", True, True),
        ("No, there is no such claim [1].", "Yes", False, "comparison", False, False),
        ("The Verge says no [1].", "no", False, "inference", True, True),
        ("Sam Altman was ousted [1].", "Sam Bankman-Fried", False, "inference", True, False),
        ("Sam Bankman-Fried [1].", "Sam Bankman-Fried", False, "inference", True, True),
        (
            "The articles do not contain the answer.",
            "Insufficient information.",
            True,
            "null",
            True,
            True,
        ),
        ("Google did it [1].", "Insufficient information.", False, "null", False, False),
        ("The articles I have do not contain it.", "Google", True, "temporal", False, False),
    ],
)
def test_multihop_qa_rules(answer, gold, refused, qtype, official, strict):
    assert multihop.qa_official(answer, gold, refused, qtype) is official
    assert multihop.qa_strict(answer, gold, refused, qtype) is strict


def test_multihop_summary_per_type():
    rows = [
        {
            "type": "inference",
            "retrieval": multihop.official_retrieval(["F."], ["F."]),
            "refused": False,
            "qa_accuracy": True,
            "qa_strict": False,
            "latency_s": 1.0,
        },
        {"type": "null", "refused": True, "qa_accuracy": True, "qa_strict": True, "latency_s": 2.0},
    ]
    s = multihop.summarize(rows)
    assert s["hits@10"] == 1.0 and s["n_retrieval_queries"] == 1  # null skipped
    assert s["qa_accuracy"] == 1.0 and s["qa_strict"] == 0.5
    assert s["inference.qa_strict"] == 0.0 and s["null.qa_strict"] == 1.0
    assert s["recall@10"] == 1.0


# ---------------------------------------------------------------------------------------------
# RGB scoring


def test_rgb_page_dates_become_published_dates_only_when_asked(tmp_path: Path) -> None:
    item = {"id": 7, "positive": ["Apr 20, 2022 ... Revenue was $10.4 billion.", "No date here."]}
    plain = rgb.write_snippets(tmp_path / "a.jsonl", item, "answer")
    dated = rgb.write_snippets(tmp_path / "b.jsonl", item, "answer", page_dates=True)
    as_given = [json.loads(x) for x in plain.read_text().splitlines()]
    moved = [json.loads(x) for x in dated.read_text().splitlines()]
    assert as_given[0]["body"].startswith("Apr 20, 2022 ...") and not as_given[0]["published"]
    assert moved[0]["body"] == "Revenue was $10.4 billion."
    assert moved[0]["published"] == "Apr 20, 2022"
    assert moved[1] == as_given[1]


def test_rgb_check_answer_follows_upstream_rule():
    assert rgb.check_answer("It was held in Tampa, Florida.", "Tampa, Florida")
    assert not rgb.check_answer("It was held in Tampa.", "Tampa, Florida")
    aliases = [["May 15 2012", "May 15, 2012"]]
    assert rgb.check_answer("released on may 15, 2012", aliases)
    assert not rgb.check_answer("released in 2012", aliases)
    assert not rgb.check_answer("Two parts", [["two"], ["three"]])
    assert rgb.check_answer("two and three", [["two"], ["three"]])


def test_rgb_negatives_that_state_the_answer_in_other_words_are_found():
    stated = rgb.stated_answer
    dates = [["November 21 1998", "November 21, 1998"]]
    assert stated(["It was released on November 21 of 1998 in Japan."], dates)
    assert stated(["Release Date 19th October 2021 ..."], "October 19, 2021")
    # The year from the snippet's page date, not its month and day; the page date alone
    # states nothing, nor a year of another sentence, nor words apart.
    assert stated(["Nov 12, 2020 ... It premieres Nov. 15 on Netflix."], "Nov 15, 2020")
    assert not stated(["May 29, 2021 ... In early 2020, Nintendo released it."], "May 29, 2020")
    assert not stated(["May 29, 2020 ... Nintendo announced a sequel today."], "May 29, 2020")
    assert not stated(["Nov 12, 2021 ... In 2019 it premieres Nov. 15."], "Nov 15, 2021")
    assert not stated(["In 1998, 21 people saw it in rainy November."], "November 21, 1998")
    assert not stated(["1 of the 65 deals was worth a billion."], "$1.65 billion")
    # A person by surname, to a "who" question; a place needs every word, in one sentence.
    who = "Who won the women's singles Wimbledon in 2021?"
    barty = ["Jul 10, 2021 ... Barty wins the 2021 Wimbledon after a tense final."]
    assert stated(barty, "Ashleigh Barty", who) and not stated(barty, "Ashleigh Barty")
    assert not stated(["Leicester City won the title."], "Manchester City", "Who won the league?")
    assert stated(["It will be played in Tampa Bay, Florida."], "Tampa, Florida")
    assert not stated(["Florida hosts it. Tampa is a city."], "Tampa, Florida")
    # Every part of a gold answer of several parts.
    assert not stated(["Paris hosted it."], ["Paris", "London"])


def test_rgb_counterfactual_needs_fake_or_flag_and_supported_citations():
    item = {"answer": "Tampa, Florida", "fakeanswer": "Glendale, Arizona"}
    ok_judge = {"n_citations": 1, "n_citations_supported": 1}
    bad_judge = {"n_citations": 2, "n_citations_supported": 1}
    follows = rgb.score_counterfactual("It was in Glendale, Arizona [1].", False, item, ok_judge)
    assert follows["ok"] and follows["follows_sources"] and not follows["true_answer"]
    own = rgb.score_counterfactual("It was in Tampa, Florida [1].", False, item, bad_judge)
    assert not own["ok"] and own["true_answer"]
    flagged = rgb.score_counterfactual(
        "The sources say Glendale, which may be incorrect [1].", False, item, ok_judge
    )
    assert flagged["flags_conflict"] and flagged["ok"]
    miscited = rgb.score_counterfactual("Glendale, Arizona [1][2].", False, item, bad_judge)
    assert not miscited["ok"]
    assert not rgb.score_counterfactual("refusal", True, item, None)["ok"]


# ---------------------------------------------------------------------------------------------
# The CLI: three files, a table, the gate


def _summary(out_dir: Path) -> dict:
    assert (out_dir / "results.jsonl").is_file()
    assert (out_dir / "report.md").is_file()
    summary = json.loads((out_dir / "summary.json").read_text())
    report = (out_dir / "report.md").read_text()
    assert "## Summary" in report and "![" in report
    for name in ("scores.png", "latency.png"):
        if f"]({name})" in report:
            assert (out_dir / name).stat().st_size > 1000
    return summary


def _assert_rates(summary: dict, keys) -> None:
    for key in keys:
        value = summary[key]
        assert value is not None and 0.0 <= value <= 1.0, (key, value)


def test_cli_sample_writes_three_files(tmp_path, fake_models):
    from eval.cli import app

    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["sample", "--limit", "10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = _summary(out)
    keys = [
        "correct",
        "wrong",
        "refused",
        "faithfulness",
        "citation_precision",
        "citation_recall",
        "answer_f1",
        "answer_recall",
        "hit@1",
        "hit@5",
        "mrr",
    ]
    _assert_rates(summary, keys)
    assert summary["n_items"] == 10 and summary["latency_p50_s"] >= 0
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 10
    first = rows[0]
    assert {"question", "answer", "citations", "judge", "timings"} <= set(first)
    follow = next(r for r in rows if r["follow_up_of"])
    assert follow["standalone_question"]  # went through chat's condensing
    assert "faithfulness" in result.output  # the printed table


def test_cli_sample_retrieval_only_skips_generation(tmp_path, fake_models):
    from eval.cli import app

    out = tmp_path / "ret"
    result = CliRunner().invoke(app, ["sample", "--retrieval-only", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = _summary(out)
    _assert_rates(summary, ["hit@1", "hit@3", "mrr"])
    assert "faithfulness" not in summary and "refusal_accuracy" not in summary


def test_cli_skip_asks_a_later_block_of_items(tmp_path, fake_models):
    from eval.cli import app
    from eval.suites.sample import load_set

    ids = [item.id for item in load_set(None)]
    out = tmp_path / "later"
    args = ["sample", "--retrieval-only", "--skip", "5", "--limit", "3", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [row["id"] for row in rows] == ids[5:8]
    assert CliRunner().invoke(app, ["sample", "--skip", "-1"]).exit_code == 2


def test_cli_gate_fails_below_threshold_and_rejects_bad_syntax(tmp_path, fake_models):
    from eval.cli import app

    runner = CliRunner()
    args = ["sample", "--limit", "3", "--out", str(tmp_path / "g")]
    passing = runner.invoke(app, [*args, "--fail-under", "mrr=0.1"])
    assert passing.exit_code == 0, passing.output
    failing = runner.invoke(app, [*args, "--fail-under", "mrr=0.1,refusal_accuracy=1.01"])
    assert failing.exit_code == 1
    assert "refusal_accuracy" in failing.output
    missing = runner.invoke(app, [*args, "--fail-under", "no_such_metric=0.5"])
    assert missing.exit_code == 1
    bad = runner.invoke(app, [*args, "--fail-under", "faithfulness"])
    assert bad.exit_code == 2


def test_newsrag_eval_forwards_to_eval_cli(tmp_path, fake_models):
    from rag.cli import app

    out = tmp_path / "fw"
    result = CliRunner().invoke(app, ["eval", "sample", "--limit", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert _summary(out)["n_items"] == 2


def _write_jsonl(path: Path, rows) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def multihop_files(tmp_path):
    base = {"author": "A", "category": "tech", "published_at": "2023-10-01T10:00:00+00:00"}
    corpus = _write_jsonl(
        tmp_path / "corpus.jsonl",
        [
            {
                **base,
                "title": "Quarkco earnings",
                "source": "Daily",
                "url": "u1",
                "body": "Quarkco reported revenue of 12 billion zorbs in the third quarter.",
            },
            {
                **base,
                "title": "Quarkco chief",
                "source": "Weekly",
                "url": "u2",
                "body": "Ada Quill became the chief executive of Quarkco in October.",
            },
            {
                **base,
                "title": "Weather",
                "source": "Daily",
                "url": "u3",
                "body": "Rain is expected across the northern valleys next week.",
            },
        ],
    )
    queries = _write_jsonl(
        tmp_path / "queries.jsonl",
        [
            {
                "id": "1",
                "query": "Who became the chief executive of Quarkco in October?",
                "question_type": "inference_query",
                "answer": "Ada Quill",
                "evidence_list": [
                    {"fact": "Ada Quill became the chief executive of Quarkco in October."}
                ],
            },
            {
                "id": "2",
                "query": "Which penguin sang opera on the moon in 1850?",
                "question_type": "null_query",
                "answer": "Insufficient information.",
                "evidence_list": [],
            },
            {
                "id": "3",
                "query": "How much revenue did Quarkco report in the third quarter?",
                "question_type": "temporal_query",
                "answer": "12 billion zorbs",
                "evidence_list": [
                    {"fact": "Quarkco reported revenue of 12 billion zorbs in the third quarter."}
                ],
            },
        ],
    )
    return corpus, queries


def test_cli_multihop_on_a_tiny_dataset(tmp_path, fake_models, multihop_files):
    from eval.cli import app

    corpus, queries = multihop_files
    out = tmp_path / "mh"
    args = ["multihop", "--corpus", str(corpus), "--queries", str(queries), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    s = _summary(out)
    assert s["n_queries"] == 3 and s["n_retrieval_queries"] == 2
    assert s["hits@4"] == 1.0 and s["mrr@10"] == 1.0 and s["recall@10"] == 1.0
    assert s["null.qa_accuracy"] == 1.0  # the absent fact is refused
    assert s["inference.qa_strict"] == 1.0 and s["temporal.qa_strict"] == 1.0
    _assert_rates(s, ["qa_accuracy", "qa_strict", "map@10", "faithfulness"])


def test_cli_multihop_limit_and_retrieval_only(tmp_path, fake_models, multihop_files):
    from eval.cli import app

    corpus, queries = multihop_files
    out = tmp_path / "mh1"
    args = ["multihop", "--corpus", str(corpus), "--queries", str(queries), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--limit", "1", "--retrieval-only"])
    assert result.exit_code == 0, result.output
    s = _summary(out)
    assert s["n_queries"] == 1 and s["hits@10"] == 1.0 and "qa_accuracy" not in s
    # The target set: the first N answerable queries, the null ones left out.
    out = tmp_path / "mh2"
    args[-1] = str(out)
    result = CliRunner().invoke(app, [*args, "--answerable-only", "--retrieval-only"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 2 and all(r["type"] != "null" for r in rows)


def test_cli_rgb_on_a_tiny_dataset(tmp_path, fake_models):
    from eval.cli import app

    item = {
        "id": 1,
        "query": "Who won the 2021 Zorblax Cup?",
        "answer": "Ada Lovelace",
        "fakeanswer": "Grace Hopper",
        "positive": ["The 2021 Zorblax Cup was won by Ada Lovelace of Team Alpha."],
        "positive_wrong": ["The 2021 Zorblax Cup was won by Grace Hopper of Team Alpha."],
        "negative": ["Chess tournaments in Oslo attract many players each spring."],
    }
    data = _write_jsonl(tmp_path / "en_fact.jsonl", [item, {**item, "id": 2}])
    out = tmp_path / "rgb"
    result = CliRunner().invoke(app, ["rgb", str(data), "--limit", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    s = _summary(out)
    assert s["n_items"] == 1
    assert s["accuracy"] == 1.0 and s["rejection_rate"] == 1.0
    assert s["counterfactual_cited_rate"] == 1.0 and s["counterfactual_true_answer_rate"] == 0.0
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["condition"] for r in rows] == ["answer", "reject", "counterfactual"]
    refused = CliRunner().invoke(app, ["rgb", str(data), "--retrieval-only", "--out", str(out)])
    assert refused.exit_code == 2


def test_eval_suites_without_shared_data_name_the_files_and_flags(cli, tmp_path: Path) -> None:
    gone = tmp_path / "nothing"
    line = one_line_error(
        cli(
            "eval",
            "multihop",
            "--corpus",
            str(gone / "c.jsonl"),
            "--queries",
            str(gone / "q.jsonl"),
        )
    )
    assert "MultiHop-RAG not found" in line and "--corpus CORPUS.jsonl --queries" in line
    line = one_line_error(cli("eval", "rgb", str(gone / "en_fact.jsonl")))
    assert "RGB en_fact not found" in line and "newsrag eval rgb" in line
    line = one_line_error(cli("eval", "ragtruth", str(gone), "--no-llm"))
    assert "RAGTruth not found" in line and "newsrag eval ragtruth DIR" in line


def test_summary_table_and_failures_helpers():
    from eval.cli import failures, parse_gate, parse_thresholds

    assert parse_thresholds("a=0.5, b=1") == {"a": 0.5, "b": 1.0}
    assert parse_gate("a=0.5,wrong<=0.05") == ({"a": 0.5}, {"wrong": 0.05})
    assert failures({"a": 0.4, "b": None, "c": math.nan}, {"a": 0.5, "b": 0.1, "c": 0.1}) == [
        "a = 0.4000, needs >= 0.5",
        "b: not computed (needs >= 0.1)",
        "c: not computed (needs >= 0.1)",
    ]
    assert failures({"wrong": 0.1}, {}, {"wrong": 0.05}) == ["wrong = 0.1000, needs <= 0.05"]
    assert failures({"wrong": 0.0}, {}, {"wrong": 0.05}) == []
