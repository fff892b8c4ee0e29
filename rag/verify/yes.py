"""A "Yes" to a yes/no question claims the question itself, clause by clause."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.embeddings import Embedder, embed_cached
from rag.retrieve import named_outlets, outlet_names, tokenize
from rag.text import (
    ORGANISATION_NOUNS,
    PERSON_NOUNS,
    PLACE_NOUNS,
    Alternatives,
    claim_predicate,
    is_yes_no,
    lemmas,
    name_key,
    names_in,
    parse,
    parse_many,
    subject_asked,
    with_subject,
    yes_no_claim,
)
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


# The clause breaks of an answer, and the "as opposed to" that questions also use.
_QUESTION_BREAK = re.compile(rf"{CLAUSE_BREAK.pattern}|,\s+as opposed to\s+", re.I)


# Negation, plus the verbs that negate what follows ("fails to identify X", "lacks X").
_CONTRARY = re.compile(
    rf"\b({NEGATION_WORDS}|fail|fails|failed|failing|lack|lacks|lacked|unable)\b|n['’]t\b",
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

    Each clause is scored as ``_ClauseScorer`` says; every clause must reach
    ``config.yes_threshold``; its best sentence is cited."""
    usable = [s for s in sources if not s.instruction_like]
    if report_order(question, known_outlets) is not None:
        # Its "Yes" claims an order of two reports, which only their publication times
        # tell (``check_order``); its clauses' words prove nothing about it.
        return Support("Yes.", False, 0.0, reason="the order of the two reports is not known")
    clauses = _question_clauses(question)
    if not clauses or not usable:
        return Support("Yes.", False, 0.0, reason="no claim in the question to check")
    scorer = _ClauseScorer(usable, embedder, outlets, known_outlets, cache, titles)
    evidence: list[Evidence] = []
    lowest = 1.0
    for clause in clauses:
        score, found, named = scorer.best(clause)
        lowest = min(lowest, score)
        if found is None or score < config.yes_threshold:
            why = "no passage from " + " or ".join(named) if found is None and named else ""
            return Support(
                "Yes.", False, round(score, 4), reason=why or f"the sources do not say: {clause}"
            )
        if not states_predicate(clause, found.text, known_outlets):
            return Support(
                "Yes.", False, round(score, 4), reason=f"the sources do not say it so: {clause}"
            )
        ev = Evidence(found.number, found.start, found.end, found.text, round(score, 4))
        if ev not in evidence:
            evidence.append(ev)
    return Support("Yes.", True, round(lowest, 4), evidence=evidence, joint=True)


# Subjects that are reports, not what they report on: "the same source also report ...".
# (Not the rest of FRAMING: "the company confirm the layoffs" claims the company's act.)
_ABOUT_REPORTS = frozenset(
    tokenize("article articles report reports source sources outlet outlets story piece")
)


def states_predicate(clause: str, sentence: str, known_outlets: Sequence[str]) -> bool:
    """Whether ``sentence`` (the one that scores best for a clause) says the clause's
    predicate, the word the question asks about (``claim_predicate``): its subject is given,
    so the shared words of a sentence about that subject prove nothing of "plain sailing",
    "confirmed" or "seal the Shield with a win" ("... anything but smooth sailing",
    "reportedly preparing for a ground invasion", "won the Shield ... despite suffering
    defeat" passed on their words). Where it does not, the model reads the clause instead
    (``NewsRAG._entailed_yes``). A clause about what an article or outlet says is left to
    the scores: its verb ("suggest", "describe") is the question's framing, not a word of
    the article's."""
    subject, predicate = claim_predicate(clause)
    if not predicate:
        return True
    if set(tokenize(subject)) & _ABOUT_REPORTS or any(_mentions(subject, o) for o in known_outlets):
        return True
    return bool(predicate & lemmas(sentence))


def _question_clauses(question: str) -> list[str]:
    """The clauses a "Yes" to the question claims, each with two content words or more
    ("Does A suggest X, while B indicates Y?": "A suggest X", "B indicates Y")."""
    claim = yes_no_claim(question)
    return [c for c in _QUESTION_BREAK.split(claim) if len(set(tokenize(c)) - FRAMING) >= 2]


