"""A "Yes" to a yes/no question claims the question itself, clause by clause."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np

from rag.embeddings import Embedder, embed_cached
from rag.retrieve import outlet_names, tokenize
from rag.verify.common import (
    FRAMING,
    NEGATION_WORDS,
    POLARITY,
    Evidence,
    SourceSentence,
    Support,
    near_share,
    windows,
)
from rag.verify.config import DEFAULT, VerifyConfig
from rag.verify.support import CLAUSE_BREAK

# A "Yes" to a yes/no question claims the question itself -----------------------------
# Questions answered by yes or no.
YES_NO_QUESTION = re.compile(
    r"^\W*(is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|may|might)\b",
    re.IGNORECASE,
)


# The clause breaks of an answer, and the "as opposed to" that questions also use.
_QUESTION_BREAK = re.compile(rf"{CLAUSE_BREAK.pattern}|,\s+as opposed to\s+", re.I)


# Negation, plus the verbs that negate what follows ("fails to identify X", "lacks X").
_CONTRARY = re.compile(
    rf"\b({NEGATION_WORDS}|fail|fails|failed|failing|lack|lacks|lacked|unable)\b|n't\b",
    re.IGNORECASE,
)


def restates(text: str, question: str) -> bool:
    """Whether an answer sentence only repeats the question ("Yes, A says X" to "Does A say
    X?"): at least four fifths of its content words are the question's."""
    words = set(tokenize(POLARITY.sub("", text))) - FRAMING
    return len(words & (set(tokenize(question)) - FRAMING)) >= 0.8 * len(words)


def check_yes(
    question: str,
    sources: Sequence[SourceSentence],
    embedder: Embedder,
    outlets: Mapping[int, str],
    known_outlets: Sequence[str],
    cache: dict[str, np.ndarray] | None = None,
    titles: Mapping[int, str] | None = None,
    config: VerifyConfig = DEFAULT,
) -> Support:
    """Support for answering "Yes" to a yes/no question: the question's own claim, clause by
    clause ("Does A suggest X, while B indicates Y?").

    Questions like these paraphrase their sources, so a clause is scored by how much of it a
    sentence covers (with its neighbours and its article's title) and by embedding
    similarity; a sentence negated where the clause is not (or the reverse) cannot support
    it. A clause that names an outlet (one of ``known_outlets``) is checked only against
    that outlet's passages (``outlets``: passage number -> outlet). Every clause must reach
    ``config.yes_threshold``; its best sentence is cited."""
    usable = [s for s in sources if not s.instruction_like]
    claim = YES_NO_QUESTION.sub("", question.strip(), count=1).rstrip("?").strip()
    clauses = [c for c in _QUESTION_BREAK.split(claim) if len(set(tokenize(c)) - FRAMING) >= 2]
    if not clauses or not usable:
        return Support("Yes.", False, 0.0, reason="no claim in the question to check")
    # Per sentence, once: its words, its words with its neighbours and title, its polarity.
    own, around, _ = windows(usable, titles or {})
    contrary = [bool(_CONTRARY.search(s.text)) for s in usable]
    cache = cache if cache is not None else {}
    evidence: list[Evidence] = []
    lowest = 1.0
    for clause in clauses:
        named = [o for o in known_outlets if _mentions(clause, o)]
        text = clause
        for outlet in named:
            for name in outlet_names(outlet):
                text = re.sub(re.escape(name), " ", text, flags=re.IGNORECASE)
        words = set(tokenize(text)) - FRAMING
        embed_cached(embedder, [text, *(s.text for s in usable)], cache)
        negated = bool(_CONTRARY.search(text))
        best: tuple[float, SourceSentence | None] = (0.0, None)
        for i, s in enumerate(usable):
            if named and outlets.get(s.number) not in named:
                continue
            if negated != contrary[i]:
                continue  # "fails to identify X" is not supported by "X", nor the reverse
            cover = near_share(words, own[i], around[i])
            score = 0.5 * cover + 0.5 * float(cache[text] @ cache[s.text])
            if score > best[0]:
                best = (score, s)
        score, found = best
        lowest = min(lowest, score)
        if found is None or score < config.yes_threshold:
            why = "no passage from " + " or ".join(named) if found is None and named else ""
            return Support(
                "Yes.", False, round(score, 4), reason=why or f"the sources do not say: {clause}"
            )
        ev = Evidence(found.number, found.start, found.end, found.text, round(score, 4))
        if ev not in evidence:
            evidence.append(ev)
    return Support("Yes.", True, round(lowest, 4), evidence=evidence, joint=True)


def _mentions(text: str, outlet: str) -> bool:
    """Whether ``text`` names ``outlet`` by one of its names."""
    low = text.lower()
    return any(
        re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", low)
        for name in outlet_names(outlet)
        if len(name) > 2
    )
