"""Correctness against gold answers: did the answer state what a reader needed?

Why a separate grader: a cited sentence is not an answer. Faithfulness asks whether each
sentence is backed by its citation; correctness asks whether the answer states the gold
answer's key facts and none of the claims a wrong answer would make (the swapped side, the
wrong number). It reads only the gold annotation and the answer text: never the sources and
never the answer-time verifier (``rag.verify``), so the two can disagree and their
disagreements are reported.

Every QA suite sorts its answerable items into ``correct`` / ``wrong`` (answered, not
correct, including non-answers) / ``refused``, and reports ``refusal_accuracy`` on its
unanswerable items; these lead every summary, above faithfulness and citation metrics.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

CORRECT, WRONG, REFUSED = "correct", "wrong", "refused"
_MARKERS = re.compile(r"\[\d+(?:\s*[,;-]\s*\d+)*\]")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def normalize(text: str) -> str:
    """Lower case, citation markers and punctuation gone, thousands separators dropped,
    padded with spaces so that phrase containment respects word boundaries."""
    text = _THOUSANDS.sub("", _MARKERS.sub(" ", text.lower().replace("’", "'")))
    text = re.sub(r"'s\b", "", text)
    return " " + " ".join(re.findall(r"[a-z0-9+]+", text)) + " "


def states(text: str, phrasing: str) -> bool:
    """Whether ``text`` contains ``phrasing`` as whole words (after ``normalize``)."""
    phrase = normalize(phrasing)
    return phrase.strip() != "" and phrase in normalize(text)


@dataclass
class Grade:
    """The verdict on one answer against its gold annotation."""

    outcome: str  # answerable: correct | wrong | refused; unanswerable: refused | answered
    missing: list[list[str]] = field(default_factory=list)  # key facts not stated
    forbidden: list[str] = field(default_factory=list)  # must-not phrasings it states

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def grade(
    answer: str,
    refused: bool,
    answerable: bool,
    key_facts: Sequence[Sequence[str]],
    must_not: Sequence[str] = (),
) -> Grade:
    """Correct when every key fact is stated by one of its phrasings and no must-not
    phrasing is; a refusal of an answerable item is ``refused``; an unanswerable item is
    ``refused`` (right) or ``answered`` (wrong)."""
    if not answerable:
        return Grade(REFUSED if refused else "answered")
    if refused:
        return Grade(REFUSED)
    missing = [list(f) for f in key_facts if not any(states(answer, p) for p in f)]
    forbidden = [p for p in must_not if states(answer, p)]
    return Grade(WRONG if (missing or forbidden or not key_facts) else CORRECT, missing, forbidden)


def outcome(correct: bool, refused: bool, answerable: bool) -> str:
    """The outcome of an answer a suite graded by its own gold rule (containment, polarity)."""
    if not answerable:
        return REFUSED if refused else "answered"
    return REFUSED if refused else (CORRECT if correct else WRONG)


def outcome_rates(rows: Iterable[Mapping[str, Any]]) -> dict[str, float | int | None]:
    """``correct``, ``wrong``, ``refused`` over the answerable rows that were answered or
    refused, and ``refusal_accuracy`` over the unanswerable ones (rows carry ``answerable``
    and ``outcome``)."""
    graded = [r for r in rows if r.get("outcome")]
    ans = [r for r in graded if r["answerable"]]
    un = [r for r in graded if not r["answerable"]]

    def share(rs: Sequence[Mapping[str, Any]], outcome: str) -> float | None:
        return sum(r["outcome"] == outcome for r in rs) / len(rs) if rs else None

    return {
        CORRECT: share(ans, CORRECT),
        WRONG: share(ans, WRONG),
        REFUSED: share(ans, REFUSED),
        "refusal_accuracy": share(un, REFUSED),
        "n_answerable": len(ans),
        "n_unanswerable": len(un),
    }


def verifier_agreement(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """How the answer-time verifier's decisions compare with correctness, on answerable rows
    that carry the model's raw answer graded as ``raw_outcome``: the verifier agrees when it
    lets a correct answer through or stops a wrong one. Returns the counts of each cell and
    the ids of the disagreements."""
    cells = {"passed_correct": [], "passed_wrong": [], "stopped_correct": [], "stopped_wrong": []}
    for r in rows:
        if not r.get("answerable") or r.get("raw_outcome") not in (CORRECT, WRONG):
            continue
        passed = r["outcome"] != REFUSED
        if passed:
            key = "passed_correct" if r["outcome"] == CORRECT else "passed_wrong"
        else:
            key = "stopped_correct" if r["raw_outcome"] == CORRECT else "stopped_wrong"
        cells[key].append(r.get("id"))
    n = sum(len(v) for v in cells.values())
    agree = len(cells["passed_correct"]) + len(cells["stopped_wrong"])
    return {
        "verifier_correctness_agreement": agree / n if n else None,
        **{f"verifier_{k}": len(v) for k, v in cells.items()},
        "disagreements": {
            "passed_wrong": cells["passed_wrong"],
            "stopped_correct": cells["stopped_correct"],
        },
    }
