"""Answer-time verification: does each answer sentence say what its sources say, and does
the answer answer the question?

``support`` checks sentences against source sentences (words, numbers, names, negation,
similarity, and participants and counted nouns from the parse in ``rag.text``); ``yes`` checks
a "Yes" as the question's own claim; ``asks`` decides whether a supported answer gives what
was asked; ``answer`` splits an answer into sentences and cited numbers. Every threshold is
a field of ``VerifyConfig``."""

from __future__ import annotations

from rag.text import is_yes_no
from rag.verify.answer import MARKER, split_answer
from rag.verify.asks import (
    ANCHORED_KINDS,
    asked_for,
    asks_publication,
    gives,
    off_focus,
    story_words,
    told_words,
)
from rag.verify.common import (
    FRAMING,
    POLARITY,
    Evidence,
    SourceSentence,
    Support,
    is_instruction,
    name_words,
    split_passage,
)
from rag.verify.config import DEFAULT, VerifyConfig
from rag.verify.support import check_support, choose_citations
from rag.verify.yes import (
    NameCandidate,
    OrderVerdict,
    ReportOrder,
    check_order,
    check_yes,
    name_candidates,
    one_name,
    option_candidates,
    report_order,
    restates,
    states_predicate,
    yes_clauses,
)

__all__ = [
    "ANCHORED_KINDS",
    "DEFAULT",
    "FRAMING",
    "MARKER",
    "POLARITY",
    "Evidence",
    "NameCandidate",
    "OrderVerdict",
    "ReportOrder",
    "SourceSentence",
    "Support",
    "VerifyConfig",
    "asked_for",
    "asks_publication",
    "check_order",
    "check_support",
    "check_yes",
    "choose_citations",
    "gives",
    "is_instruction",
    "is_yes_no",
    "name_candidates",
    "name_words",
    "off_focus",
    "one_name",
    "option_candidates",
    "report_order",
    "restates",
    "split_answer",
    "split_passage",
    "states_predicate",
    "story_words",
    "told_words",
    "yes_clauses",
]