class _ClauseScorer:
    """Scores a question's clause against the usable source sentences, each sentence's words
    (alone, and with its neighbours and its article's title) and polarity read once.

    Questions paraphrase their sources, so a clause is scored by how much of it a sentence
    covers and by embedding similarity, half each; a sentence negated where the clause is
    not (or the reverse) cannot support it; a clause that names an outlet (one of
    ``known_outlets``) is scored only against that outlet's passages (``outlets``: passage
    number -> outlet)."""

    def __init__(
        self,
        usable: Sequence[SourceSentence],
        embedder: Embedder,
        outlets: Mapping[int, str],
        known_outlets: Sequence[str],
        cache: dict[str, np.ndarray] | None,
        titles: Mapping[int, str] | None,
    ) -> None:
        self.usable = usable
        self.embedder = embedder
        self.outlets = outlets
        self.known_outlets = known_outlets
        self.cache = cache if cache is not None else {}
        self.own, self.around, _ = windows(usable, titles or {})
        self.contrary = [bool(_CONTRARY.search(s.text)) for s in usable]

    def best(self, clause: str) -> tuple[float, SourceSentence | None, list[str]]:
        """The clause's best-scoring sentence, its score, and the outlets the clause names."""
        ranked, named = self.ranked(clause, polarity=True)
        score, found = ranked[0] if ranked and ranked[0][0] > 0 else (0.0, None)
        return score, found, named

    def likeliest(self, clause: str, n: int) -> list[SourceSentence]:
        """The ``n`` sentences likeliest to state ``clause``, polarity left to the reader."""
        ranked, _ = self.ranked(clause, polarity=False)
        return [s for _, s in ranked[:n]]

    def ranked(
        self, clause: str, polarity: bool
    ) -> tuple[list[tuple[float, SourceSentence]], list[str]]:
        """The sentences of the outlets the clause names (all, when it names none), best
        first, and those outlets; with ``polarity``, only sentences negated as the clause is
        ("fails to identify X" is not supported by "X", nor the reverse)."""
        named = [o for o in self.known_outlets if _mentions(clause, o)]
        text = clause
        for outlet in named:
            for name in outlet_names(outlet):
                text = re.sub(re.escape(name), " ", text, flags=re.IGNORECASE)
        words = set(tokenize(text)) - FRAMING
        embed_cached(self.embedder, [text, *(s.text for s in self.usable)], self.cache)
        negated = bool(_CONTRARY.search(text))
        scored = []
        for i, s in enumerate(self.usable):
            if named and self.outlets.get(s.number) not in named:
                continue
            if polarity and negated != self.contrary[i]:
                continue
            cover = near_share(words, self.own[i], self.around[i])
            scored.append((0.5 * cover + 0.5 * float(self.cache[text] @ self.cache[s.text]), s))
        scored.sort(key=lambda x: -x[0])
        return scored, named


def yes_clauses(
    question: str,
    sources: Sequence[SourceSentence],
    embedder: Embedder,
    outlets: Mapping[int, str],
    known_outlets: Sequence[str],
    per_clause: int,
    cache: dict[str, np.ndarray] | None = None,
    titles: Mapping[int, str] | None = None,
) -> list[tuple[str, list[SourceSentence]]] | None:
    """Each clause a "Yes" to the question would claim, with the ``per_clause`` sentences
    most likely to state it (of the outlets the clause names), for a reader that judges
    meaning rather than shared words (the engine asks its model, ``_entailed_yes``); None when
    the question orders two reports in time (``check_order`` answers those), holds no
    clause, or a clause names an outlet no passage is from.

    Negation is left to that reader: a sentence "that aren't competitive" may state the
    clause's "non-competitive" (the words' check drops it)."""
    usable = [s for s in sources if not s.instruction_like]
    if not usable or report_order(question, known_outlets) is not None:
        return None
    clauses = _question_clauses(question)
    if not clauses:
        return None
    scorer = _ClauseScorer(usable, embedder, outlets, known_outlets, cache, titles)
    found = []
    for clause in clauses:
        likeliest = scorer.likeliest(clause, per_clause)
        if not likeliest:
            return None
        found.append((clause.strip(), likeliest))
    return found


