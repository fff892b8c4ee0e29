"""The verifier's thresholds, in one place.

Why one object: every number that decides whether a sentence counts as supported is named
here with the reason for its value, so a study of one threshold changes one field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VerifyConfig:
    """Thresholds of the answer-time checks (``rag.verify``)."""

    # A claim is supported by a sentence scoring 0.6 * coverage + 0.4 * similarity at least
    # this, with at least ``min_coverage`` of its content words and ``min_similarity``.
    support_threshold: float = 0.55
    min_coverage: float = 0.6
    min_similarity: float = 0.35
    # A claim of at most this many content words is mostly its relation ("Azerbaijan's
    # president is X"): two thirds of the question's words in it must be in the sentence too.
    short_claim_words: int = 8
    # A claim that restates the question may be compared with a source sentence read with
    # its neighbours (where the question's context often is), at this cost in similarity:
    # the same as words found only in the neighbours cost in coverage.
    window_penalty: float = 0.15
    # Two sentences of different passages may support a claim together, at this coverage cost,
    # chosen among this many best-covering sentences.
    joint_penalty: float = 0.1
    joint_candidates: int = 6
    # Every clause of a yes/no question must score at least this for a "Yes" to stand.
    yes_threshold: float = 0.55
    # A number answers "how many N" when it counts N or a noun this close to N (cosine of the
    # two words' embeddings: "game"/"match" 0.55, "country"/"nation" 0.77; unrelated nouns
    # such as "strike"/"peacekeeper" 0.25 stay below, all-MiniLM-L6-v2).
    focus_similarity: float = 0.5
    # The name, date or number an answer gives must, in its source, be told about one of
    # the question's words or a word at least this close. Higher than ``focus_similarity``:
    # an answer's source words are many, and among 20-30 of them an unrelated word reaches
    # 0.55-0.65 by chance ("market"/"trader" 0.64, "goal"/"score" 0.55).
    anchor_similarity: float = 0.7
    # A name given for who or what did something must be tied, in its source, to the act
    # the question asks about (``rag.text.asked_act``), not only to the question's other
    # words. Off by default (the sources often word the act otherwise: "sent" / "deployed");
    # on for an answer the model wrote after being pointed at a sentence (the engine's
    # second look), where a forced answer is likelier.
    act_anchored: bool = False
    # A fact box gives a value beside its label, each a fragment without a clause
    # ("Release date. December 1, 2017"); a fragment of at most this many words is read
    # as one (``rag.text.labelled_by``). Longer clauseless text is a headline or a list,
    # where the words around a name need not be about it ("CEO: John Hanke) and Nintendo").
    fact_box_words: int = 5
    # A claim failing only on its wording is shown to a reader of meaning (the engine's
    # model) beside at most this many of the sentences closest to it.
    worded_candidates: int = 2
    # Citations kept per answer sentence (the model's own first, when they support it).
    max_citations: int = 2


DEFAULT = VerifyConfig()
