"""A self-test for the checkers: (correct, corrupted) claim pairs made from the articles.

Why: our articles are about who did what and who said what. A checker that only counts shared
words and embeds sentences cannot tell "Azerbaijan's Defense Ministry refuted Moscow's
version" from "Moscow's Defense Ministry refuted Azerbaijan's version": every word of the
second is in the source. This module makes such pairs from any article text, with the spaCy
parse of ``rag.text`` (never by hand-written per-sentence edits), and grades both the eval
judge (``eval.judge.Judge``) and the answer-time verifier (``rag.verify``) on them: a
checker gets a pair right when it supports the correct claim and rejects the corrupted one.

Kinds of corruption (a sentence a kind does not apply to is skipped):

* ``swap_actors``: two named participants of one verb exchange places (the subject's name with
  the object's or another argument's); when the sentence names no second participant of the
  same form, the subject's name is replaced by one of the passage (else the article).
* ``move_number``: two numbers of the sentence exchange places, or a number is replaced by a
  number of the passage (else the article) that counts another noun ("almost 2,000
  peacekeepers" -> "around 300 peacekeepers"); spans of time count too ("almost 30 years").
* ``negate``: the main verb is negated ("announced" -> "did not announce"); when the main verb
  reports a clause ("..., it added"), the reported verb is negated as well, as a second pair.
* ``change_speaker``: a reporting verb (say, announce, add, refute, claim, tell, ...) gets
  another named speaker of the article.

Names come in two forms, nominal ("Azerbaijan", "Sam Bankman-Fried") and adjectival
("Azerbaijani", "Armenian"); a name is only ever replaced by one of the same form. The source
of a pair is the sentence with its neighbours; its claims are the simple clause of the sentence
that holds the edit (leading adverbials and comma-separated trailing clauses the edit does not
touch are left out, as an answer would), so the correct claim is not always a verbatim copy.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.text import counted, number_key, parse_many, same_name

if TYPE_CHECKING:
    from eval.judge import Judge
    from rag.embeddings import Embedder

KINDS: tuple[str, ...] = ("swap_actors", "move_number", "negate", "change_speaker")

# Verbs that report what someone said (their subject is the speaker).
REPORTING = frozenset(
    {
        *("say", "announce", "add", "describe", "refute", "claim", "tell", "state", "report"),
        *("declare", "argue", "warn", "confirm", "deny", "note", "insist", "reveal", "indicate"),
        *("explain", "accuse", "assert", "stress", "underline", "acknowledge", "admit"),
        *("suggest", "write", "reply", "respond", "allege", "testify"),
    }
)
_NAME_ENTS = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "PRODUCT"})
_NOT_NAME_ENTS = frozenset({"DATE", "TIME", "ORDINAL", "CARDINAL", "MONEY", "QUANTITY", "PERCENT"})
_NOT_NAMES = frozenset({"PRON", "DET", "ADP", "CCONJ", "SCONJ", "PUNCT", "NUM", "AUX"})
_NUMBER_ENTS = frozenset({"CARDINAL", "MONEY", "QUANTITY", "PERCENT"})
_NOT_COUNTS = frozenset({"DATE", "TIME", "ORDINAL"})
_SCALE = {"thousand": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
_SUBJ = frozenset({"nsubj", "csubj"})
_OBJ = frozenset({"dobj", "nsubjpass", "dative", "attr", "oprd", "pobj"})
MIN_WORDS = 5


@dataclass(frozen=True)
class Pair:
    """One self-test item: ``source`` states ``correct``; ``corrupted`` is ``correct`` changed
    by one edit of ``kind`` (``edit`` says which, e.g. "Azerbaijan <-> Moscow")."""

    kind: str
    source: str  # the passage: the sentence with its neighbours, as a reader sees it
    correct: str
    corrupted: str
    doc: str
    edit: str = ""


# Articles ----------------------------------------------------------------------------------


def article_sentences(text: str, name: str = "article.txt") -> list[str]:
    """The sentences of an article's body (its title line left out), as ingestion reads it."""
    from ingest.chunk import sentence_spans
    from ingest.clean import clean_text
    from ingest.load import load_text
    from rag.errors import IngestError

    try:
        body = load_text(Path(name), text).text
    except IngestError:
        body = text
    body = clean_text(body)
    # a line break ends a sentence too (a heading, a list item)
    lines = (line.strip() for s, e in sentence_spans(body) for line in body[s:e].split("\n"))
    return [line for line in lines if line]