@dataclass(frozen=True)
class NameCandidate:
    """A name the sources give that may be what a name question asks for: its longest form
    in the sources, what answering it claims (``name_claim``), and the sentences likeliest to
    state that, from the passages that name it."""

    name: str
    claim: str
    evidence: list[SourceSentence]


def option_candidates(
    offered: Alternatives,
    sources: Sequence[SourceSentence],
    embedder: Embedder,
    outlets: Mapping[int, str],
    known_outlets: Sequence[str],
    per_option: int,
    cache: dict[str, np.ndarray] | None = None,
    titles: Mapping[int, str] | None = None,
) -> list[NameCandidate]:
    """Each option of an either-or question (``rag.text.alternatives``) with its claim and
    the sentences to read it against: the ``per_option`` likeliest to state each claim,
    pooled, so that every option is read against the same sentences and their shares
    compare (a reader choosing between "for Armenia" and "for Azerbaijan" must see the
    sentence that gives either). Empty when no usable sentence scores."""
    usable = [s for s in sources if not s.instruction_like]
    if not usable:
        return []
    scorer = _ClauseScorer(usable, embedder, outlets, known_outlets, cache, titles)
    own = [scorer.likeliest(claim, per_option) for claim in offered.claims]
    pooled: list[SourceSentence] = []
    for s in (s for found in own for s in found):
        if s not in pooled:
            pooled.append(s)
    if not pooled:
        return []
    # The same sentences for every option (the read shows them in passage order); each
    # option's own likeliest first, to be quoted with it.
    return [
        NameCandidate(option, claim, [*found, *(s for s in pooled if s not in found)])
        for option, claim, found in zip(offered.options, offered.claims, own, strict=True)
    ]


def _merged_forms(forms: Mapping[str, str]) -> dict[str, str]:
    """Each name key to the key of the one name it is a shorter form of ("bankman-fried" to
    "sam bankman-fried"), or to itself; a shorter form of two names ("inc") stays apart."""
    out = {}
    for key in forms:
        words = key.split()
        longer = [
            k for k in forms if len(k.split()) > len(words) and k.split()[-len(words) :] == words
        ]
        out[key] = longer[0] if len(longer) == 1 else key
    return out


def _kind_fits(labels: Counter[str], full_person: bool, asked: str, doubt: bool = False) -> bool:
    """Whether a name with these entity labels (one per mention) is the kind of thing the
    question's noun asks for. The small tagger calls a person an organisation now and then
    ("Bankman-Fried" is an ORG in most sentences), so a person is a name mostly tagged one,
    or written in full as one ("Sam Bankman-Fried"; ``full_person``), not one-word names it
    once tagged a person ("OpenAI"); a place or an organisation is what the name is mostly
    called; a noun of none of these kinds ("which pop star") takes any name. With
    ``doubt`` (a written answer's own name, which only a clear mismatch may cost its read),
    one mention tagged a person is enough."""
    top = labels.most_common(1)[0][0]
    if asked == "who" or asked in PERSON_NOUNS:
        return top == "PERSON" or full_person or (doubt and labels["PERSON"] > 0)
    if asked in PLACE_NOUNS:
        return top in ("GPE", "LOC")
    if asked in ORGANISATION_NOUNS:
        return top not in ("PERSON", "GPE", "LOC", "NORP")
    return True  # "which pop star": the noun alone does not say


