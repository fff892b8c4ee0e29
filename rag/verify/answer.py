"""An answer's sentences, and the passage numbers the model cited on each."""

from __future__ import annotations

import re

from ingest.chunk import sentence_spans
from rag.text import upper_first

MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;-]\s*\d+)*)\]")


# A marker used as a noun ("According to [1], ...", "Source [2] says that ..."): the phrase
# is dropped and its number kept, so the text does not read "According to, ...".
_MARKER_AS_NOUN = re.compile(
    r"^(?:according to the (?:sources?|articles?|passages?|information provided),\s*"
    r"|(?:according to|as (?:reported|stated|mentioned) (?:in|by)|per|in)\s+"
    r"(?:(?:source|article|passage)s?\s+)?\[[\d,;\s-]+\],?\s*"
    r"|(?:source|article|passage)s?\s+\[[\d,;\s-]+\]\s+"
    r"(?:says|said|states|stated|reports|reported|mentions|notes)\s+(?:that\s+)?)",
    re.IGNORECASE,
)


# A pointer to a source left behind when its marker is removed: "..., as stated in [1]."
_POINTER = re.compile(
    r",?\s*\b(?:as\s+)?(?:(?:is|are|was|were|can be|could be)\s+)?(?:stated|mentioned|"
    r"reported|quoted|seen|shown|noted|described|found|explained|cited)(?:\s+\w+)?"
    r"\s+(?:in|by|at)\W*$"
    # "..., according to [2]." and "(see [2])" once the marker is gone.
    r"|,?\s*\(?\b(?:according to|see|per)\W*$",
    re.IGNORECASE,
)


def split_answer(answer: str) -> list[tuple[str, list[int]]]:
    """Answer sentences without markers, each with the passage numbers the model cited."""
    out = []
    # A list's item markers ("1. X", "- X") are layout, not claims.
    answer = re.sub(r"(?m)^[ \t]*(?:\d{1,2}[.)]|[-*•])[ \t]+(?=\S)", "", answer)
    # A marker in front of capitalised text starts a new sentence: "[1] X [2] Y" lists.
    answer = re.sub(r"(?<=[^\s.!?])[ \t]*(?=\[\d+\][ \t]+[A-Z])", "\n", answer.strip())
    answer = re.sub(r"\s*\n\s*", "\n\n", answer)  # a line break ends a sentence
    answer = re.sub(r"\b([A-Z])\. (?=[A-Z]\.)", r"\1.", answer)  # "U. S. Open" -> "U.S. Open"
    for s, e in _joined_initials(answer, sentence_spans(answer)):
        raw = answer[s:e]
        text = raw
        prefix = _MARKER_AS_NOUN.match(raw)
        if prefix and prefix.end() < len(raw):  # "According to [1], x" -> "X", keeping [1]
            rest = raw[prefix.end() :]
            text = upper_first(rest)
        cited: list[int] = []
        for group in MARKER.findall(raw):
            for part in re.split(r"\s*[,;]\s*", group):
                if "-" in part:
                    lo, hi = (int(x) for x in part.split("-")[:2])
                    cited += list(range(lo, min(hi, lo + 10) + 1))
                else:
                    cited.append(int(part))
        text = MARKER.sub("", text).strip()
        pointed = _POINTER.sub("", text).strip(" ,")  # "X, as stated in [1]." -> "X."
        if pointed != text:
            text = pointed + ("." if pointed and pointed[-1] not in ".!?" else "")
        if text.startswith("[") and not text[1:2].isdigit():  # "[Tampa Bay, Florida]"
            text = text[1:].removesuffix("]").strip()
        text = re.sub(r"\s+([.,;:!?])", r"\1", text)
        if text and not re.fullmatch(r"[\W_]+", text):
            out.append((text, sorted(set(cited))))
    return out


# A sentence "ending" in one capital and a full stop is an initial: "U. S. Open", "John F.
# Kennedy" (small models space out "U.S.").
_INITIAL = re.compile(r"(?:^|[\s.])[A-Z]\.$")


def _joined_initials(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans`` with each span that ends in an initial joined to the next one."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and _INITIAL.search(text[out[-1][0] : out[-1][1]]):
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out