def load_texts(directory: str | Path) -> dict[str, str]:
    """``{file stem: text}`` of the ``.txt`` articles of a directory (the bundled sample)."""
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(Path(directory).glob("*.txt"))}


# Names and their roles ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Name:
    """A run of name tokens in one sentence ("Sam Bankman-Fried", "Azerbaijani")."""

    start: int  # character offsets in the sentence
    end: int
    text: str
    adjectival: bool  # "Armenian", "Azerbaijani": an adjective-like name (NORP)
    position: str  # "owner" (possessor), "modifier" (of a common noun) or "head"
    verb: int  # index of the verb it is an argument of (-1: none)
    role: str  # "subj", "obj", "prep:<word>" or "other"


def _is_name_token(tok: Any) -> bool:
    if not tok.text[:1].isupper() or tok.ent_type_ in _NOT_NAME_ENTS or tok.pos_ in _NOT_NAMES:
        return False
    return tok.pos_ == "PROPN" or tok.ent_type_ in _NAME_ENTS


def _is_verb(tok: Any) -> bool:
    return tok.pos_ in ("VERB", "AUX") and tok.dep_ != "amod"


def _governor(tok: Any) -> tuple[int, str]:
    """The verb ``tok``'s phrase is an argument of, and the role it plays there."""
    cur = tok
    while cur.head.i != cur.i:  # spaCy makes a new Token per access: compare indices
        head = cur.head
        if _is_verb(head) and cur.dep_ not in ("aux", "auxpass"):
            dep = cur.dep_
            if dep in _SUBJ:
                return head.i, "subj"
            if dep == "agent":  # "was seen by X": X acts
                return head.i, "subj"
            if dep in _OBJ:
                return head.i, "obj"
            if dep == "prep":
                return head.i, f"prep:{cur.lower_}"
            return head.i, "other"
        cur = head
    return -1, "other"


def _names(doc: Any) -> list[_Name]:
    runs: list[list[Any]] = []
    for tok in doc:
        if _is_name_token(tok):
            norp = tok.ent_type_ == "NORP" or tok.pos_ == "ADJ"
            last = runs[-1][-1] if runs else None
            joined = (
                last is not None
                and (last.i == tok.i - 1 or (last.i == tok.i - 2 and doc[tok.i - 1].text == "-"))
                and (last.ent_type_ == "NORP" or last.pos_ == "ADJ") == norp
                and last.dep_ != "poss"
            )
            if joined:
                if last.i == tok.i - 2:
                    runs[-1].append(doc[tok.i - 1])
                runs[-1].append(tok)
            else:
                runs.append([tok])
    out = []
    for run in runs:
        ids = {t.i for t in run}
        head = next((t for t in run if t.head.i not in ids or t.head.i == t.i), run[-1])
        adjectival = all(t.ent_type_ == "NORP" or t.pos_ == "ADJ" for t in run if t.text != "-")
        if head.dep_ == "poss":
            position = "owner"
        elif head.dep_ in ("amod", "compound", "nmod", "npadvmod") and head.head.pos_ != "PROPN":
            position = "modifier"
        else:
            position = "head"
        verb, role = _governor(head)
        start, end = run[0].idx, run[-1].idx + len(run[-1].text)
        out.append(_Name(start, end, doc.text[start:end], adjectival, position, verb, role))
    return out


def _same(a: str, b: str) -> bool:
    """Whether two name texts denote the same participant ("Russia" / "Russian")."""
    wa, wb = a.lower().split(), b.lower().split()
    return any(same_name(x, y) for x in wa for y in wb)


# A corruption: character-span replacements in the sentence, and what they do.
Edit = tuple[list[tuple[int, int, str]], str]


