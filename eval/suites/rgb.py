"""RGB en_fact suite: answering, negative rejection and counterfactual robustness.

Why: RGB gives, per question, snippets that contain the answer, snippets that do not, and
snippets where the answer was swapped for a fake one. Each condition gets its own fresh
collection holding only its snippets, so the system can only answer from what it was given.
The real embedder and LLM are loaded once and shared by every collection.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval import correctness
from eval.report import SuiteResult
from eval.suites import common
from eval.suites.common import RunConfig
from eval.suites.runner import run_suite
from ingest.chunk import sentence_spans

SUITE = "rgb"
CONDITIONS = ("answer", "reject", "counterfactual")
_CONFLICT = re.compile(
    r"\b(?:conflict\w*|contradict\w*|inconsistent|inconsistenc\w*|incorrect|factual errors?|"
    r"errors? in the (?:sources|documents|articles)|wrong|misinformation|disagree\w*|"
    r"discrepanc\w*)\b",
    re.IGNORECASE,
)
# A web search snippet often opens with its page's date ("Apr 20, 2022 ... text"). RGB gives
# it as part of the text; with ``page_dates`` it is read as the result's published date, the
# way newsrag ingests a dated article (a stress variant: the model no longer sees it).
_PAGE_DATE = re.compile(r"^([A-Z][a-z]{2,8}\.? \d{1,2}, \d{4}) \.\.\. ")


def default_file() -> Path:
    return common.shared_datasets() / "rgb" / "en_fact.jsonl"


def check_answer(prediction: str, ground_truth: Any) -> bool:
    """RGB's rule: every required part matched; a part is a string, or a list of aliases of
    which any may match. Lower-cased substring matching, as upstream."""
    pred = prediction.lower()
    parts = gold_parts(ground_truth)
    return bool(parts) and all(any(a.lower() in pred for a in aliases) for aliases in parts)


def gold_parts(ground_truth: Any) -> list[list[str]]:
    """RGB's gold answer as its required parts, each the list of its accepted aliases (a
    string alone is one part of one alias)."""
    parts = ground_truth if isinstance(ground_truth, list) else [ground_truth]
    return [[str(a) for a in (p if isinstance(p, list) else [p])] for p in parts]


_MONTHS = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "sept",
        "october",
        "november",
        "december",
    ]
)
_ORDINAL = re.compile(r"(?<=\d)(?:st|nd|rd|th)\b")


def _words(text: str) -> list[str]:
    """Lower-cased words and numbers in order, accents and ordinals folded, months as their
    first three letters ("19th October" and "Oct 19" give the same words)."""
    words = re.findall(r"[a-z]+|\d+", _ORDINAL.sub("", _fold(text).lower()))
    return [w[:3] if w in _MONTHS else w for w in words]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def stated_answer(snippets: Sequence[str], ground_truth: Any, question: str = "") -> str:
    """The gold answer as one of ``snippets`` states it, or "": every part of the gold
    answer (any of its aliases) in one sentence of a snippet, read as ``_words`` reads it.
    A date or an amount's words must stand together (within two words of the alias's
    length), and a date's year may come from the snippet's leading page date when the
    sentence gives none ("Nov 12, 2020 ... premieres Nov. 15"); the page date itself states
    nothing. To a "who" question, a name of two or three capitalised words may be given by
    its last word standing alone (or after the first name or its initial), as news names
    people after the first mention ("Barty wins the 2021 Wimbledon").

    Why: RGB's "negative" snippets were gathered as passages without the answer, yet many
    state it in other words ("released on November 21 of 1998" for "November 21, 1998").
    There the right behaviour is to answer, so the negative-rejection rate is also reported
    without them (``rejection_rate_unstated``)."""
    options = gold_parts(ground_truth)
    who = bool(re.match(r"\s*who\b", question, re.IGNORECASE))
    for snippet in snippets:
        dated = _PAGE_DATE.match(snippet)
        body = snippet[dated.end() :] if dated else snippet
        page_year = {w for w in _words(dated[1]) if len(w) == 4} if dated else set()
        for start, end in sentence_spans(body):
            sentence = body[start:end]
            said = _words(sentence)
            year = set() if any(len(w) == 4 and w.isdigit() for w in said) else page_year
            stated = [
                next((a for a in aliases if _states(sentence, said, year, a, who)), "")
                for aliases in options
            ]
            if options and all(stated):
                return "; ".join(stated)
    return ""


def _states(sentence: str, said: list[str], year: set[str], alias: str, who: bool) -> bool:
    """Whether a sentence (``said``: its ``_words``) states ``alias`` (``stated_answer``)."""
    need = set(_words(alias))
    if not need:
        return False
    if any(w.isdigit() for w in need):  # a date or an amount: its words together
        span = len(need) + 2
        return any(need <= set(said[i : i + span]) | year for i in range(max(1, len(said))))
    if need <= set(said):
        return True
    names = _fold(alias).split()
    if not (who and 2 <= len(names) <= 3 and all(n[:1].isupper() and n.isalpha() for n in names)):
        return False
    # The last name standing alone, or after the first name or its initial: "Leicester
    # City won" is no "Manchester City", "R. Nadal" is "Rafael Nadal".
    folded = _fold(sentence)
    for found in re.finditer(rf"\b{re.escape(names[-1])}\b", folded):
        before = re.search(r"([A-Z][\w'.-]*)\s+$", folded[: found.start()])
        after = re.match(r"\s+[A-Z]", folded[found.end() :])
        own = before is None or before[1].rstrip(".") in (names[0], names[0][0])
        if own and after is None:
            return True
    return False


def flags_conflict(text: str) -> bool:
    """Does the answer point out that its sources conflict or look wrong?"""
    return bool(_CONFLICT.search(text))


def snippets_for(item: dict[str, Any], condition: str) -> list[tuple[str, str]]:
    """(kind, text) of the snippets a condition ingests."""
    if condition == "answer":
        pairs = [("pos", s) for s in item.get("positive") or []]
        return pairs + [("neg", s) for s in item.get("negative") or []]
    if condition == "reject":
        return [("neg", s) for s in item.get("negative") or []]
    if condition == "counterfactual":
        return [("fake", s) for s in item.get("positive_wrong") or []]
    raise ValueError(f"unknown condition {condition!r}")


def write_snippets(
    path: Path, item: dict[str, Any], condition: str, page_dates: bool = False
) -> Path:
    """The snippets as small JSONL articles, ingested by the normal pipeline; with
    ``page_dates`` a snippet's leading page date becomes its published date."""
    with path.open("w", encoding="utf-8") as fh:
        for n, (kind, text) in enumerate(snippets_for(item, condition), 1):
            dated = _PAGE_DATE.match(text) if page_dates else None
            record = {
                "title": f"Search result {n}",
                "body": text[dated.end() :] if dated else text,
                "published": dated[1] if dated else "",
                "source": "web search",
                "url": f"rgb://{item['id']}/{kind}/{n}",
            }
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def score_counterfactual(
    answer_text: str, refused: bool, item: dict[str, Any], judge: dict[str, Any] | None
) -> dict[str, Any]:
    """Follows its sources (fake answer) or flags the conflict, and cites only what it says."""
    follows = not refused and check_answer(answer_text, item.get("fakeanswer", ""))
    flags = not refused and flags_conflict(answer_text)
    n_cit = int((judge or {}).get("n_citations", 0))
    n_ok = int((judge or {}).get("n_citations_supported", 0))
    cites_ok = n_ok == n_cit
    return {
        "follows_sources": follows,
        "flags_conflict": flags,
        "true_answer": not refused and check_answer(answer_text, item.get("answer", "")),
        "citations_supported": cites_ok,
        "ok": (follows or flags) and cites_ok,
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-condition rates from result rows (one row per item and condition)."""
    by = {c: [r for r in rows if r["condition"] == c and "refused" in r] for c in CONDITIONS}
    ans, rej, cf = by["answer"], by["reject"], by["counterfactual"]
    summary: dict[str, Any] = {
        # correctness first: the answer condition's correct / wrong / refused, and the
        # reject condition's refusals (refusal_accuracy, the same as rejection_rate)
        **correctness.outcome_rates(r for r in rows if r.get("outcome")),
        "n_items": len({r["id"] for r in rows}),
        "accuracy": common.mean([float(r["correct"]) for r in ans]),
        "answer_refusal_rate": common.mean([float(r["refused"]) for r in ans]),
        "rejection_rate": common.mean([float(r["refused"]) for r in rej]),
        # RGB's negatives that state the answer in other words (``stated_answer``): the
        # rejection rate without them, and how often the answer is given from them.
        "rejection_rate_unstated": common.mean(
            [float(r["refused"]) for r in rej if not r.get("negatives_state")]
        ),
        "n_reject_stated": sum(bool(r.get("negatives_state")) for r in rej),
        "reject_stated_answered_rate": common.mean(
            [float(r.get("states_gold", False)) for r in rej if r.get("negatives_state")]
        ),
        "counterfactual_cited_rate": common.mean([float(r["counterfactual"]["ok"]) for r in cf]),
        "counterfactual_follows_rate": common.mean(
            [float(r["counterfactual"]["follows_sources"]) for r in cf]
        ),
        "counterfactual_flags_rate": common.mean(
            [float(r["counterfactual"]["flags_conflict"]) for r in cf]
        ),
        "counterfactual_true_answer_rate": common.mean(
            [float(r["counterfactual"]["true_answer"]) for r in cf]
        ),
        "counterfactual_refusal_rate": common.mean([float(r["refused"]) for r in cf]),
    }
    judged = common.judged_metrics(r.get("judge") for r in cf)
    summary["counterfactual_citation_precision"] = judged["citation_precision"]
    all_judged = common.judged_metrics(r.get("judge") for r in rows if "refused" in r)
    summary["faithfulness"] = all_judged["faithfulness"]
    summary["citation_precision"] = all_judged["citation_precision"]
    summary.update(common.latency_stats(common.row_latencies(rows)))
    return summary


class RGBSuite:
    """RGB en_fact: each item under three conditions, each condition a fresh store holding
    only its snippets (one data dir and collection per store; the models are shared)."""

    name = SUITE

    def __init__(self, cfg: RunConfig, path: Path | None = None, page_dates: bool = False) -> None:
        self.cfg = cfg
        self.overrides: dict[str, Any] = {}
        self.path = Path(path) if path else default_file()
        self.page_dates = page_dates

    def items(self) -> list[tuple[dict[str, Any], str]]:
        if self.cfg.retrieval_only:
            raise ValueError("the rgb suite grades answers only; run it without --retrieval-only")
        common.need_files(
            "RGB en_fact", [(self.path, "the file: `newsrag eval rgb EN_FACT.jsonl`")]
        )
        items = self.cfg.window(common.read_jsonl(self.path))
        self.pairs = [(item, condition) for item in items for condition in CONDITIONS]
        return self.pairs

    def corpus(self, models: common.Models, root: Path) -> None:
        self.models, self.root = models, root  # a store per item and condition, in score()

    def row(self, pair: tuple[dict[str, Any], str]) -> dict[str, Any]:
        item, condition = pair
        return {
            "id": item["id"],
            "condition": condition,
            "question": item["query"],
            "gold_answer": item.get("answer"),
            "fake_answer": item.get("fakeanswer"),
        }

    def score(self, pair: tuple[dict[str, Any], str], row: dict[str, Any], keep: Any) -> None:
        item, condition = pair
        # One data dir per collection: the docstore and BM25 index must not mix items.
        data_dir = self.root / f"{item['id']}-{condition}"
        rag = common.fresh_rag(self.models, data_dir, collection=f"rgb-{item['id']}-{condition}")
        with rag.library:
            snippets = write_snippets(
                self.root / f"{item['id']}-{condition}.jsonl", item, condition, self.page_dates
            )
            common.ingest(rag, [snippets])
            answer, seconds = common.timed_call(lambda r=rag, q=item["query"]: r.ask(q))
            keep(answer)
            refused = common.record_answer(row, answer)
            row["latency_s"] = seconds
            row["correct"] = not refused and check_answer(answer.text, item.get("answer"))
            if condition == "reject":
                row["negatives_state"] = stated_answer(
                    item.get("negative") or [], item["answer"], item["query"]
                )
                said = stated_answer([answer.text], item["answer"], item["query"])
                row["states_gold"] = not refused and bool(said)
            if condition != "counterfactual":  # answer: answerable; reject: not
                row["answerable"] = condition == "answer"
                row["outcome"] = correctness.outcome(row["correct"], refused, row["answerable"])
            row["retrieved"] = common.retrieved_record(answer.retrieved)

    def label(self, pair: tuple[dict[str, Any], str]) -> str:
        return f"{SUITE} {pair[1]}"

    def finish(self, rows: list[dict[str, Any]]) -> None:
        """The counterfactual grade needs the judge's verdict on the citations."""
        for row, (item, _) in zip(rows, self.pairs, strict=True):
            if row["condition"] == "counterfactual" and "refused" in row:
                row["counterfactual"] = score_counterfactual(
                    row["answer"], row["refused"], item, row["judge"]
                )
        self.model_name = self.models.llm.metadata.model_name if self.models.llm else "?"

    def summarise(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        summary = summarize(list(rows))
        if self.page_dates:  # the stress variant: its figures are not RGB's own form
            summary["page_dates"] = True
        return summary

    def report(
        self, rows: Sequence[dict[str, Any]], summary: Mapping[str, Any], judge: Any
    ) -> dict[str, Any]:
        categories = {
            "answer": {"accuracy": summary["accuracy"]},
            "reject": {
                "rejection_rate": summary["rejection_rate"],
                "rejection_rate_unstated": summary["rejection_rate_unstated"],
            },
            "counterfactual": {
                "counterfactual_cited_rate": summary["counterfactual_cited_rate"],
                "counterfactual_follows_rate": summary["counterfactual_follows_rate"],
            },
        }
        notes = [
            f"model: `{self.model_name}`; "
            f"embedder: `{getattr(self.models.embedder, 'name', '?')}`; judge: eval.judge",
            f"items: {summary['n_items']} from `{self.path}` (first in file order), "
            "3 collections each",
            "accuracy: gold answer (any alias, lower-cased) contained in the answer with "
            "positive + negative snippets; rejection_rate: refusals with negative snippets "
            "only; counterfactual_cited_rate: with the fake-answer snippets, the answer gives "
            "the fake answer or flags the conflict, and every citation is judged to support "
            "its sentence.",
            f"rejection_rate_unstated: the same on the items whose negative snippets do not "
            f"state the answer in other words ({summary['n_reject_stated']} do: a sentence "
            "holds every word of a gold alias, a person by surname, a date's year from the "
            "page date); reject_stated_answered_rate: on those, answers that state it.",
            f"time: {summary['seconds_total']:.0f} s",
        ]
        examples = []
        for r in rows:
            if "refused" not in r:
                continue
            text = r.get("answer", "")[:200]
            if r["condition"] == "answer" and not r["correct"]:
                examples.append(
                    f"- **{r['id']}** answer wrong (gold {r['gold_answer']!r}): {text!r}"
                )
            elif r["condition"] == "reject" and not r["refused"]:
                stated = r.get("negatives_state")
                where = f"its negatives state {stated!r}" if stated else "sources lack the answer"
                examples.append(f"- **{r['id']}** answered ({where}): {text!r}")
            elif r["condition"] == "counterfactual" and not r["counterfactual"]["ok"]:
                examples.append(
                    f"- **{r['id']}** counterfactual failed (fake {r['fake_answer']!r}): {text!r}"
                )
        return {
            "categories": categories,
            "distributions": {"judge support score per sentence": common.sentence_scores(rows)},
            "notes": notes,
            "examples": examples[:15],
        }


def run(cfg: RunConfig, path: Path | None = None, page_dates: bool = False) -> SuiteResult:
    """Three fresh collections per item (answer, reject, counterfactual); one model load."""
    return run_suite(RGBSuite(cfg, path, page_dates), cfg)
