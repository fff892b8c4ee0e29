"""Sample suite: hand-written questions over the bundled article, with gold answers and passages.

Why: a small set a person can read end to end, covering facts, numbers, dates, attribution,
the article's conflicting claims, multi-sentence answers, follow-ups (through ``chat``) and
questions the article cannot answer. Answers are graded by the independent judge
(``eval.judge``), never by the engine's own verifier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval import correctness
from eval.report import SuiteResult
from eval.suites import common
from eval.suites.common import RunConfig
from eval.suites.runner import run_suite
from ingest.chunk import sentence_spans
from rag.engine import strip_refusal_marker

SUITE = "sample"


def default_set_path() -> Path:
    return Path(__file__).resolve().parents[1] / "sets" / "sample.jsonl"


def default_articles() -> Path:
    return common.repo_root() / "data" / "sample"


@dataclass
class SampleItem:
    """One question of the gold set. ``history`` holds the earlier user turns of a follow-up."""

    id: str
    question: str
    answer: str
    gold_passages: list[str]
    category: str
    answerable: bool
    follow_up_of: str | None = None
    history: list[str] = field(default_factory=list)
    note: str = ""
    doc: str = ""  # the article file that holds the answer (or the entity, if absent)
    key_facts: list[list[str]] = field(default_factory=list)  # each: acceptable phrasings
    must_not: list[str] = field(default_factory=list)  # phrasings of a wrong answer
    position: str = ""  # lead | middle | end: where the answer sits in its article


def load_set(path: Path | None = None) -> list[SampleItem]:
    rows = common.read_jsonl(path or default_set_path())
    return [SampleItem(**{**row, "history": row.get("history") or []}) for row in rows]


def load_articles(folder: Path | None = None) -> dict[str, str]:
    """File name -> text of every article file of the sample folder."""
    folder = Path(folder) if folder else default_articles()
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(folder.glob("*"))
        if p.suffix in {".txt", ".md"}
    }


def validate_set(items: list[SampleItem], articles: str | dict[str, str]) -> list[str]:
    """Problems with the gold set (empty list when it is sound). ``articles`` maps file
    names to texts (or is one article's text)."""
    docs = {"": articles} if isinstance(articles, str) else articles
    problems = []
    seen: dict[str, SampleItem] = {}
    for it in items:
        if it.id in seen:
            problems.append(f"{it.id}: duplicate id")
        if it.answerable and not (it.gold_passages and it.answer):
            problems.append(f"{it.id}: answerable but no gold answer or passage")
        if not it.answerable and (it.gold_passages or it.answer or it.key_facts):
            problems.append(f"{it.id}: unanswerable but has a gold answer, passage or key fact")
        if (
            it.answerable
            and correctness.grade(it.answer, False, True, it.key_facts, it.must_not).outcome
            != correctness.CORRECT
        ):
            problems.append(f"{it.id}: the gold answer does not pass its own key facts")
        # A correct answer may quote its passage's sentences in full: none may hold a must-not.
        quoted = [
            text[s:e]
            for text in ([docs[it.doc]] if it.doc in docs else [])
            for p in it.gold_passages
            if p in text
            for s, e in sentence_spans(text)
            if s < text.find(p) + len(p) and e > text.find(p)
        ]
        for phrase in it.must_not:
            if any(correctness.states(q, phrase) for q in quoted + it.gold_passages):
                problems.append(f"{it.id}: must_not {phrase!r} is in the gold passage")
        if it.doc and it.doc not in docs and "" not in docs:
            problems.append(f"{it.id}: no article file {it.doc}")
        texts = [docs[it.doc]] if it.doc in docs else list(docs.values())
        for p in it.gold_passages:
            if not any(p in t for t in texts):
                problems.append(f"{it.id}: passage is not verbatim in the article: {p[:60]!r}")
        if it.follow_up_of:
            parent = seen.get(it.follow_up_of)
            if parent is None:
                problems.append(f"{it.id}: follow_up_of {it.follow_up_of} is not an earlier item")
            elif it.history != [*parent.history, parent.question]:
                problems.append(f"{it.id}: history does not match the parent's turns")
        elif it.history:
            problems.append(f"{it.id}: history without follow_up_of")
        seen[it.id] = it
    return problems


def gold_span_ids(passages: list[str], docs: dict[str, str]) -> list[str]:
    """Span ids (``doc:start:end``) of every occurrence of each gold passage in the store."""
    ids = []
    for p in passages:
        for doc_id, text in docs.items():
            start = text.find(p)
            while start >= 0:
                ids.append(common.span_id(doc_id, start, start + len(p)))
                start = text.find(p, start + 1)
    return ids


# ---------------------------------------------------------------------------------------------
# Scoring (pure: rows in, numbers out)


def score_answer(
    item: SampleItem, answer_text: str, refused: bool, raw_text: str | None = None
) -> dict[str, Any]:
    """Correctness against the item's key facts (``outcome``: correct / wrong / refused, or
    refused / answered when unanswerable), refusal correctness, token F1 and gold-token
    recall. ``raw_text``, the model's answer before verification, is graded too
    (``raw_outcome``), to see what the verifier let through or stopped."""
    grade = correctness.grade(answer_text, refused, item.answerable, item.key_facts, item.must_not)
    scored: dict[str, Any] = {"outcome": grade.outcome, "grade": grade.to_dict()}
    if raw_text is not None:
        raw = strip_refusal_marker(raw_text)
        scored["raw_outcome"] = correctness.grade(
            raw, not raw, item.answerable, item.key_facts, item.must_not
        ).outcome
    if not item.answerable:
        return {**scored, "refusal_correct": refused, "answer_f1": None, "answer_recall": None}
    return {
        **scored,
        "refusal_correct": not refused,
        "answer_f1": 0.0 if refused else common.token_f1(answer_text, item.answer),
        "answer_recall": 0.0 if refused else common.token_recall(answer_text, item.answer),
    }


def summarize(rows: list[dict[str, Any]], top_k: int) -> dict[str, Any]:
    """The suite's flat summary from result rows (see the module docstring for keys)."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    generated = [r for r in rows if r.get("refused") is not None]
    ranked = [r for r in answerable if "hit_rank" in r]
    ranks = [r["hit_rank"] for r in ranked]
    summary: dict[str, Any] = {}
    if generated:  # correctness first: what a reader cares about
        summary.update(correctness.outcome_rates(generated))
        base = [
            {**r["baseline"], "answerable": r["answerable"]} for r in generated if r.get("baseline")
        ]
        if base:  # LlamaIndex's CitationQueryEngine on the same items, same judge
            rates = correctness.outcome_rates(base)
            for key in ("correct", "wrong", "refused", "refusal_accuracy"):
                summary[f"baseline.{key}"] = rates[key]
        agreement = correctness.verifier_agreement(generated)
        agreement.pop("disagreements")
        summary.update(agreement)
    summary.update(
        {
            "n_items": len(rows),
            "n_answerable": len(answerable),
            "n_unanswerable": len(unanswerable),
            "top_k": top_k,
        }
    )
    if generated:
        gen_ans = [r for r in generated if r["answerable"]]
        gen_un = [r for r in generated if not r["answerable"]]
        summary.update(common.judged_metrics(r.get("judge") for r in generated))
        summary["false_refusal_rate"] = common.rate(
            sum(r["refused"] for r in gen_ans), len(gen_ans)
        )
        summary["missed_refusal_rate"] = common.rate(
            sum(not r["refused"] for r in gen_un), len(gen_un)
        )
        summary["answer_f1"] = common.mean([r["answer_f1"] for r in gen_ans])
        summary["answer_recall"] = common.mean([r.get("answer_recall", 0.0) for r in gen_ans])
        answered = [r["answer_f1"] for r in gen_ans if not r["refused"]]
        summary["answer_f1_answered"] = common.mean(answered)
    for k in sorted({1, 3, top_k}):
        summary[f"hit@{k}"] = common.rate(
            sum(1 for x in ranks if x is not None and x <= k), len(ranks)
        )
    summary["mrr"] = common.mean([1.0 / x if x else 0.0 for x in ranks])
    summary.update(common.latency_stats(common.row_latencies(rows)))
    return summary


def per_category(rows: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """The main rates per question category, for the report's table and bar chart."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r["category"]].append(r)
    out: dict[str, dict[str, float | None]] = {}
    for cat, rs in groups.items():
        m: dict[str, float | None] = {}
        gen = [r for r in rs if r.get("refused") is not None]
        if gen:
            rates = correctness.outcome_rates(gen)
            for key in ("correct", "wrong", "refused"):
                if rates[key] is not None:
                    m[key] = rates[key]
            m["refusal_accuracy"] = common.rate(sum(r["refusal_correct"] for r in gen), len(gen))
            f1 = [r["answer_f1"] for r in gen if r["answer_f1"] is not None]
            if f1:
                m["answer_f1"] = common.mean(f1)
                m["answer_recall"] = common.mean([r.get("answer_recall") or 0.0 for r in gen])
            faith = common.judged_metrics(r.get("judge") for r in gen)["faithfulness"]
            if faith is not None:
                m["faithfulness"] = faith
        ranks = [r["hit_rank"] for r in rs if r["answerable"] and "hit_rank" in r]
        if ranks:
            m["hit@1"] = common.rate(sum(1 for x in ranks if x == 1), len(ranks))
        out[cat] = m
    return out


def _examples(rows: list[dict[str, Any]], per_kind: int = 6) -> list[str]:
    """Lines for the report: the failures a reader should look at first, a few of each kind."""
    kinds: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        if r.get("refused") is None:
            continue
        answer = (r.get("answer") or "").replace("\n", " ")[:220]
        head = f"- **{r['id']}** {r['question']!r} → {answer!r}"
        if r.get("outcome") == "wrong":
            kinds["wrong answers (by the gold key facts)"].append(
                f"{head} (gold: {r['gold_answer']!r})"
            )
        if r["answerable"] and r["refused"]:
            kinds["false refusals"].append(head)
        elif not r["answerable"] and not r["refused"]:
            kinds["answered the unanswerable"].append(head)
        elif r["answerable"] and (r.get("answer_recall") or 0.0) < 0.34:
            kinds["answered, but misses the gold answer"].append(
                f"{head} (gold: {r['gold_answer']!r})"
            )
        for sent in (r.get("judge") or {}).get("sentences", []):
            if not sent["supported"]:
                why = "no citation" if not sent["citations"] else sent["feedback"][:120]
                kinds["sentences the judge finds unsupported by their citations"].append(
                    f"- **{r['id']}** ({why}): {sent['text'][:200]!r}"
                )
    lines = []
    for kind, found in kinds.items():
        lines += [f"**{kind}** ({len(found)}):", "", *found[:per_kind], ""]
    return lines


# ---------------------------------------------------------------------------------------------
# Running


class SampleSuite:
    """The sample set over the bundled articles, asked through ``chat`` (follow-ups keep
    their conversation), graded against the key facts, retrieval against the gold passages."""

    name = SUITE

    def __init__(
        self, cfg: RunConfig, set_path: Path | None = None, articles: Path | None = None
    ) -> None:
        self.cfg = cfg
        self.overrides: dict[str, Any] = {}
        self.set_path = set_path
        self.articles = Path(articles) if articles else default_articles()
        self.sessions: dict[str, str] = {}

    def items(self) -> list[SampleItem]:
        return self.cfg.window(load_set(self.set_path))

    def corpus(self, models: common.Models, root: Path) -> None:
        self.models = models
        self.rag = common.fresh_rag(models, root / "store")
        common.ingest(self.rag, [self.articles])
        library = self.rag.library
        self.docs = {a["doc_id"]: library.article(a["doc_id"])["text"] for a in library.articles()}
        self.top_k = self.rag.settings.top_k
        self.evaluator = common.PrecomputedRetrievalEvaluator(
            metrics=[common.PassageHitRate(k=self.top_k), common.PassageMRR()]
        )
        self.baseline = None
        if self.cfg.baseline and not self.cfg.retrieval_only:
            from eval.baseline import citation_engine

            self.baseline = citation_engine(self.rag, models.llm)

    def row(self, item: SampleItem) -> dict[str, Any]:
        return {
            "id": item.id,
            "category": item.category,
            "answerable": item.answerable,
            "question": item.question,
            "follow_up_of": item.follow_up_of,
            "gold_answer": item.answer,
            "gold_passages": item.gold_passages,
        }

    def score(self, item: SampleItem, row: dict[str, Any], keep: Any) -> None:
        rag, top_k = self.rag, self.top_k
        if self.cfg.retrieval_only:
            # No LLM to condense a follow-up: search with the earlier turns prepended.
            query = " ".join([*item.history, item.question])
            (hits, _, _), seconds = common.timed_call(lambda q=query: rag.retrieve(q))
            row["query"] = query
        else:
            sid = _session_for(rag, item, self.sessions)
            answer, seconds = common.timed_call(lambda s=sid, q=item.question: rag.chat(s, q))
            keep(answer)
            hits = answer.retrieved
            refused = common.record_answer(row, answer)
            row.update(score_answer(item, answer.text, refused, answer.raw_text))
            if self.baseline is not None:
                # The baseline has no chat: it gets our standalone question.
                row["baseline"] = _baseline_row(
                    self.baseline,
                    self.models.llm,
                    item,
                    answer.standalone_question or item.question,
                )
        row["latency_s"] = seconds
        if item.answerable:
            ids, texts = common.retrieved_ids_texts(hits)
            res = self.evaluator.evaluate(
                item.question,
                expected_ids=gold_span_ids(item.gold_passages, self.docs),
                expected_texts=item.gold_passages,
                retrieved_ids=ids,
                retrieved_texts=texts,
            )
            row["hit_rank"] = res.metric_dict["passage_mrr"].metadata.get("rank")
            row[f"hit@{top_k}"] = res.metric_dict["passage_hit"].score
        row["retrieved"] = common.retrieved_record(hits)

    def label(self, item: SampleItem) -> str:
        return SUITE

    def finish(self, rows: list[dict[str, Any]]) -> None:
        self.model_name = (
            "none (retrieval only)" if self.cfg.retrieval_only else self.rag.model_name
        )
        self.n_chunks = self.rag.library.chunk_count()
        self.rag.library.close()

    def summarise(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        return summarize(list(rows), self.top_k)

    def report(
        self, rows: Sequence[dict[str, Any]], summary: Mapping[str, Any], judge: Any
    ) -> dict[str, Any]:
        models = self.models
        embedder_name = getattr(models.embedder, "name", models.settings.embed_model)
        notes = [
            f"model: `{self.model_name}`; embedder: `{embedder_name}`; "
            f"judge: eval.judge ({'with' if judge.llm else 'no'} LLM)",
            f"items: {len(rows)} ({summary['n_answerable']} answerable) from "
            f"`{self.set_path or default_set_path().name}` over `{self.articles.name}`",
            f"time: {summary['seconds_total']:.0f} s",
            f"retrieval: top_k={self.top_k}; the article has {self.n_chunks} chunks, so "
            "hit@k at the engine's top_k is near-trivial here; read hit@1 and mrr.",
        ]
        rows = list(rows)
        return {
            "categories": per_category(rows),
            "distributions": {
                "answer F1 (answerable)": [
                    r["answer_f1"] for r in rows if r.get("answer_f1") is not None
                ],
                "judge support score per sentence": common.sentence_scores(rows),
                "reciprocal rank of gold passage": [
                    1.0 / r["hit_rank"] if r.get("hit_rank") else 0.0
                    for r in rows
                    if "hit_rank" in r
                ],
            },
            "notes": notes,
            "examples": _examples(rows),
        }


def run(cfg: RunConfig, set_path: Path | None = None, articles: Path | None = None) -> SuiteResult:
    """Ingest the sample articles into a temporary store, ask every question, grade, write."""
    return run_suite(SampleSuite(cfg, set_path, articles), cfg)


def _baseline_row(engine: Any, llm: Any, item: SampleItem, question: str) -> dict[str, Any]:
    """The CitationQueryEngine's answer to one item, graded like ours."""
    from eval.baseline import reset

    reset(llm)
    response, seconds = common.timed_call(lambda: engine.query(question))
    text = str(response)
    refused = common.looks_like_refusal(text) or not text.strip()
    grade = correctness.grade(text, refused, item.answerable, item.key_facts, item.must_not)
    return {"answer": text, "refused": refused, "outcome": grade.outcome, "latency_s": seconds}


def _session_for(rag: Any, item: SampleItem, sessions: dict[str, str]) -> str:
    """The chat session for an item: its parent's, else a new one (replaying the history
    when the parent was not run, e.g. cut off by ``--skip`` or ``--limit``)."""
    if item.follow_up_of and item.follow_up_of in sessions:
        sid = sessions[item.follow_up_of]
    else:
        sid = f"sample-{item.id}"
        for turn in item.history:
            rag.chat(sid, turn)
    sessions[item.id] = sid
    return sid