def _replace(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(edits, key=lambda e: -e[0]):
        text = text[:start] + new + text[end:]
    return text


def _verb_order(doc: Any) -> list[int]:
    """Verbs of a sentence, its root first."""
    verbs = [t.i for t in doc if _is_verb(t)]
    return sorted(verbs, key=lambda i: (doc[i].dep_ != "ROOT", i))


# The corruptions ---------------------------------------------------------------------------


def _swap_actors(doc: Any, names: list[_Name], nearby: Sequence[list[_Name]]) -> Edit | None:
    """Exchange the subject's name with another named participant of the same verb; else
    replace it by a name of the same form from ``nearby`` (passage first, then article)."""
    for verb in _verb_order(doc):
        subj = [n for n in names if n.verb == verb and n.role == "subj"]
        other = [n for n in names if n.verb == verb and n.role != "subj" and n.role != "other"]
        pairs = [
            (a, b)
            for a in subj
            for b in other
            if a.adjectival == b.adjectival and not _same(a.text, b.text)
        ]
        pairs.sort(key=lambda p: (p[0].position != p[1].position, p[0].start, p[1].start))
        if pairs:
            a, b = pairs[0]
            return [(a.start, a.end, b.text), (b.start, b.end, a.text)], f"{a.text} <-> {b.text}"
    for verb in _verb_order(doc):
        if doc[verb].lemma_.lower() in REPORTING:
            continue  # another speaker: change_speaker's business
        for a in (n for n in names if n.verb == verb and n.role == "subj"):
            cand = _other_name(a, names, nearby)
            if cand is not None:
                return [(a.start, a.end, cand.text)], f"{a.text} -> {cand.text}"
    return None


def _other_name(a: _Name, names: list[_Name], groups: Iterable[list[_Name]]) -> _Name | None:
    """The first name of ``groups`` of ``a``'s form that is none of the sentence's names."""
    for group in groups:
        for cand in group:
            if cand.adjectival == a.adjectival and not any(_same(cand.text, n.text) for n in names):
                return cand
    return None


def _speakers(doc: Any, names: list[_Name]) -> list[_Name]:
    """Names that speak in a sentence: the subjects of its reporting verbs ("Rehn declared"),
    by their owner when they have one ("Russia" of "Russia's Defense Ministry said")."""
    out = []
    for verb in _verb_order(doc):
        if doc[verb].lemma_.lower() in REPORTING:
            out += _subjects(names, verb)[:1]
    return out


def _subjects(names: list[_Name], verb: int) -> list[_Name]:
    """The names of ``verb``'s subject, owners first ("Azerbaijan" of "Azerbaijan's Defense
    Ministry"), nominal before adjectival."""
    subj = [n for n in names if n.verb == verb and n.role == "subj"]
    return sorted(subj, key=lambda n: (n.position != "owner", n.adjectival, n.start))


def _change_speaker(
    doc: Any, names: list[_Name], speakers: Sequence[list[_Name]], others: Sequence[list[_Name]]
) -> Edit | None:
    """Give a reporting verb another named speaker: one who speaks elsewhere in the article
    (one the sentence does not name first), else another name of the same form from the
    passage or the article."""
    for verb in _verb_order(doc):
        if doc[verb].lemma_.lower() not in REPORTING:
            continue
        for a in _subjects(names, verb):
            subj = [n for n in names if n.verb == verb and n.role == "subj"]
            cand = (
                _other_name(a, names, speakers)
                or _other_name(a, subj, speakers)
                or _other_name(a, names, others)
            )
            if cand is not None:
                return [(a.start, a.end, cand.text)], f"{a.text} -> {cand.text}"
    return None


@dataclass(frozen=True)
class _Number:
    start: int
    end: int
    text: str
    value: float | None
    nouns: frozenset[str]
    money: bool
    bare: str  # the number without its modifiers ("2,000" of "almost 2,000")
    compound: bool  # "four-drone", "44-day": the number is part of a hyphenated word


def _value(tokens: Sequence[Any]) -> float | None:
    value: float | None = None
    for tok in tokens:
        low = tok.lower_.replace("£", "").replace("$", "").replace("€", "")
        scale = re.fullmatch(r"([\d.,]*)(bn|m|billion|million|thousand|trillion)", low)
        if scale and scale.group(2) in _SCALE:
            base = float(scale.group(1).replace(",", "")) if scale.group(1) else value or 1.0
            value = base * _SCALE[scale.group(2)]
            continue
        try:
            value = float(number_key(low))
        except ValueError:
            continue
    return value


# Nouns of a span of time: "almost 30 years", "the 44-day conflict" count them (spaCy tags
# such numbers DATE or TIME, which ``rag.text.counted`` leaves out as dates).
_DURATIONS = frozenset(
    {"second", "minute", "hour", "day", "week", "month", "year", "decade", "century"}
)


def _counts_duration(tok: Any) -> str:
    head = tok.head
    while head.dep_ == "compound" and head.head.i != head.i and head.lemma_ not in _DURATIONS:
        head = head.head
    if tok.dep_ in ("nummod", "compound") and head.lemma_.lower() in _DURATIONS:
        return head.lemma_.lower()
    return ""


def _numbers(doc: Any) -> list[_Number]:
    """Counting numbers of a sentence, each as its whole phrase ("almost 2,000",
    "$3.66 billion") with the nouns it counts (``rag.text.counted``, plus spans of time)."""
    counts = counted(doc.text)
    out: list[_Number] = []
    used: set[int] = set()
    for tok in doc:
        if tok.i in used or not tok.like_num:
            continue
        key = number_key(tok.text)
        ent = next((e for e in doc.ents if e.start <= tok.i < e.end), None)
        duration = _counts_duration(tok)
        if duration:
            nouns = frozenset({duration})
        elif tok.ent_type_ in _NOT_COUNTS:
            continue
        elif key in counts or (ent is not None and ent.label_ == "MONEY"):
            nouns = frozenset()
        else:
            continue
        if ent is not None and ent.label_ in _NUMBER_ENTS | _NOT_COUNTS and ent.start <= tok.i:
            toks = [t for t in ent if t.i <= tok.i or t.like_num or t.lower_ in _SCALE]
            toks = [t for t in toks if t.i >= ent.start]
            while toks and not (toks[-1].like_num or toks[-1].lower_ in _SCALE):
                toks.pop()  # "roughly 25 miles" -> "roughly 25"
            while toks and (toks[0].lower_ in ("the", "a", "an") or toks[0].ent_type_ == ""):
                toks.pop(0)
            # the phrase is the number with what modifies it, never other numbers before it
            while toks and toks[0].i < tok.i and toks[0].like_num:
                toks.pop(0)
        else:
            toks = [tok]
        if not toks or any(t.lower_ in ("-", "–") for t in toks):
            continue
        start, end = toks[0].idx, toks[-1].idx + len(toks[-1].text)
        if doc.text[start - 1 : start] in ("$", "£", "€") and start > 0:
            start -= 1  # "$5,000" whole, whatever the entity recogniser took
        before, after = doc.text[max(0, start - 1) : start], doc.text[end : end + 2]
        if before in ("+", "-", ".") or after[:1] in ("+", ".", ":") or re.match(r"-\d", after):
            continue  # "3+3", "4-1", "Oct. 10": a score, a format or a date
        if re.search(r"(?:\b[Nn]o\.?|#|\bnumber)\s*$", doc.text[:start]):
            continue  # "baby No. 2": a label, not a count
        value = _value(toks)
        if value is None or value == 1 or (re.fullmatch(r"1[89]\d\d|20\d\d", tok.text)):
            continue  # "one" (its noun is singular), a year
        used |= {t.i for t in toks}
        nouns |= frozenset(n for t in toks for n in counts.get(number_key(t.text), ()))
        money = any(c in doc.text[start:end] for c in "$£€")
        digits = [t for t in toks if t.like_num or t.lower_ in _SCALE or t.text in "$£€"]
        bare = doc.text[digits[0].idx : digits[-1].idx + len(digits[-1].text)]
        compound = doc.text[end : end + 1] == "-"
        out.append(_Number(start, end, doc.text[start:end], value, nouns, money, bare, compound))
    return out


def _move_number(doc: Any, numbers: list[_Number], nearby: Sequence[_Number]) -> list[Edit]:
    """For each number of the sentence: exchange it with another number of the sentence, else
    give it a number of the passage (then of the article) that counts another noun."""

    def other_noun(a: _Number, b: _Number) -> bool:
        return (
            a.value != b.value
            and not (a.nouns & b.nouns)
            and a.text != b.text
            and a.money == b.money  # "$100 months" would be no claim at all
        )

    def put(a: _Number, b: _Number) -> tuple[int, int, str]:
        new = b.bare if a.compound else b.text  # "44-day" -> "300-day", not "around 300-day"
        new = new[:1].upper() + new[1:] if a.start == 0 else new[:1].lower() + new[1:]
        return a.start, a.end, new

    out = []
    done: set[int] = set()
    for i, a in enumerate(numbers):
        if i in done:
            continue
        partner = next(
            (j for j, b in enumerate(numbers) if j != i and j not in done and other_noun(a, b)),
            None,
        )
        if partner is not None:
            b = numbers[partner]
            done |= {i, partner}
            out.append(([put(a, b), put(b, a)], f"{a.text} <-> {b.text}"))
            continue
        cands = [b for b in nearby if other_noun(a, b)]  # nearest first
        if cands:
            b = cands[0]
            out.append(([put(a, b)], f"{a.text} -> {b.text}"))
    return out


_DO = {"VBD": "did", "VBZ": "does", "VBP": "do"}
_AUXILIARIES = frozenset(
    {
        *("be", "have", "do", "will", "would", "can", "could"),
        *("may", "might", "shall", "should", "must"),
    }
)
_NEGATIVE_DETS = frozenset({"no", "never", "neither", "nor", "none", "nothing"})


def _negate_verb(doc: Any, verb: Any) -> Edit | None:
    """The edit that negates ``verb`` ("announced" -> "did not announce", "were told" ->
    "were not told", "was" -> "was not"), or None when it is negative already."""
    if any(c.dep_ == "neg" for c in verb.children):
        return None
    if any(
        t.lower_ in _NEGATIVE_DETS for t in verb.subtree if t.head == verb or t.head.head == verb
    ):
        return None  # "There were no casualties": already negative
    auxes = [c for c in verb.children if c.dep_ in ("aux", "auxpass") and c.i < verb.i]
    auxes = [a for a in auxes if a.lower_ != "to"]
    if auxes:
        aux = auxes[0]
        if not aux.text[:1].isalpha() or aux.lemma_.lower() not in _AUXILIARIES:
            return None  # "’ve": a contraction; "feels conflicted": no auxiliary to negate
        end = aux.idx + len(aux.text)
        return [(end, end, " not")], f"{aux.text} -> {aux.text} not"
    if verb.lemma_.lower() == "be" or verb.tag_ == "MD":
        end = verb.idx + len(verb.text)
        return [(end, end, " not")], f"{verb.text} -> {verb.text} not"
    if any(c.dep_ in ("nsubj", "nsubjpass", "expl") and c.i > verb.i for c in verb.children):
        return None  # "..., said Mark Brady": "did not say Mark Brady" is no sentence
    do = _DO.get(verb.tag_)
    if do is None or not verb.text.isalpha():
        return None
    lemma = verb.lemma_.lower()
    if verb.i == 0:
        do = do.capitalize()
    new = f"{do} not {lemma}"
    return [(verb.idx, verb.idx + len(verb.text), new)], f"{verb.text} -> {new}"


def _negations(doc: Any) -> list[Edit]:
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None or root.pos_ not in ("VERB", "AUX"):
        return []
    out = []
    first = _negate_verb(doc, root)
    if first:
        out.append(first)
    if root.lemma_.lower() in REPORTING:  # "X were told about it, it added": the report too
        clause = next((c for c in root.children if c.dep_ == "ccomp" and _is_verb(c)), None)
        second = _negate_verb(doc, clause) if clause is not None else None
        if second:
            out.append(second)
    return out


# Simple clauses ----------------------------------------------------------------------------

# Children of the main verb that frame its clause rather than state it: "However,", "During
# the 44-day conflict,", ", reaffirming its role ...", ", but Azerbaijan challenged ...".
_LEADING = frozenset({"advmod", "prep", "advcl", "npadvmod", "cc", "intj"})
_TRAILING = frozenset({"advcl", "conj", "parataxis"})


def _droppable(doc: Any) -> list[tuple[int, int]]:
    """Character ranges of ``doc`` whose removal leaves a simple clause that the sentence
    still states: leading adverbials before the subject and trailing clauses after a comma."""
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None or not _is_verb(root):
        return []
    subjects = [c for c in root.children if c.dep_ in ("nsubj", "nsubjpass", "expl")]
    if not subjects:
        return []
    first = min(t.i for c in subjects for t in c.subtree)
    out = []
    for child in root.children:
        sub = sorted(child.subtree, key=lambda t: t.i)
        lo, hi = sub[0].i, sub[-1].i
        if child.dep_ in _LEADING and hi < first and hi + 1 < first and doc[hi + 1].text == ",":
            out.append((doc[lo].idx, doc[hi + 2].idx))  # "However, " up to the next word
        elif child.dep_ in _TRAILING and lo > root.i and _is_verb(child):
            start = lo  # back over the ", but" / ", and" that joins it
            while start > 0 and doc[start - 1].dep_ in ("cc", "punct"):
                if doc[start - 1].head.i not in (root.i, child.i):
                    break
                start -= 1
            if doc[start].text != ",":
                continue  # only a clause set off by a comma
            end = doc[hi].idx + len(doc[hi].text)
            out.append((doc[start].idx, end))
    return out


def _render(
    doc: Any, drops: list[tuple[int, int]], edits: list[tuple[int, int, str]]
) -> tuple[str, str]:
    """(correct, corrupted): the sentence without the ``drops`` that hold no edit, without and
    with ``edits``."""
    keep = [
        (lo, hi) for lo, hi in drops if not any(lo <= s < hi or lo < e <= hi for s, e, _ in edits)
    ]
    cut = [(lo, hi, "") for lo, hi in keep]
    correct, corrupted = _replace(doc.text, cut), _replace(doc.text, cut + edits)
    if keep:
        end = doc.text.rstrip()[-1:] if doc.text.rstrip()[-1:] in ".!?" else ""
        correct, corrupted = (_tidy(t, end) for t in (correct, corrupted))
    return correct, corrupted


def _tidy(text: str, end: str) -> str:
    text = re.sub(r"\s+([,.;:!?])", r"\1", text).strip()
    if end and text[-1:] not in ".!?\"”'’":
        text += end  # "..., and it gives X a free-kick." cut: keep the full stop
    return text[:1].upper() + text[1:]


# The generator -----------------------------------------------------------------------------


def _is_statement(sentence: str) -> bool:
    """A sentence that states something: long enough, not a question, not a headline."""
    words = re.findall(r"[A-Za-z][\w'’-]*", sentence)
    if len(words) < MIN_WORDS or sentence.rstrip()[-1:] in ("?", ":", ";"):
        return False
    capitals = sum(w[0].isupper() for w in words)
    return not (capitals > 0.6 * len(words) and sentence.rstrip()[-1:] not in '.!"”')


def _passage(sentences: Sequence[str]) -> str:
    """Sentences as a reader sees them: joined by spaces, a line without a full stop (a
    heading) set apart by a blank line."""
    out = ""
    for sentence in sentences:
        if out:
            out += " " if out.rstrip()[-1:] in ".!?\"”'’)" else "\n\n"
        out += sentence
    return out


def make_pairs(texts: Mapping[str, str], clauses: bool = True) -> list[Pair]:
    """Pairs for every article of ``texts`` (``{doc id: article text}``), in a fixed order:
    articles by id, sentences in reading order, kinds in ``KINDS`` order.

    With ``clauses`` a claim is the simple clause of its sentence that holds the edit (the
    sentence without leading adverbials and comma-separated trailing clauses that the edit
    does not touch), as an answer would state it; else the whole sentence."""
    pairs: list[Pair] = []
    seen: set[tuple[str, str]] = set()
    for doc_id in sorted(texts):
        sentences = article_sentences(texts[doc_id], f"{doc_id}.txt")
        docs = parse_many(sentences)
        names = [_names(d) for d in docs]
        numbers = [_numbers(d) for d in docs]
        speakers = [_speakers(d, n) for d, n in zip(docs, names, strict=True)]
        for i, (doc, sentence) in enumerate(zip(docs, sentences, strict=True)):
            if not _is_statement(sentence):
                continue
            lo, hi = max(0, i - 1), min(len(sentences), i + 2)
            source = _passage(sentences[lo:hi])
            around = [j for j in range(lo, hi) if j != i]
            # nearest sentences first: the passage, then the rest of the article
            order = around + sorted(
                (j for j in range(len(sentences)) if not lo <= j < hi), key=lambda j: abs(j - i)
            )
            found: list[tuple[str, Edit | None]] = [
                ("swap_actors", _swap_actors(doc, names[i], [names[j] for j in order])),
                *(
                    ("move_number", m)
                    for m in _move_number(doc, numbers[i], [n for j in order for n in numbers[j]])
                ),
                *(("negate", n) for n in _negations(doc)),
                (
                    "change_speaker",
                    _change_speaker(
                        doc,
                        names[i],
                        [speakers[j] for j in order if j != i],
                        [names[j] for j in order],
                    ),
                ),
            ]
            drops = _droppable(doc) if clauses else []
            for kind, made in found:
                if made is None:
                    continue
                edits, edit = made
                correct, corrupted = _render(doc, drops, edits)
                if corrupted == correct or (kind, corrupted) in seen:
                    continue
                seen.add((kind, corrupted))
                pairs.append(Pair(kind, source, correct, corrupted, doc_id, edit))
    return pairs


# The self-test -----------------------------------------------------------------------------


@dataclass
class Graded:
    """One checker's verdicts on one pair."""

    correct_supported: bool
    corrupted_supported: bool
    correct_reason: str = ""
    corrupted_reason: str = ""

    @property
    def right(self) -> bool:
        return self.correct_supported and not self.corrupted_supported


def judge_supports(judge: Judge, source: str, claim: str) -> tuple[bool, str]:
    """Whether the judge finds every sentence of ``claim`` supported by ``source``."""
    verdicts = judge.check([source], claim)
    bad = [c for c in verdicts.claims if c.verdict != "supported"]
    return not bad, "; ".join(r for c in bad for r in (c.reasons or [c.verdict]))


def verifier_supports(source: str, claim: str, embedder: Embedder) -> tuple[bool, str]:
    """Whether ``rag.verify.check_support`` supports ``claim`` from the passage's sentences."""
    from rag.verify import check_support, split_passage

    support = check_support([claim], split_passage(1, source, 0), embedder)[0]
    return support.supported, support.reason


def _tally(pairs: Sequence[Pair], graded: Sequence[Graded]) -> dict[str, Any]:
    right = Counter(p.kind for p, g in zip(pairs, graded, strict=True) if g.right)
    total = Counter(p.kind for p in pairs)
    rejected = sum(not g.correct_supported for g in graded)
    accepted = sum(g.corrupted_supported for g in graded)
    return {
        "accuracy": round(sum(right.values()) / len(pairs), 4) if pairs else 0.0,
        "by_kind": {k: round(right[k] / total[k], 4) for k in KINDS if total[k]},
        "right": sum(right.values()),
        "correct_rejected": rejected,
        "corrupted_accepted": accepted,
        "wrong": [
            {**asdict(p), **asdict(g)} for p, g in zip(pairs, graded, strict=True) if not g.right
        ],
    }


def run_selftest(pairs: Sequence[Pair], judge: Judge, embedder: Embedder) -> dict[str, Any]:
    """Grade every pair with the judge and with the verifier.

    Returns ``{"n_pairs", "counts": {kind: n}, "judge": R, "verifier": R}`` where each ``R`` is
    ``{"accuracy", "by_kind": {kind: accuracy}, "right", "correct_rejected",
    "corrupted_accepted", "wrong": [pair fields + correct_supported, corrupted_supported,
    correct_reason, corrupted_reason]}``. A checker gets a pair right when it supports the
    correct claim and rejects the corrupted one. Nothing is printed.
    """
    judged: list[Graded] = []
    verified: list[Graded] = []
    for p in pairs:
        judged.append(Graded(*_pair(judge_supports, judge, p)))
        verified.append(Graded(*_pair(_verifier, embedder, p)))
    counts = Counter(p.kind for p in pairs)
    return {
        "n_pairs": len(pairs),
        "counts": {k: counts[k] for k in KINDS if counts[k]},
        "judge": _tally(pairs, judged),
        "verifier": _tally(pairs, verified),
    }


def _verifier(embedder: Embedder, source: str, claim: str) -> tuple[bool, str]:
    return verifier_supports(source, claim, embedder)


def _pair(check: Any, checker: Any, p: Pair) -> tuple[bool, bool, str, str]:
    ok, why = check(checker, p.source, p.correct)
    bad, why_bad = check(checker, p.source, p.corrupted)
    return ok, bad, why, why_bad


__all__ = [
    "KINDS",
    "REPORTING",
    "Graded",
    "Pair",
    "article_sentences",
    "judge_supports",
    "load_texts",
    "make_pairs",
    "run_selftest",
    "verifier_supports",
]
