"""Answer-time citation check: every answer sentence -> the passage sentences that support it.

The model's own [n] markers are only a hint. A sentence is supported when a source sentence
(with its neighbours) covers its content words, contains every number and name it states,
agrees on negation, is close in embedding space, and keeps the sentence's participants and
numbers where the source has them (``rag.text``). Markers are then rewritten to point at the
passages that really support each sentence; sentences nobody supports are flagged."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np

from rag.dates import asked_years, month_names, relative_years
from rag.embeddings import Embedder, embed_cached
from rag.retrieve import tokenize
from rag.text import (
    as_statement,
    bound_conflict,
    name_key,
    named_in_frame,
    number_conflict,
    ordinal_conflict,
    parse,
    respelled,
    role_conflict,
    title_conflict,
)
from rag.verify.asks import ANCHORED_KINDS, asked_for, implied_words
from rag.verify.common import (
    FRAMING,
    POLARITY,
    YEAR,
    Evidence,
    SourceSentence,
    Support,
    has_negation,
    name_words,
    near_share,
    negation_count,
    number_strings,
    windows,
)
from rag.verify.config import DEFAULT, VerifyConfig

_DOTTED = re.compile(r"\b(?:[a-z]\.){2,}")


def undotted(text: str) -> str:
    """``text`` with each dotted abbreviation also written without its dots ("the n.f.l."
    -> "the n.f.l. nfl")."""
    return _DOTTED.sub(lambda m: f"{m.group(0)} {m.group(0).replace('.', '')}", text)


def check_support(
    claims: Sequence[str],
    sources: Sequence[SourceSentence],
    embedder: Embedder,
    cache: dict[str, np.ndarray] | None = None,
    contexts: Sequence[str] | None = None,
    premise: str = "",
    headers: Mapping[int, str] | None = None,
    split: bool = True,
    config: VerifyConfig = DEFAULT,
    outlets: Mapping[int, str] | None = None,
    named_outlets: Sequence[str] = (),
    published: Mapping[int, date | None] | None = None,
) -> list[Support]:
    """Score each claim against every source sentence; see the module docstring.

    ``named_outlets``: the outlets the question names (a filter on the search, not what it
    asks about).

    ``contexts[i]`` (e.g. the question, for a fragment answer like "2,000") is read together
    with claim i for coverage and similarity; numbers and names still come from the claim.
    ``premise`` is a wh-question the claims answer: small models restate it in full ("X is the
    person who ..., as reported by Y"). Words, numbers and names taken from it need only be in
    the same passage; the words the claim adds must be covered by the sentence itself, and a
    claim that adds nothing is no answer. ``headers`` (passage number -> title and outlet) count
    for names: "The Verge reports ..." is checked against the passage The Verge published;
    ``outlets`` (passage number -> outlet) may be named as the speaker of their passages.
    ``published`` (passage number -> its article's day) dates a sentence's relative times: a
    claim repeating the question's year needs a sentence of that year.

    A claim no single sentence supports may be supported clause by clause ("A says X, while
    B says Y": each clause by its own sentence), or by two sentences of different passages
    together, at a stricter coverage."""
    usable = [s for s in sources if not s.instruction_like]
    if not claims:
        return []
    if not usable:
        return [Support(c, False, 0.0, reason="no source text") for c in claims]
    contexts = list(contexts) if contexts else [""] * len(claims)
    # "Yes, A said X": the polarity answers the question; the claim to check is "A said X".
    # A name misspelt from the question is the question's name.
    checked = [respelled(c, premise) for c in claims]
    scored = [
        f"{ctx} {POLARITY.sub('', c)}".strip() for c, ctx in zip(checked, contexts, strict=True)
    ]
    texts = scored + [s.text for s in usable]
    cache = cache if cache is not None else {}
    embed_cached(embedder, texts, cache)
    claim_vecs = np.stack([cache[c] for c in scored])
    src_vecs = np.stack([cache[s.text] for s in usable])
    sims = claim_vecs @ src_vecs.T

    # Per passage: its full text (for numbers and names) and, per sentence, a window with
    # the neighbouring sentences (a claim often joins two adjacent sentences).
    by_passage: dict[int, list[int]] = {}
    for i, s in enumerate(usable):
        by_passage.setdefault(s.number, []).append(i)
    passage_text = {n: " ".join(usable[i].text for i in ids) for n, ids in by_passage.items()}
    passage_numbers = {n: number_strings(t) for n, t in passage_text.items()}
    headers = headers or {}
    # Months as the claim may spell them ("September" where the passage says "Sept. 27"),
    # and abbreviations without their dots, as ``name_key`` reads names ("N.F.L." is NFL).
    passage_lower = {
        n: undotted(" ".join([headers.get(n, ""), t, *month_names(t)]).lower())
        for n, t in passage_text.items()
    }
    passage_tokens = {n: set(tokenize(t)) for n, t in passage_text.items()}
    # The unit a question's form implies ("how old": years) is the question's, not the
    # claim's, whether or not a source writes it.
    implied = implied_words(premise)
    premise_words = (set(tokenize(premise)) | implied) - FRAMING
    anchored = bool(premise) and asked_for(premise) in ANCHORED_KINDS
    premise_nums, premise_lower = number_strings(premise), premise.lower()
    asked = asked_years(premise) if premise else set()
    # For a question asking for a name, a time or a number, the passage that gives the
    # answer must speak of what the question's own clause names (a word of it; the outlets
    # a question names are filters, and names in its relative clauses describe the answer
    # and may come from other articles): "Stars like Arnold Schwarzenegger ..." from an
    # article on parenting does not say who stars in the film the question names.
    outlet_words = {
        name_key(w) for o in [*(outlets or {}).values(), *named_outlets] for w in o.split()
    }
    framed = named_in_frame(premise) - outlet_words if anchored else frozenset()
    off_subject = {
        n: bool(framed) and not any(w in lower for w in framed)
        for n, lower in passage_lower.items()
    }
    # The header (title, outlet) is read with every sentence of its passage.
    own_tokens, window_tokens, window_texts = windows(usable, headers)
    # The years a sentence's window speaks of: those it writes, and those its relative times
    # ("this year") fall in by its article's date (``published``: passage number -> day).
    published = published or {}
    window_years = [
        {t for t in window_tokens[i] if YEAR.fullmatch(t)}
        | relative_years(" ".join(window_texts[i]), published.get(s.number))
        for i, s in enumerate(usable)
    ]

    results = []
    for ci, claim in enumerate(claims):
        words = set(tokenize(scored[ci])) - FRAMING
        if len(words) < 2 or not tokenize(claim):
            results.append(Support(claim, True, 1.0, neutral=True, reason="no claim to check"))
            continue
        text = checked[ci]
        nums, names, neg = number_strings(text), name_words(text), has_negation(text)
        given = words & premise_words
        added = words - premise_words
        if not added:
            results.append(Support(claim, False, 0.0, reason="restates the question"))
            continue
        # A year the claim repeats from the question must not stand where the source has
        # another one ("Tesla's Q1 2021 revenue ..." from a sentence about Q1 2023).
        premise_years = {n for n in nums & premise_nums if YEAR.fullmatch(n)}
        # The years the claim speaks of by its relative times ("this year"), per passage as
        # that passage's article dates them, with those it writes.
        written_years = {n for n in nums if YEAR.fullmatch(n)}
        claim_years_by_passage = {}
        for n in by_passage:
            relative = relative_years(text, published.get(n))
            claim_years_by_passage[n] = relative | written_years if relative else relative
        nums -= premise_nums
        # Names the claim repeats from the question need only be in the sources (a header
        # counts: "as reported by TechCrunch"); checked below where no word count is.
        repeated_names = {n for n in names if n in premise_lower}
        names = names - repeated_names
        # By name phrase: "the Gaza Strip" is there when the passage says "Gaza".
        repeated_phrases = [
            {w for w in phrase if w in repeated_names} for phrase in _name_phrases(text)
        ]
        names_missing = anchored and any(
            phrase and not any(n in lower for lower in passage_lower.values() for n in phrase)
            for phrase in repeated_phrases
        )
        # A short claim is mostly its relation ("Azerbaijan's president is X"): two thirds of
        # the question's words in it must be in the supporting sentence too. Not for a
        # question asking for a name, a time or a number: there the answer's item must be
        # tied to the question's words in the parse of its source (``asks.off_focus``),
        # which reads the relation instead of counting words.
        short = len(words) <= config.short_claim_words and not anchored
        best: list[Evidence] = []
        reasons: dict[str, int] = {}
        only_details = False
        conflicts: set[str] = set()
        conflict_score = 0.0  # the closest sentence stating the claim's act with other sides
        # A number the sources give for another noun ("300 peacekeepers" where 300 counts
        # settlements) is a wrong claim, whichever sentence covers the rest of it.
        # A fragment ("Azerbaijan", "Four") is read into its question for these checks.
        statement = as_statement(contexts[ci], text) if contexts[ci] else text
        # "More than 2,000" where the sources say "almost 2,000": the same number, the
        # other side of it.
        source_texts = [s.text for s in usable]
        moved = number_conflict(statement, source_texts, premise) or bound_conflict(
            statement, source_texts
        )
        if moved:
            results.append(Support(claim, False, 0.0, reason=moved, contradicted=True))
            continue
        worded: list[tuple[float, int]] = []  # (similarity, sentence) failing on wording only
        for si, src in enumerate(usable):
            near = near_share(added, own_tokens[si], window_tokens[si])
            if given and near < 0.5:  # what the claim adds must be in this sentence
                reasons["too little overlap with any source sentence"] = 1
                continue
            if short and 3 * len(given & window_tokens[si]) < 2 * len(given):
                reasons["the question's terms are not with the answer in the source"] = 1
                continue
            if names_missing or off_subject[src.number]:
                reasons["the question's names are not in the sources"] = 1
                continue
            if given and not short:  # the question's words count when the passage has them
                stated = given - implied
                in_passage = (
                    len(stated & passage_tokens[src.number]) / len(stated) if stated else 1.0
                )
                coverage = 0.7 * near + 0.3 * in_passage
            else:
                coverage = near_share(words, own_tokens[si], window_tokens[si])
            years = window_years[si]
            # The claim's own relative time, dated by its source's article, must be in the
            # year asked: "laid off this year" in a 2023 article does not answer "in 2022".
            claim_years = claim_years_by_passage[src.number]
            if (premise_years - years and years - premise_years) or (
                asked and claim_years and not claim_years & asked
            ):
                reasons["the source gives another year"] = 1
                continue
            # "The first season premiered on February 26" is not told by a sentence about
            # the tenth season: another one of the same series.
            other_one = ordinal_conflict(statement, src.text)
            if other_one:
                reasons[other_one] = 1
                continue
            sim = float(sims[ci, si])
            if given:
                # A claim restating the question takes its context from the passage, often
                # from the sentence before ("Clashes erupted on Sept. 27, 2020 ..." / "During
                # the 44-day conflict ..."): it is compared with the sentence's window too,
                # at a cost, as words found only in the neighbours are (``near_share``).
                window_sim = _window_similarity(scored[ci], window_texts[si], embedder, cache)
                sim = max(sim, window_sim - config.window_penalty)
            missing_nums = nums - passage_numbers[src.number]
            missing_names = {n for n in names if not _name_in(n, passage_lower[src.number])}
            score = 0.6 * coverage + 0.4 * max(sim, 0.0)
            weak_similarity = sim < config.min_similarity and coverage < 0.9
            weak = (
                coverage < config.min_coverage
                or weak_similarity
                or score < config.support_threshold
            )
            if (missing_nums or missing_names) and not weak:
                # The sentence says the rest: only a name or number the claim adds is not
                # there ("began on Tuesday, October 1, 2023" where the source says Tuesday).
                only_details = True
            if missing_nums:
                reasons["number not in sources: " + ", ".join(sorted(missing_nums))] = 1
                continue
            if missing_names:
                reasons["name not in sources: " + ", ".join(sorted(missing_names))] = 1
                continue
            if _negation_differs(neg, src.text, words) and sim < 0.85:  # "No X" vs "X"
                reasons["negation differs from the source"] = 1
                continue
            if weak:
                reasons["too little overlap with any source sentence"] = 1
                worded.append((sim, si))
                continue
            # Read against the sentence with its neighbours: the window that covered the claim.
            # Read as one text, so "the ministry said" / "he made" in one sentence refers back
            # to the name in the sentence before.
            outlet = (outlets or {}).get(src.number, "")
            # A short claim that takes its relation from the question ("Azerbaijan brokered
            # the agreement ..." to "Who brokered ...?") is also read against its whole
            # passage, where that relation was found. (A long one restates a many-part
            # question whose parts sit in several passages.)
            swapped = role_conflict(statement, [" ".join(window_texts[si])], [outlet])
            if given and len(words) <= config.short_claim_words and not swapped:
                swapped = role_conflict(statement, [passage_text[src.number]], [outlet])
            # The same person with another title: "defense minister" for "Foreign Minister".
            swapped = swapped or title_conflict(statement, [src.text])
            if swapped:  # the same words with the sides swapped: the opposite claim
                reasons[swapped] = 1
                conflicts.add(swapped)
                conflict_score = max(conflict_score, score)
                continue
            best.append(Evidence(src.number, src.start, src.end, src.text, round(score, 4)))
        best.sort(key=lambda e: -e.score)
        if best and conflict_score > best[0].score:
            # The sentence closest to the claim tells its act with the sides swapped ("he
            # persuaded Yedidia" for "Yedidia persuaded Bankman-Fried"): a looser match
            # elsewhere does not make the claim true.
            best = []
        # One evidence sentence per passage, best passages first.
        seen: set[int] = set()
        evidence = [e for e in best if not (e.number in seen or seen.add(e.number))]
        joint = False
        if not evidence and not given and split:
            evidence = _clause_evidence(scored[ci], usable, embedder, cache, headers, config)
            joint = bool(evidence)
        if not evidence and not given:
            evidence = _joint_evidence(
                statement,
                words,
                nums,
                names,
                neg,
                usable,
                own_tokens,
                sims[ci],
                passage_text,
                passage_lower,
                config,
            )
            joint = bool(evidence)
        if evidence:
            results.append(Support(claim, True, evidence[0].score, evidence=evidence, joint=joint))
        else:
            # A sentence with the same words and other sides says why best.
            swaps = [r for r in reasons if r in conflicts]
            reason = next(iter(swaps or reasons), "no supporting sentence")
            top = float(sims[ci].max()) if sims.size else 0.0
            results.append(
                Support(
                    claim,
                    False,
                    round(min(top, 0.5), 4),
                    reason=reason,
                    contradicted=bool(conflicts),
                    only_details=only_details and not conflicts,
                    # (Not for a fragment: "Jeyhun Bayramov." is no claim to read alone.)
                    worded_otherwise=[]
                    if conflicts or only_details or contexts[ci]
                    else _worded_otherwise(
                        statement, worded, usable, window_texts, outlets or {}, config
                    ),
                )
            )
    return results


def _name_in(name: str, lower: str) -> bool:
    """Whether a name word is in a lower-cased text, as written or as the start of a word
    that ends it otherwise: a country by its people's adjective ("Argentina" / "an Argentine
    journalist", "Ukraine" / "Ukrainian"), for names of seven letters or more ending in "a"
    or "e", the adjective's ending in place of that letter ("Daniela" is not "Daniel"). Not
    the other way round: "Azerbaijani forces" are not found in "Azerbaijan", where a side
    may be swapped."""
    return (
        name in lower
        or (
            len(name) >= 7
            and name[-1] in "ae"  # a country's ending, given its adjective's
            and re.search(rf"(?<!\w){re.escape(name[:-1])}(?:e|ian|ean|an|n)\b", lower) is not None
        )
    )


def _worded_otherwise(
    statement: str,
    worded: list[tuple[float, int]],
    usable: Sequence[SourceSentence],
    window_texts: Sequence[Sequence[str]],
    outlets: Mapping[int, str],
    config: VerifyConfig,
) -> list[Evidence]:
    """The sentences, closest in meaning first, that fail a claim on its wording alone: at
    least ``min_similarity`` close, at most ``worded_candidates`` of them, none telling the
    claim's act with its sides swapped (read with its neighbours, as the support is)."""
    out: list[Evidence] = []
    for sim, si in sorted(worded, reverse=True):
        if sim < config.min_similarity or len(out) >= config.worded_candidates:
            break
        src = usable[si]
        if role_conflict(
            statement, [" ".join(window_texts[si])], [outlets.get(src.number, "")]
        ) or title_conflict(statement, [src.text]):
            continue
        out.append(Evidence(src.number, src.start, src.end, src.text, round(sim, 4)))
    return out


def _window_similarity(
    claim: str, window: Sequence[str], embedder: Embedder, cache: dict[str, np.ndarray]
) -> float:
    """Cosine of a claim and a sentence read with its neighbours (cached per text)."""
    text = " ".join(window)
    embed_cached(embedder, [claim, text], cache)
    return float(cache[claim] @ cache[text])


# Where a claim joins statements that each need their own support.
CLAUSE_BREAK = re.compile(r",?\s+(?:while|whereas)\s+|;\s+|,\s+(?:and|but|with)\s+", re.I)


def _negation_differs(negated: bool, source: str, words: set[str]) -> bool:
    """Whether a claim (``negated`` or not, its content ``words``) and a source sentence
    disagree in polarity, read clause by clause: a negation in a clause the claim draws no
    word from is not the claim's ("The Vikings are using their two timeouts, but there isn't
    much they can do" supports "The Vikings used their two timeouts")."""
    if negated == has_negation(source):
        return False
    if negated:
        return True  # the source negates nothing, or the check above returned
    return any(
        has_negation(clause) and words & set(tokenize(clause)) and not _negated_apart(clause, words)
        for clause in CLAUSE_BREAK.split(source)
    )


def _negated_apart(clause: str, words: set[str]) -> bool:
    """Whether every negation of ``clause`` negates a verb whose own phrase the claim draws
    no word from, read from the parse: "... had to retreat when measures were taken, not
    specifying what form of provocation took place" does not negate the retreat. Only when
    each negation word is the parse's negation of a verb ("no", "without" and the like are
    left to the clause)."""
    doc = parse(clause)
    negations = [t for t in doc if t.dep_ == "neg"]
    if (
        not negations
        or len(negations) != negation_count(clause)
        or any(t.head.pos_ not in ("VERB", "AUX") for t in negations)  # "Not all X retreated"
    ):
        return False
    return not any(
        words & set(tokenize(doc[t.head.left_edge.i : t.head.right_edge.i + 1].text))
        for t in negations
    )


def _clause_evidence(
    claim: str,
    usable: Sequence[SourceSentence],
    embedder: Embedder,
    cache: dict[str, np.ndarray],
    headers: Mapping[int, str],
    config: VerifyConfig = DEFAULT,
) -> list[Evidence]:
    """One evidence sentence per clause when every clause of the claim is supported on its
    own (each checked as a claim, names and numbers included); [] otherwise."""
    clauses: list[str] = []
    for piece in CLAUSE_BREAK.split(POLARITY.sub("", claim)):
        if clauses and len(set(tokenize(piece)) - FRAMING) < 2:
            clauses[-1] += f", {piece}"  # too short to stand alone: keep it with the last one
        elif piece.strip():
            clauses.append(piece.strip())
    if len(clauses) < 2:
        return []
    verdicts = check_support(
        clauses, usable, embedder, cache, headers=headers, split=False, config=config
    )
    if not all(v.supported for v in verdicts):
        return []
    evidence: list[Evidence] = []
    for v in verdicts:
        if v.evidence and v.evidence[0] not in evidence:
            evidence.append(v.evidence[0])
    return evidence


def _joint_evidence(
    claim: str,
    words: set[str],
    nums: set[str],
    names: set[str],
    neg: bool,
    usable: Sequence[SourceSentence],
    own_tokens: Sequence[set[str]],
    sims: np.ndarray,
    passage_text: Mapping[int, str],
    passage_lower: Mapping[int, str],
    config: VerifyConfig = DEFAULT,
) -> list[Evidence]:
    """Two sentences from different passages that together support the claim, each adding
    words the other lacks; [] when no pair does. Stitching costs ``config.joint_penalty``
    coverage."""
    ranked = sorted(range(len(usable)), key=lambda i: -len(words & own_tokens[i]))
    top = [i for i in ranked[: config.joint_candidates] if words & own_tokens[i]]
    best: tuple[float, int, int] | None = None
    for x, a in enumerate(top):
        for b in top[x + 1 :]:
            na, nb = usable[a].number, usable[b].number
            if na == nb:
                continue
            ta, tb = words & own_tokens[a], words & own_tokens[b]
            if not (ta - tb) or not (tb - ta):
                continue
            coverage = len(ta | tb) / len(words) - config.joint_penalty
            sim = max(float(sims[a]), float(sims[b]))
            numbers = number_strings(passage_text[na] + " " + passage_text[nb])
            text = passage_lower[na] + " " + passage_lower[nb]
            if nums - numbers or any(n not in text for n in names):
                continue
            if neg and not (has_negation(usable[a].text) or has_negation(usable[b].text)):
                continue
            if claim and role_conflict(claim, [usable[a].text, usable[b].text]):
                continue
            score = 0.6 * coverage + 0.4 * max(sim, 0.0)
            if (
                coverage < config.min_coverage
                or sim < config.min_similarity
                or score < config.support_threshold
            ):
                continue
            if best is None or score > best[0]:
                best = (score, a, b)
    if best is None:
        return []
    score, a, b = best
    return [
        Evidence(usable[i].number, usable[i].start, usable[i].end, usable[i].text, round(score, 4))
        for i in (a, b)
    ]


def choose_citations(
    support: Support, max_citations: int = DEFAULT.max_citations
) -> list[Evidence]:
    """The model's own citations when they are among the supporting passages, else the best."""
    if not support.supported or support.neutral:
        return []
    if support.joint:
        return support.evidence  # the claim needs every one of them
    cited = [e for e in support.evidence if e.number in support.cited]
    others = [e for e in support.evidence if e.number not in support.cited]
    return (cited + others)[:max_citations] if cited else others[:1]


def _name_phrases(text: str) -> list[set[str]]:
    """The name words of ``text`` grouped by phrase (runs of capitalised words)."""
    phrases: list[set[str]] = []
    for run in re.findall(r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*", text):
        words = set()
        for w in run.split():
            low = w.lower().strip("'’-.")
            words.add(low[:-2] if low.endswith(("'s", "’s")) else low)
        phrases.append(words)
    return phrases