def name_candidates(
    question: str,
    sources: Sequence[SourceSentence],
    embedder: Embedder,
    outlets: Mapping[int, str],
    known_outlets: Sequence[str],
    limit: int,
    per_outlet: int,
    cache: dict[str, np.ndarray] | None = None,
    titles: Mapping[int, str] | None = None,
    given: str = "",
) -> list[NameCandidate]:
    """Up to ``limit`` names the passages give that could answer a question asking for its
    subject ("Which company, ..., is also accused of X, as reported by A and B?", "Who is
    the individual ...?"), likeliest first: a person for "who" and "which individual", a
    place for "which country", else an organisation or a thing (``_kind_fits``); never an
    outlet, never a name the question gives. The question must name two outlets or more
    that passages are from, and a name must be in a passage (its text, or its article's
    title as written) of each; names are ranked by the passages that give them. Each comes
    with ``per_outlet`` sentences per named outlet from the passages that give it, best for
    its claim first. A ``given`` name (a written answer's) of the kind asked comes first,
    whichever outlets give it, when any passage of a named outlet does; then the ``limit``
    others.

    Why: a question that describes one name through several reports is answered by the name
    those reports share; a small model writing freely names the wrong one ("Epic Games" for
    what Google is accused of) or none, while the names every report gives are few and each
    can be read against the question as a claim. Without two reports to share it, any name
    in the passages is a candidate, and the model read one of them as the answer to five
    questions of the sample set, four wrongly ("Raine pulled out of the bidding")."""
    asked = subject_asked(question)
    usable = [s for s in sources if not s.instruction_like]
    if asked is None or not usable or limit <= 0:
        return []
    rest, noun = asked
    present = {outlets.get(s.number) for s in usable}
    named = [o for o in known_outlets if _mentions(question, o) and o in present]
    if len(named) < 2:
        return []  # one report alone does not narrow the names its passages give
    parse_many(s.text for s in usable)  # one batch; names_in reads the cached parses
    forms: dict[str, str] = {}
    mentions: list[tuple[str, str, int]] = []
    outlet_like: dict[str, bool] = {}  # per written name: an outlet's (read once)
    for s in usable:
        for name, label in names_in(s.text, question):
            if name not in outlet_like:
                outlet_like[name] = any(_mentions(name, o) for o in known_outlets)
            if outlet_like[name]:
                continue
            key = name_key(name)
            forms.setdefault(key, name)
            mentions.append((key, label, s.number))
    group = _merged_forms(forms)
    labels: dict[str, Counter[str]] = {}
    given_in: dict[str, set[int]] = {}
    spelled: dict[str, set[str]] = {}
    full_person: set[str] = set()
    for key, label, number in mentions:
        labels.setdefault(group[key], Counter())[label] += 1
        if label == "PERSON" and len(key.split()) > 1:
            full_person.add(group[key])
        given_in.setdefault(group[key], set()).add(number)
        spelled.setdefault(group[key], set()).add(forms[key])
    for key, numbers in given_in.items():  # an article's title names what its passage is about
        numbers.update(
            n
            for n, title in (titles or {}).items()
            if any(re.search(rf"(?<!\w){re.escape(f)}(?!\w)", title) for f in spelled[key])
        )
    exact = group.get(name_key(given)) if given else None
    answered = next(
        (
            k
            for k in ([exact] if exact in given_in else []) + list(given_in)
            if given
            and one_name(forms[k], given)
            and _kind_fits(labels[k], k in full_person, noun, doubt=True)
        ),
        None,
    )
    ranked = sorted(
        (
            k
            for k, numbers in given_in.items()
            if k != answered
            and _kind_fits(labels[k], k in full_person, noun)
            and {outlets.get(n) for n in numbers} >= set(named)
        ),
        key=lambda k: (-len(given_in[k]), forms[k]),
    )
    scorer = _ClauseScorer(usable, embedder, outlets, known_outlets, cache, titles)
    out = []
    for key in ([answered] if answered else []) + ranked[:limit]:
        claim = with_subject(forms[key], rest)
        scored, _ = scorer.ranked(claim, polarity=False)
        evidence: list[SourceSentence] = []
        for outlet in named:
            mine = [
                s
                for _, s in scored
                if s.number in given_in[key] and outlets.get(s.number) == outlet
            ]
            evidence += mine[:per_outlet]
        if evidence:
            out.append(NameCandidate(forms[key], claim, evidence))
    return out


def one_name(name: str, other: str) -> bool:
    """Whether two written names are one, in full or in part ("Bankman-Fried" and "Sam
    Bankman-Fried", "Alameda Research's" and "Alameda Research")."""
    mine, theirs = name_key(name).split(), name_key(other).split()
    if not mine or not theirs:
        return False
    short, long = sorted((mine, theirs), key=len)
    return long[-len(short) :] == short or long[: len(short)] == short


