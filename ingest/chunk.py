"""Stage 3, chunk: sentence-aware chunks measured in tiktoken tokens, with character offsets."""

from __future__ import annotations

import re

from rag.documents import Article, Chunk
from rag.tokens import encoding

# A sentence ends at . ! ? (maybe followed by a closing quote/bracket) before whitespace and an
# upper-case letter, digit or opening quote; or at a paragraph break.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])|\n\s*\n")
_ABBREVIATIONS = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Col|Lt|Sgt|St|Jr|Sr|Inc|Ltd|Co|Corp|vs|etc|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|No|U\.S|U\.K|e\.g|i\.e)\.$"
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``, whitespace trimmed, offsets exact."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.start()
        piece = text[start:end]
        if "\n" not in match.group(0) and _ABBREVIATIONS.search(piece):
            continue  # "Nov. 10" is not a sentence end
        # Keep closing quotes/brackets with the sentence they close.
        end += len(match.group(0)) - len(match.group(0).lstrip("\"'”’)]"))
        _add_span(text, start, end, spans)
        start = match.end()
    _add_span(text, start, len(text), spans)
    return spans


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def _split_long(text: str, start: int, end: int, size: int) -> list[tuple[int, int, int]]:
    """Cut one over-long sentence into pieces of at most ``size`` tokens (by token offsets)."""
    enc = encoding()
    tokens = enc.encode_ordinary(text[start:end])
    pieces, pos = [], start
    for i in range(0, len(tokens), size):
        piece = enc.decode(tokens[i : i + size])
        piece_end = min(end, pos + len(piece))
        pieces.append((pos, piece_end, len(tokens[i : i + size])))
        pos = piece_end
    return pieces


def chunk_article(article: Article, size: int = 256, overlap: int = 32) -> list[Chunk]:
    """Greedy packing of whole sentences up to ``size`` tokens. Whole trailing sentences (about
    ``overlap`` tokens, sentences up to twice that) start the next chunk again, so a fact cut at
    a border survives."""
    text = article.text
    spans = sentence_spans(text)
    if not spans:
        return []
    enc = encoding()  # one sentence at a time: the batch call starts a thread pool per call
    counts = [len(enc.encode_ordinary(text[s:e])) for s, e in spans]
    units: list[tuple[int, int, int]] = []
    for (s, e), n in zip(spans, counts, strict=True):
        units += _split_long(text, s, e, size) if n > size else [(s, e, n)]

    chunks: list[Chunk] = []
    i = 0
    while i < len(units):
        j, total = i, 0
        while j < len(units) and (total + units[j][2] <= size or j == i):
            total += units[j][2]
            j += 1
        start, end = units[i][0], units[j - 1][1]
        chunks.append(Chunk(article.doc_id, len(chunks), start, end, text[start:end]))
        if j >= len(units):
            break
        # Step back over trailing sentences that fit in the overlap budget.
        back, carried = j, 0
        while back - 1 > i and carried < overlap and units[back - 1][2] <= 2 * overlap:
            back -= 1
            carried += units[back][2]
        i = back
    return chunks