# Two reports in time: "Did A report X before B reported Y?" ----------------------------
_ORDER_WORD = re.compile(r"\b(before|after)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ReportOrder:
    """A yes/no question that orders two outlets' reports in time: "Did <first> before
    <second>?" (or after), ``negated`` when the first clause is denied ("fail to report")."""

    first: str
    relation: str  # "before" | "after"
    second: str
    negated: bool


def report_order(question: str, known_outlets: Sequence[str]) -> ReportOrder | None:
    """The two reports a yes/no question orders in time, when its "before" or "after" has an
    outlet of the store on each side ("Did Mashable report X before Fortune mentioned Y?");
    None otherwise ("Did X happen before November 6?" orders an event and a date, which the
    articles' text must answer)."""
    if not is_yes_no(question):
        return None
    claim = yes_no_claim(question)
    for m in reversed(list(_ORDER_WORD.finditer(claim))):
        first, second = claim[: m.start()].strip(" ,;"), claim[m.end() :].strip(" ,;")
        if (
            len(_named(first, known_outlets)) == 1
            and len(_named(second, known_outlets)) == 1
            and _joins_reports(claim, m.start(), known_outlets)
        ):
            denial = _denial(first)
            if denial is not None:
                first = f"{first[: denial[0]]} {first[denial[1] :]}"
            if not set(tokenize(_without_outlets(second, known_outlets))) - FRAMING - {"did"}:
                # "... after the Daily did": the second report is of the same thing.
                second = f"{second} {_without_outlets(first, known_outlets)}"
            return ReportOrder(first, m.group(1).lower(), second, denial is not None)
    return None


def _joins_reports(claim: str, at: int, known_outlets: Sequence[str]) -> bool:
    """Whether the "before"/"after" at offset ``at`` orders two reports: it opens a clause
    ("... before TechCrunch reported that ...", "... after the Daily did"), or its object's
    own noun phrase credits an outlet ("... before The Verge's report on X", "... before a
    report by the Weekly"). "... mention his inclusion after an injury, similar to how
    Sporting News reports ..." orders an injury, not a report: the outlet is named inside a
    clause the object's phrase holds, in what it says, not in the phrase itself."""
    word = next((t for t in parse(claim) if t.idx == at), None)
    if word is None or word.dep_ == "mark" or word.pos_ == "SCONJ":
        return True  # (a parse that lost the word: as before, by the outlets alone)
    for child in word.children:
        if child.dep_ == "pcomp":
            return True
        if child.dep_ == "pobj":
            phrase = "".join(t.text_with_ws for t in _noun_phrase(child))
            return bool(_named(phrase, known_outlets))
    return False


def _noun_phrase(head: Any) -> list[Any]:
    """The words that name what ``head`` is: its phrase up to it ("The Verge's report"),
    and the objects of the prepositions it takes itself, each up to its head ("a report
    by the Weekly on Quarkco"). Not what a modifier goes on to say: "an injury similar to
    how Sporting News reports ..." is an injury ("similar" takes the "to", not "injury")."""
    doc = head.doc
    kept = list(doc[head.left_edge.i : head.i + 1])
    for prep in head.rights:
        if prep.dep_ == "prep":
            for obj in prep.children:
                if obj.dep_ == "pobj":
                    kept.extend(doc[obj.left_edge.i : obj.i + 1])
    return kept


def _without_outlets(text: str, known_outlets: Sequence[str]) -> str:
    return _outlets_in(text, known_outlets)[1]


def _denial(clause: str) -> tuple[int, int] | None:
    """The span of the word by which a clause denies its own act ("the Daily fail to report
    on X", "n't TechCrunch report X"), if any: a negation or a verb of failing before the
    clause's first other verb. A negation further on belongs to what is reported ("report
    that there wasn't an alternative") and stays part of it."""
    for tok in parse(clause):
        if tok.dep_ == "neg" or _CONTRARY.fullmatch(tok.text):
            return tok.idx, tok.idx + len(tok.text)
        if tok.pos_ in {"VERB", "AUX", "NOUN"}:  # the tagger may take "report" for a noun
            return None
    return None


@dataclass(frozen=True)
class OrderVerdict:
    """The answer to a ``ReportOrder`` read off the two reports' publication times: each
    report's evidence sentence, outlet and published time, and whether the question's order
    holds (``yes``)."""

    yes: bool
    reports: tuple[tuple[Evidence, str, float], tuple[Evidence, str, float]]


def check_order(
    order: ReportOrder,
    sources: Sequence[SourceSentence],
    embedder: Embedder,
    outlets: Mapping[int, str],
    published: Mapping[int, float | None],
    known_outlets: Sequence[str],
    cache: dict[str, np.ndarray] | None = None,
    titles: Mapping[int, str] | None = None,
    config: VerifyConfig = DEFAULT,
    confirm: Callable[[str, list[SourceSentence]], float | None] | None = None,
    per_clause: int = 2,
) -> OrderVerdict | None:
    """Which of two reports came first, by the published times of the articles that hold
    them: each clause must be supported (as a "Yes" clause is, ``config.yes_threshold``) by a
    sentence of its outlet's passages (``published``: passage number -> published time, a
    POSIX timestamp). A clause the words fall short on may be confirmed by ``confirm``
    (clause, sentences -> its score when it confirms, else None), shown the clause's best
    sentence and up to ``per_clause`` - 1 more of the same article: one article, so one
    published time.

    Why: when two reports were published is the articles' metadata, which the store holds
    exactly, while a small model asked to order them guesses. None when a report is not
    found, a time is missing, or both have the same time (the order is then unknown)."""
    usable = [s for s in sources if not s.instruction_like]
    if not usable:
        return None
    scorer = _ClauseScorer(usable, embedder, outlets, known_outlets, cache, titles)
    found = []
    for clause in (order.first, order.second):
        score, sentence, _ = scorer.best(clause)
        if sentence is None or score < config.yes_threshold:
            score, sentence = (
                _confirmed(scorer, clause, confirm, per_clause) if confirm else (0.0, None)
            )
        when = published.get(sentence.number) if sentence else None
        if sentence is None or when is None:
            return None
        ev = Evidence(sentence.number, sentence.start, sentence.end, sentence.text, round(score, 4))
        found.append((ev, outlets.get(sentence.number) or "", when))
    (first, second) = found
    if first[2] == second[2] or (
        _day_of(first[2]) == _day_of(second[2]) and _midnight(first[2], second[2])
    ):
        return None  # same time, or a bare date against a time of that same day
    holds = first[2] < second[2] if order.relation == "before" else first[2] > second[2]
    return OrderVerdict(holds != order.negated, (first, second))


def _confirmed(
    scorer: _ClauseScorer,
    clause: str,
    confirm: Callable[[str, list[SourceSentence]], float | None],
    per_clause: int,
) -> tuple[float, SourceSentence | None]:
    """The clause's best sentence (by words) and ``confirm``'s score for it read with the
    next best ones of the same article; (0.0, None) when the clause's outlet has none or
    ``confirm`` does not confirm it."""
    ranked, _ = scorer.ranked(clause, polarity=False)
    if not ranked:
        return 0.0, None
    best = ranked[0][1]
    shown = [best, *(s for _, s in ranked[1:] if s.number == best.number)][:per_clause]
    score = confirm(clause, sorted(shown, key=lambda s: s.start))
    return (score, best) if score is not None else (0.0, None)


def _day_of(ts: float) -> int:
    return int(ts // 86_400)


def _midnight(*stamps: float) -> bool:
    """Whether a published time is a bare date (stored as its midnight, UTC)."""
    return any(ts % 86_400 == 0 for ts in stamps)


def _named(text: str, known_outlets: Sequence[str]) -> list[str]:
    return _outlets_in(text, known_outlets)[0]


def _outlets_in(text: str, known_outlets: Sequence[str]) -> tuple[list[str], str]:
    """The store's outlets ``text`` names as its writer spells them (case matters: "a
    fortune" is not Fortune), longest name first, each mention counted once ("the Weekly
    Wire" names Weekly Wire, not also Weekly); and the text without them."""
    found = []
    for outlet in sorted(known_outlets, key=len, reverse=True):
        if named_outlets(text, [outlet]):
            found.append(outlet)
            for name in outlet_names(outlet):
                text = text.replace(name, " ")
    return found, text


def _mentions(text: str, outlet: str) -> bool:
    """Whether ``text`` names ``outlet`` by one of its names."""
    low = text.lower()
    return any(
        re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", low)
        for name in outlet_names(outlet)
        if len(name) > 2
    )
