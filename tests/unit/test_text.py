"""The text layer (rag.text): who acts, what a number counts, what a question asks about."""

from __future__ import annotations

from datetime import date

import pytest

from eval.suites.sample import load_set
from rag import text
from rag.verify import asked_for, gives
from rag.verify.common import has_negation

SOURCES = [
    "The fighting ended with a Russian-brokered agreement on Nov. 10, 2020, which was seen as"
    " a victory for Azerbaijan and a defeat for Armenia.",
    'It added that the Armenian forces had to retreat when "immediate measures" were taken.',
    "It also said Azerbaijan had carried out four-drone strikes in Nagorno-Karabakh.",
    "During the 44-day conflict, Azerbaijan liberated several cities and around 300"
    " settlements and villages.",
    "Moscow deployed almost 2,000 peacekeepers to the region after the cease-fire.",
    "However, Azerbaijan's Defense Ministry refuted Moscow's version of events and described"
    ' Russia\'s statement as "one-sided."',
    "According to a statement by the Russian Foreign Ministry, Lavrov touched upon the"
    " possibility of a peace agreement.",
]


@pytest.mark.parametrize(
    "claim",
    [
        "Azerbaijan brokered the agreement that ended the fighting.",
        "Azerbaijani forces had to retreat when immediate measures were taken.",
        "Russia's Defense Ministry described Azerbaijan's statement as one-sided.",
        "Armenia liberated around 300 settlements.",
    ],
)
def test_swapped_sides_conflict(claim):
    assert text.role_conflict(claim, SOURCES)


@pytest.mark.parametrize(
    "claim",
    [
        "Russia brokered the agreement.",
        "The agreement was brokered by Russia.",
        "The Armenian forces had to retreat.",
        "Azerbaijan's Defense Ministry refuted Moscow's version of events.",
        "Russian Foreign Minister Sergey Lavrov touched upon the possibility of a peace deal.",
        "Azerbaijan liberated around 300 settlements and villages.",
        "Something nobody in the sources does happened.",
    ],
)
def test_same_sides_or_unjudged_claims_do_not_conflict(claim):
    assert text.role_conflict(claim, SOURCES) == ""


def test_a_number_moved_to_another_noun_conflicts():
    assert text.number_conflict("Moscow deployed almost 300 peacekeepers.", SOURCES)
    assert text.number_conflict("Azerbaijan carried out 2,000 drone strikes.", SOURCES)
    assert text.number_conflict("Moscow deployed almost 2,000 peacekeepers.", SOURCES) == ""
    assert text.number_conflict("Azerbaijan carried out four drone strikes.", SOURCES) == ""
    assert text.number_conflict("It had 12 tanks.", SOURCES) == ""  # not in the sources


def test_a_noun_given_another_count_than_the_sources_give_conflicts():
    # The sources count the peacekeepers (2,000) and the strikes (four), never as six.
    assert "2000" in text.number_conflict("Moscow deployed six peacekeepers.", SOURCES)
    assert text.number_conflict("Azerbaijan carried out seven drone strikes.", SOURCES)
    two_counts = ["Israel warned 1.1 million residents.", "Gaza has 2.3 million residents."]
    assert text.number_conflict("Israel warned 1.1 million residents.", two_counts) == ""
    assert text.number_conflict("Israel warned 16 residents.", two_counts)


def test_counted_reads_the_noun_a_number_counts():
    assert text.counted(SOURCES[2]) == {"4": frozenset({"drone", "strike"})}
    assert text.counted(SOURCES[4]) == {"2000": frozenset({"peacekeeper"})}
    assert "44" not in text.counted(SOURCES[3])  # a duration, not a count


def test_focus_and_statements():
    assert text.focus("What weather did the Armenian forces take advantage of?") == "weather"
    assert text.focus("How many drone strikes did Russia say Azerbaijan made?") == "strike"
    assert text.focus("Who brokered it?") == ""
    assert text.as_statement("Who brokered the agreement?", "Azerbaijan.") == (
        "Azerbaijan brokered the agreement."
    )
    assert text.as_statement("When did it end?", "Nov. 10") == "Nov. 10"


def test_names_match_across_inflection_only():
    assert text.same_name("russia", "russian") and text.same_name("turkey", "turkish")
    assert not text.same_name("armenian", "azerbaijani")
    assert not text.same_name("iran", "iraq")


def test_why_questions_ask_about_their_verb():
    assert text.focus("Why did the Armenian forces have to retreat, said the ministry?") == (
        "retreat"
    )
    assert text.focus("Why does Turkey have strong influence there?") == "have"
    assert "have" in text.lemmas("Turkey also has strong influence.")


def test_a_negated_copy_of_a_source_sentence_conflicts():
    src = ["Azerbaijan's Defense Ministry refuted Moscow's version of events."]
    assert text.role_conflict("Azerbaijan's Defense Ministry did not refute it.", src)
    assert text.role_conflict("Azerbaijan's Defense Ministry refuted Moscow's version.", src) == ""


CARRIERS = "The biggest carriers posted net income totaling $364 billion in 2021 and 2022."


@pytest.mark.parametrize(
    ("claim", "source", "conflict"),
    [
        # One named actor given what every telling of the fact gives a group: a plural
        # common noun, also through another verb on the same thing with the same numbers.
        ("CMA CGM made net income totaling $364 billion in 2021 and 2022.", CARRIERS, True),
        ("CMA CGM made $364 billion in net income in 2021 and 2022.", CARRIERS, True),
        ("Biden said the talks would resume.", "Officials said the talks would resume.", True),
        ("Maersk cut 10,000 jobs in 2023.", "Shipping lines cut 10,000 jobs in 2023.", True),
        # A singular description may be the named one; a group in the claim, or a
        # coordination that names the claim's actor in the source, is no swap.
        ("Apple posted revenue of $90 billion.", "The company posted revenue of $90 billion.", 0),
        ("Apple and Google posted $90 billion.", "The tech giants posted $90 billion.", False),
        ("The carriers posted $364 billion.", "The biggest carriers posted $364 billion.", False),
        ("Maersk cut 10,000 jobs.", "Maersk and other shipping lines cut 10,000 jobs.", False),
        # A group phrase that names the claim's actor may speak of it.
        (
            "Azerbaijan has been tense since 1991.",
            "Relations between Armenia and Azerbaijan have been tense since 1991.",
            False,
        ),
        # Another verb on another thing is another fact, even with a number in common.
        ("Maersk hired 500 staff in 2023.", "Shipping lines cut 10,000 jobs in 2023.", False),
        (
            "The Armenian army attacked civilians in 2020.",
            "Clashes erupted on Sept. 27, 2020, with the Armenian army attacking civilians.",
            False,
        ),
        (
            "The Gaza Strip is 25 miles long.",
            "Aid groups face the same problem in Gaza, an area roughly 25 miles long.",
            False,
        ),
    ],
)
def test_a_group_s_act_is_not_one_named_member_s(claim, source, conflict):
    got = text.role_conflict(claim, [source], ["Reuters"])
    assert bool(got) == bool(conflict), got
    assert not conflict or got.startswith("in the sources a group acts")


WINDOW = (
    "Azerbaijani forces prevented a sabotage attempt, Azerbaijan's Defense Ministry announced"
    " Saturday. The ministry said that illegal Armenian forces took advantage of hazy weather."
    " Travis Kelce was asked about the rumours. He revealed that he made a friendship bracelet."
)


@pytest.mark.parametrize(
    "claim",
    [
        # Another speaker, whichever verb of saying the claim uses.
        "Armenia's Defense Ministry said that Armenian forces took advantage of hazy weather.",
        "Russia's Defense Ministry stated that Azerbaijani forces prevented a sabotage attempt.",
        "According to Russia, Azerbaijani forces prevented a sabotage attempt.",
        # "He" refers back to Kelce.
        "Taylor Swift made a friendship bracelet.",
    ],
)
def test_speakers_and_referring_words_are_read_back_to_their_names(claim):
    assert text.role_conflict(claim, [WINDOW])


@pytest.mark.parametrize(
    "claim",
    [
        "Azerbaijan's Defense Ministry said that Armenian forces took advantage of hazy weather.",
        "The ministry announced that Azerbaijani forces prevented a sabotage attempt.",
        "According to Azerbaijan's Defense Ministry, its forces prevented a sabotage attempt.",
        "Kelce made a friendship bracelet.",
    ],
)
def test_the_right_speaker_or_actor_does_not_conflict(claim):
    assert text.role_conflict(claim, [WINDOW]) == ""


def test_a_referring_word_with_nothing_named_before_is_left_unjudged():
    assert text.role_conflict("Taylor Swift made a bracelet.", ["He made a bracelet."]) == ""
    assert text.role_conflict("Russia said it.", ["The ministry said it."]) == ""


def test_a_leading_preposition_does_not_hide_what_a_question_asks_about():
    assert text.focus("According to what source did Lavrov speak of a peace deal?") == "source"
    assert text.focus("On what date did the ministry put out its statement?") == "date"


def test_what_is_the_n_of_asks_about_n():
    assert text.focus("What is the population of Nagorno-Karabakh?") == "population"
    assert text.focus("What was the final score between Inter Miami and FC Cincinnati?") == (
        "score"
    )
    assert text.focus("What did Russia say?") == ""


ENDED = (
    "The fighting ended with a Russian-brokered agreement on Nov. 10, 2020, which was seen as"
    " a victory for Azerbaijan and a defeat for Armenia."
)
GOAL = (
    "Eventually, Alvaro Barreal's 78th-minute goal ended any hope that Inter Miami had to"
    " complete a stunning playoff charge."
)
BROKER = (
    "This was a move mainly influenced by the fact Raine had managed to broker a deal with Todd"
    " Boehly to commit to invest £4.5bn to take control of Chelsea."
)


@pytest.mark.parametrize(
    ("question", "answer", "evidence", "detached"),
    [
        # The date is the end of the fighting's, not the statement's.
        (
            "On what date did the Russian Foreign Ministry put out its statement?",
            "The statement was put out on Nov. 10, 2020.",
            ENDED,
            True,
        ),
        ("When did the fighting end?", "It ended on Nov. 10, 2020.", ENDED, False),
        # Barreal's goal ended Miami's hope: he did not score for Inter Miami.
        ("Who scored for Inter Miami in the match?", "Alvaro Barreal scored.", GOAL, True),
        ("Who brokered the agreement that ended the fighting?", "Russia did.", ENDED, False),
        (
            "Who brokered the deal that put Todd Boehly in control of Chelsea?",
            "Raine brokered the deal.",
            BROKER,
            False,
        ),
        # A clause with its own subject ends what is said of its words: Ratcliffe completes
        # a purchase; the withdrawal is the banker's.
        (
            "Who withdrew the bid?",
            "Ratcliffe withdrew the bid.",
            "The banker's patience snapped and his withdrawal from the bidding has left the"
            " pathway clear for Ratcliffe to complete the purchase.",
            True,
        ),
        # "What N": an answer that says N only as the question does names none.
        (
            "What injury kept the striker out of the games?",
            "The striker missed the games due to injury.",
            "The striker, who had missed the games due to injury, returned.",
            True,
        ),
        (
            "What injury kept the striker out of the games?",
            "The striker missed the games with a hamstring injury.",
            "The striker missed the games with a hamstring injury.",
            False,
        ),
    ],
)
def test_an_answer_must_be_tied_in_its_source_to_what_was_asked(
    question, answer, evidence, detached
):
    from rag.verify import off_focus

    assert bool(off_focus(question, answer, [evidence])) is detached


@pytest.mark.parametrize(
    ("question", "answer", "fills"),
    [
        (
            "What company is at the center of claims of manipulating search results?",
            "Google is at the center of claims of manipulating search results.",
            True,
        ),
        (
            "What type of establishments, as reported by Sporting News, adjust betting lines?",
            "Sportsbooks adjust betting lines.",
            True,
        ),
        ("What measures did Russia take?", "Russia took measures.", False),
        ("What is the area of Gaza?", "The area of Gaza is 2.3 million residents.", False),
        ("What company makes the iPhone?", "The iPhone is popular.", False),
        # A fronted wh-phrase: its preposition's object in the answer, with a new word.
        (
            "According to what source did Lavrov touch upon a peace agreement?",
            "According to a statement by the Russian Foreign Ministry, Lavrov touched upon"
            " a peace agreement.",
            True,
        ),
        (
            "According to what source did Lavrov touch upon a peace agreement?",
            "According to the source, Lavrov touched upon a peace agreement.",
            False,
        ),
        (
            "According to what source did Lavrov touch upon a peace agreement?",
            "Lavrov touched upon a peace agreement in a statement.",
            False,
        ),
    ],
)
def test_an_instance_answers_a_what_n_question_in_the_wh_phrase_slot(question, answer, fills):
    assert text.fills_slot(question, answer) is fills


def test_a_verb_that_takes_a_clause_is_not_a_statement():
    # "wanted the troops pulled out" is not judged against who "said" things.
    sources = ["Russia said it had called on Azerbaijan to pull out its troops."]
    assert text.role_conflict("Moscow wanted Azerbaijan's troops pulled out.", sources) == ""
    # Verbs of saying still share the speaker's role.
    assert text.role_conflict("Armenia stated that it had called on Azerbaijan.", sources)


def test_a_name_misspelt_from_the_question_is_the_questions():
    question = "How much was Boehly's commitment to take over Chelsea?"
    fixed = text.respelled("Bohly's commitment to take over Chelsea was £4.5bn.", question)
    assert fixed == "Boehly's commitment to take over Chelsea was £4.5bn."
    # Two letters off, or a short word, is another name.
    assert text.respelled("Bohlyx paid.", question) == "Bohlyx paid."
    assert text.respelled("Hamad said.", "What did Hamas say?", min_length=6) == "Hamad said."


def test_answer_items_are_the_new_things_of_the_kind_asked_for():
    question = "On what day of the week did the criminal trial of Bankman-Fried begin?"
    answer = "The criminal trial of Sam Bankman-Fried began on Tuesday, October 1, 2023."
    assert text.answer_items(answer, "time", question) == [
        "Tuesday, October 1, 2023",
        "Tuesday",
        "October 1, 2023",
    ]
    names = text.answer_items(
        "Sam Bankman-Fried brokered a deal with Todd Boehly to invest £4.5bn in Chelsea.",
        "name",
        "Who committed to invest £4.5bn to take control of Chelsea?",
    )
    assert names == ["Sam Bankman-Fried", "Todd Boehly"]
    assert text.answer_items("Boehly's commitment was £4.5bn.", "money", "How much?") == ["£4.5bn"]


def test_equated_counts_reads_a_number_given_as_the_thing_asked():
    claim = "The area of Gaza is 2.3 million residents, which is roughly 25 miles long."
    assert text.equated_counts(claim, "area") == {"resident"}
    # A measure with its unit, or a bare number, is the thing itself.
    assert text.equated_counts("The area is 365 square kilometres.", "area") == frozenset()
    assert text.equated_counts("Gaza's population is 2.3 million.", "population") == frozenset()


def test_abbreviation_dots_do_not_make_another_name():
    source = ["Emma Raducanu won the 2021 US Open women's singles title."]
    assert text.role_conflict("Emma Raducanu won the U.S. Open.", source) == ""
    assert text.role_conflict("Leylah Fernandez won the U.S. Open.", source)


@pytest.mark.parametrize(
    "message",
    [
        "How did Azerbaijan respond to that claim?",
        "And when did the fighting end?",
        "Who did he discuss developments with last week?",
        "What would it be for, according to Ankara?",
        "Who did that leave a clear path for?",
        "Why?",
        "Who brokered the agreement?",
    ],
)
def test_a_follow_up_that_points_back_refers_back(message):
    assert text.refers_back(message)


@pytest.mark.parametrize(
    "message",
    [
        "How many peacekeepers did Moscow deploy?",
        "Did Russia's Defense Ministry say that Azerbaijani forces violated the cease-fire?",
        "Who is buying a stake in Manchester United?",
    ],
)
def test_a_question_that_names_its_subject_does_not_refer_back(message):
    assert not text.refers_back(message)


def test_the_sample_sets_follow_ups_refer_back():
    follow_ups = [it.question for it in load_set() if it.follow_up_of]
    assert all(map(text.refers_back, follow_ups))


def test_what_a_speaker_said_it_did_is_not_what_it_said_another_did():
    question = "What did Russia say it was doing in response to the incident?"
    other = "Russia's Defense Ministry said that Azerbaijani armed forces had entered a zone."
    assert "azerbaijani" in text.reports_another(question, other)
    itself = "Russia said it had called on Azerbaijan to pull out its troops."
    assert text.reports_another(question, itself) == ""
    # A question about anything the speaker said is not judged here.
    assert text.reports_another("What did Russia say about the incident?", other) == ""


@pytest.mark.parametrize(
    "question, act",
    [
        ("Who scored for Inter Miami in the match?", "score"),
        ("Which company pulled out of the bidding?", "pull"),
        ("Who brokered the agreement that ended the fighting?", "broker"),
        # The wh-word is not the doer, or the verb says nothing of an act: no act asked.
        ("Who did Bankman-Fried talk into joining him?", ""),
        ("Who is the president of Azerbaijan?", ""),
        ("When did the trial begin?", ""),
    ],
)
def test_asked_act_is_the_verb_a_who_or_what_question_asks_the_doer_of(question, act):
    assert text.asked_act(question) == act


@pytest.mark.parametrize(
    "sentence, word, acts",
    [
        ("Moscow deployed almost 2,000 peacekeepers to the region.", "Moscow", {"deploy"}),
        ("The fighting ended with a Russian-brokered agreement.", "Russian", {"broker"}),
        ("The goal was scored by Alvaro Barreal.", "Barreal", {"score"}),
        ("Turkey and Russia signed the deal.", "Russia", {"sign"}),
        # Told about, not the doer: the subject of "claiming" is "he".
        ("He argued, claiming that Alameda acted legally as an FTX customer.", "Alameda", {"act"}),
        ("Reports say the club is likely to have Messi back for this match.", "Messi", set()),
    ],
)
def test_actors_are_the_verbs_a_word_is_the_doer_of(sentence, word, acts):
    [token] = [t for t in text.parse(sentence) if t.text == word]
    assert text.actors(token) == acts


def test_the_role_a_clause_gives_its_subject_is_named_by_its_nouns():
    from dataclasses import replace

    from rag.verify import DEFAULT, off_focus

    elected = "Beijing was elected as the host city for the 2008 Olympics."
    beijing = next(t for t in text.parse(elected) if t.text == "Beijing")
    assert text.roles(beijing) == {"city": {"host"}}
    guest = next(t for t in text.parse("Paris was a guest of the host city.") if t.text == "Paris")
    assert text.roles(guest) == {"guest": set()}
    # Held to the act asked about, the host city hosted; the guest, the host broadcaster
    # (not the city asked about) and the target (named by no other noun) did not.
    strict = replace(DEFAULT, act_anchored=True)
    question = "Which city hosted the Olympic Games in 2008?"
    assert off_focus(question, "Beijing hosted the 2008 Olympics.", [elected], config=strict) == ""
    for source, name in (
        ("Paris was a guest of the host city in 2008.", "Paris"),
        ("NBC served as the host broadcaster of the 2008 Olympics.", "NBC"),
    ):
        assert off_focus(question, f"{name} hosted the 2008 Olympics.", [source], config=strict)
    target = "Aramco was the target of the drone attacks in 2019."
    asked = "Which company targeted the Saudi oil facilities in 2019?"
    assert off_focus(asked, "Aramco targeted the facilities.", [target], config=strict)


@pytest.mark.parametrize(
    "fragment, clauseless",
    [
        ("Release date.", True),
        ("December 1, 2017 ...", True),
        ("Chairman and CEO at Vanguard.", True),
        ("Matches played.", False),
        ("The game was released on December 1, 2017.", False),
        ("Released in 2017.", False),
    ],
)
def test_clauseless_fragments_have_no_subject_and_no_verb_at_their_root(fragment, clauseless):
    assert text.clauseless(fragment) is clauseless


def test_a_value_in_a_fact_box_is_told_about_by_the_label_beside_it():
    from rag.verify import off_focus

    question = "When was Xenoblade Chronicles 2 released?"
    answer = "Xenoblade Chronicles 2 was released on December 1, 2017."
    doc = text.parse("Release date. December 1, 2017 ...")
    [december] = [t for t in doc if t.text == "December"]
    assert "release" in text.labelled_by(december, 5)
    assert off_focus(question, answer, ["Release date. December 1, 2017 ..."]) == ""
    # Beside another label, or in a sentence with a clause, the value is not the release's.
    assert off_focus(question, answer, ["Patch notes. December 1, 2017 ..."])
    said = "The release was delayed. The team met on December 1, 2017."
    assert text.labelled_by(next(t for t in text.parse(said) if t.text == "December"), 5) == set()
    assert off_focus(question, answer, [said])
    # A label with another value of the kind on its far side may be that value's.
    rows = "Announcement date. December 1, 2017. Release date. March 3, 2018."
    assert off_focus(question, answer, [rows])
    assert off_focus(question, "It was released on March 3, 2018.", [rows]) == ""
    runner = "Who was the runner-up of the 2018 World Cup?"
    box = "Winner. France. Runner-up. Croatia."
    assert off_focus(runner, "The runner-up was France.", [box])
    assert off_focus(runner, "The runner-up was Croatia.", [box]) == ""
    # A long fragment is a headline or a list, not a label beside its value.
    score = "1 Djokovic 6\u20134, 7\u20135, 6\u20134 to win the match."
    [djokovic] = [t for t in text.parse(score) if t.text == "Djokovic"]
    assert text.clauseless(score) and text.labelled_by(djokovic, 5) == set()


def test_the_stricter_bar_ties_who_did_it_to_the_act_itself():
    from dataclasses import replace

    from rag.verify import DEFAULT, off_focus

    question = "Who scored for Inter Miami in the match?"
    framed = (
        "A report indicated that Inter Miami are likely to have Lionel Messi back for this match."
    )
    answer = "Lionel Messi scored for Inter Miami in the match."
    strict = replace(DEFAULT, act_anchored=True)
    assert off_focus(question, answer, [framed], config=strict)
    scored = "Lionel Messi scored for Inter Miami in the 78th minute of the match."
    assert not off_focus(question, answer, [scored], config=strict)


def test_other_speaker_is_the_same_kind_of_speaker_owned_by_another_name():
    asked = "What did Armenia's Defense Ministry say about the incident?"
    other = "Azerbaijan's Defense Ministry said that Armenian forces provoked the army [1]."
    assert "azerbaijan" in text.other_speaker(asked, other)
    assert text.other_speaker(asked, "Armenia's Defense Ministry said that it was calm [1].") == ""
    described = "How did Azerbaijan's Defense Ministry describe Russia's statement?"
    assert "russia" in text.other_speaker(
        described, "Russia's Defense Ministry said the statement was one-sided [1]."
    )
    # Named more or less fully, left unnamed, or another kind of speaker: not judged.
    russia = "What did Russia say about the incident?"
    for answer in (
        "Russia's Defense Ministry said that Azerbaijani forces entered the zone [1].",
        "Moscow said that Azerbaijani forces entered the zone [1].",
        "The ministry said that Azerbaijani forces entered the zone [1].",
    ):
        assert text.other_speaker(russia, answer) == "", answer
    lawyers = "What did Bankman-Fried's lawyers say in their opening statements?"
    assert text.other_speaker(lawyers, "Mark Cohen said his client acted in good faith [1].") == ""
    assert text.other_speaker("Who said the strikes happened?", other) == ""


def test_an_unnamed_speaker_is_the_one_named_before_it():
    asked = "What did Armenia's Defense Ministry say about the incident?"
    answer = (
        "Azerbaijan's Defense Ministry said that Armenian forces provoked the army [1]. It added"
        ' that the Armenian forces had to retreat when "immediate measures" were taken [2].'
    )
    assert "azerbaijan" in text.other_speaker(asked, answer)


BRACELET = (
    "He revealed that he made a friendship bracelet, a fan tradition at her concerts, with "
    "his number on it to give to her, seemingly expressing his interest in Swift."
)


POSSESSIVES = [
    ("Taylor Swift made a friendship bracelet with her number on it.", [BRACELET], True),
    ("Travis Kelce made a friendship bracelet with his number on it.", [BRACELET], False),
    ("She praised her team.", ["The coach praised his team and her staff."], True),
    ("She praised her team.", ["The coach praised her team."], False),
    ("He thanked the fans.", [BRACELET], False),  # no possessive to compare
]


@pytest.mark.parametrize(("claim", "sources", "conflict"), POSSESSIVES)
def test_a_possessive_of_the_other_gender_gives_the_thing_to_someone_else(claim, sources, conflict):
    assert bool(text.possessor_conflict(claim, sources)) is conflict


EXPANSION = (
    "The game was launched on May 15, 2012. Console versions were released the following year. "
    "It was released for the PC and Mac versions of Diablo III on March 25, 2014."
)
PRONOUNS = [
    # "it" c-commands "Diablo III": the pronoun is not Diablo III (binding's Principle C)
    ("Diablo 3 was released on March 25, 2014.", [EXPANSION], True),
    ("Putin said he would go.", ["He said Putin would go."], True),
    # the same verb with another time is another event, named by a common noun
    ("Diablo 3 was released in 2013.", ["The game was released in 2013. " + EXPANSION], False),
    # a name before the pronoun may be what it stands for
    (
        "Diablo 3 was released in 2012.",
        ["When Diablo III came out in 2012, it was released."],
        False,
    ),
    ("Lavrov said Putin would go.", ["Lavrov arrived. He said Putin would go."], False),
    # an object pronoun, an aside after a comma, an "it" holding a clause's place: not judged
    (
        "Police arrested Smith on Monday.",
        ["Police arrested him on Monday outside Smith's home."],
        False,
    ),
    (
        "Biden met Zelensky in Kyiv on Monday.",
        ["He met Zelensky in Kyiv on Monday, the first visit by Biden to the city."],
        False,
    ),
    (
        "Xenoblade 2 was announced on January 11.",
        ["It was announced on January 11 that Xenoblade 2 would be released."],
        False,
    ),
    # a relative pronoun stands for its noun: a reflexive paraphrase is not judged here
    (
        "Everton lifted themselves to 14th.",
        ["After a run of wins, that had lifted Everton to 14th in the table."],
        False,
    ),
]


@pytest.mark.parametrize(("claim", "sources", "conflict"), POSSESSIVES + PRONOUNS)
def test_the_support_check_reads_possessives_and_what_a_pronoun_cannot_be(claim, sources, conflict):
    assert bool(text.role_conflict(claim, sources)) is conflict


@pytest.mark.parametrize(
    ("question", "source", "unnamed"),
    [
        ("Who made a friendship bracelet with his number on it?", BRACELET, True),
        # "he" named before it, in the same chunk
        (
            "Who made a friendship bracelet?",
            "Travis Kelce spoke on his podcast. " + BRACELET,
            False,
        ),
        ("Who now faces the same problem?", "Aid groups now face the same problem.", False),
        ("Who told the magazine about it?", "A source told the magazine about it.", False),
        ("Who was told about the incident?", "They were told about it.", False),  # not the doer
        ("Who did the blast leave homeless?", "It left them homeless.", False),  # not the doer
        ("Who made the bracelet?", "The bracelet was on sale.", False),  # the act is not told
        # Told only in the passive with no "by": no doer; with one, named.
        ("Who brokered the agreement?", "The agreement was brokered in 2020.", True),
        ("Who brokered the agreement?", "The agreement was brokered by Russia.", False),
        # A participle parsed as an adjective after "be" (a fact box's "47th min:" label
        # in front) is the same passive.
        (
            "Who fouled Luciano Acosta?",
            "47th min: Luciano Acosta is fouled on the edge of the attacking third.",
            True,
        ),
    ],
)
def test_a_who_question_is_not_answered_by_an_unnamed_doer(question, source, unnamed):
    assert text.doer_unnamed(question, source) is unnamed


@pytest.mark.parametrize(
    ("message", "question", "answer", "expected"),
    [
        # A person: the one the last turn names.
        (
            "Who did he discuss developments with last week?",
            "Who is Azerbaijan's foreign minister?",
            "Azerbaijan's Foreign Minister Jeyhun Bayramov [1].",
            "Who did Jeyhun Bayramov discuss developments with last week?",
        ),
        # Two people (a pronoun is someone too): "he" is not guessed.
        (
            "When was he born?",
            "Who did he discuss developments with last week?",
            "Jeyhun Bayramov discussed developments with Sergey Lavrov last week.",
            "When was he born?",
        ),
        (
            "How did he respond to that comparison?",
            "Who was Bankman-Fried compared to?",
            "He was compared to Warren Buffett [1].",
            "How did he respond to that comparison?",
        ),
        # "it" is one thing and not a person; "them" several.
        (
            "Why did it send them there?",
            "How many peacekeepers did Moscow deploy?",
            "Moscow deployed almost 2,000 peacekeepers to the region after the cease-fire [1].",
            "Why did Moscow send almost 2,000 peacekeepers in the region?",
        ),
        # "it": what the question was about; its answer's subject when it asked "which".
        (
            "What would it be for, according to Ankara?",
            "Which countries would the six-nation platform called for by Ankara comprise?",
            "Turkey, Russia, Iran, Azerbaijan, Georgia and Armenia would be in it.",
            "What would the six-nation platform called for by Ankara be for, according to Ankara?",
        ),
        (
            "How much did it pull out?",
            "Which exchange started pulling its money out?",
            "The world's largest crypto exchange, Binance, started pulling out its money.",
            "How much did Binance pull out?",
        ),
        # "that N": the act the noun names, with its object.
        (
            "Who issued that warning?",
            "How many residents were told to leave the north?",
            "Israel warned 1.1 million residents to leave the north.",
            "Who issued the warning of 1.1 million residents?",
        ),
        # "that claim" where the exchange has "these claims": it points further back.
        (
            "How did Azerbaijan respond to that claim?",
            "What did Russia say?",
            "Russia said troops entered, claiming a violation, but Azerbaijan denied these claims.",
            "How did Azerbaijan respond to that claim?",
        ),
        # "there": where the exchange put things.
        (
            "Which other country has influence there?",
            "Who sent peacekeepers to the region?",
            "Moscow deployed peacekeepers to the region.",
            "Which other country has influence in the region?",
        ),
        # Nothing to stand for (the answer was a refusal, no one named): left as it is.
        (
            "Who did he leave a path for?",
            "Who pulled out of the bidding?",
            "",
            "Who did he leave a path for?",
        ),
    ],
)
def test_a_follow_ups_pointers_are_read_back_from_the_last_exchange(
    message, question, answer, expected
):
    assert text.resolve_pointers(message, question, answer) == expected


@pytest.mark.parametrize(
    ("message", "standalone", "ok"),
    [
        ("Who did he meet?", "Who did Jeyhun Bayramov meet?", True),
        ("And when did the fighting end?", "When did the fighting end?", True),
        # Another question: "be for" became "comprise".
        ("What would it be for?", "What would the platform comprise?", False),
        # A word of the question dropped: "say".
        ("Why does he say Apple pays?", "Why does Apple pay?", False),
        # The pointer left unresolved: "that warning" -> "the warning".
        ("Who issued that warning?", "Who issued the warning?", False),
    ],
)
def test_a_rewrite_must_keep_the_follow_up_and_resolve_its_pointers(message, standalone, ok):
    assert text.resolves(message, standalone) is ok


def test_an_act_done_to_a_part_of_the_asked_object_is_not_an_answer():
    tour = "Who won the 2021 Tour de France?"
    stage = "Wout van Aert sprinted to win the final stage of the 2021 Tour de France."
    assert "stage of 2021 Tour de France" in text.part_of_object(tour, stage)
    assert text.part_of_object("Who won the match?", "Smith won the first half of the match.")
    assert not text.part_of_object("Who won the match?", "Smith won the match.")
    # The act done to the asked object itself is there too.
    both = "Smith won the first half and won the match."
    assert not text.part_of_object("Who won the match?", both)
    # Another verb: not judged here.
    goal = "Smith scored the first goal of the match."
    assert not text.part_of_object("Who won the match?", goal)


@pytest.mark.parametrize(
    ("answer", "unnamed"),
    [
        ("The winner of the 2019 Maxwell Award will be announced on December 12, 2019.", "winner"),
        ("The winner was Joe Burrow.", ""),
        ("Joe Burrow was named the winner of the Maxwell Award.", ""),
        ("Joe Burrow, the winner, thanked LSU.", ""),
        ("Joe Burrow won the Maxwell Award.", ""),  # no "winner" to identify: other checks
        ("Heisman winner Joe Burrow threw for 5 touchdowns.", ""),
        ("Joe Burrow was crowned the winner.", ""),
        # Told of after a preposition, as the question does, and not named.
        ("Fans cheered for the winner of the 2019 Maxwell Award.", "winner"),
        ("Fans cheered for the winner Joe Burrow.", ""),
        ("Joe Burrow returned as the winner.", ""),
        ("Police named Joe Burrow as the winner; fans cheered for the winner.", ""),
    ],
)
def test_a_who_is_the_n_answer_must_say_who_the_n_is(answer, unnamed):
    assert text.leaves_unidentified("Who is the Maxwell Award winner in 2019?", answer) == unnamed


def test_an_n_in_a_coordinated_apposition_is_identified():
    answer = "Caroline Ellison, his girlfriend and the CEO of Alameda, was used as a front."
    assert text.leaves_unidentified("Who is the CEO of Alameda?", answer) == ""


@pytest.mark.parametrize(
    ("sentence", "published", "shown"),
    [
        # a month and day without a year: the year of publication
        ("It was released in Japan on April 29.", date(2015, 6, 16), "on April 29, 2015."),
        ("It opens on 3 May.", date(2015, 6, 16), "on 3 May 2015."),
        ("The talks resume on Monday, Nov. 16.", date(2020, 11, 12), "Monday, Nov. 16, 2020."),
        # a weekday: the week before publication when told in the past, else after it
        (
            "Lavrov said on Tuesday that it would stay.",
            date(2020, 11, 12),
            "Tuesday (November 10, 2020)",
        ),
        ("Season 11 premieres Sunday.", date(2021, 8, 19), "Sunday (August 22, 2021)."),
        (
            "It was relayed at Friday’s meeting.",
            date(2023, 11, 25),
            "Friday’s (November 24, 2023) meeting",
        ),
        # dates that have their year, or no date at all, stay as they are
        ("It was released on March 25, 2014.", date(2015, 6, 16), "on March 25, 2014."),
        ("Sunday, Sept. 27, 2020 was the day.", date(2020, 11, 12), "Sunday, Sept. 27, 2020 was"),
        ("It launched in May 2012.", date(2022, 4, 20), "in May 2012."),
        # the year nearest the publication; ranges, named years and names are left alone
        ("It closed on December 28.", date(2016, 1, 5), "December 28, 2015."),
        ("It ran March 5-7.", date(2015, 6, 16), "It ran March 5-7."),
        ("On May 5 and 6 it rained.", date(2015, 6, 16), "On May 5 and 6 it rained."),
        ("In 2013, it opened on March 3.", date(2015, 6, 16), "on March 3."),
        ("The Sunday Times reported it.", date(2015, 6, 16), "The Sunday Times reported"),
        ("Sales rose on Black Friday.", date(2015, 6, 16), "on Black Friday."),
        # tense: a participle with a present auxiliary is not past; "last" is the week before
        ("The vote is scheduled for Sunday.", date(2015, 6, 16), "Sunday (June 21, 2015)"),
        ("He left last Tuesday.", date(2015, 6, 16), "Tuesday (June 9, 2015)"),
    ],
)
def test_a_date_without_its_year_is_read_against_the_articles_date(sentence, published, shown):
    assert shown in text.complete_dates(sentence, published)


def test_no_published_date_leaves_the_text_alone():
    assert text.complete_dates("He spoke on Tuesday.", None) == "He spoke on Tuesday."
    assert text.complete_dates("It opens Saturday.", date(9999, 12, 31)) == "It opens Saturday."


Q1_2022 = "Deliveries crossed 310,000 units in Q1 2022. Revenue reached a record $18.8 billion."


@pytest.mark.parametrize(
    ("before", "sentence", "told"),
    [
        # no year in the sentence: the last one named before it in its chunk
        (Q1_2022, "Revenue reached a record $18.8 billion.", "2022"),
        ("Q1 2021 was strong.", "Revenue reached $10.4 billion in Q1 2021.", ""),
        ("In Q1 2022 it grew.", "It was up from $10.4 billion in Q1 2021.", ""),  # its own year
        ("Revenue reached $10.4 billion.", "Revenue reached $10.4 billion.", ""),  # no year
        ("It paid $2,019 to 2,021 people.", "It paid $2,019 to 2,021 people.", ""),  # not years
        # counts, bounds and asides are not the time a statement tells of
        ("He said 2000 people attended.", "He said 2000 people attended.", ""),
        ("The target is 2030. It is met by 2030.", "It is met by 2030.", ""),
        ("Tesla, founded in 2003, made $1.", "Tesla, founded in 2003, made $1.", ""),
        ("Revenue rose 10% from 2020.", "Revenue rose 10% from 2020.", ""),
        # only the sentence just before it, not the whole chunk
        ("It began in 2019. Sales rose. Revenue was $5.", "Revenue was $5.", ""),
    ],
)
def test_a_source_told_of_another_year_does_not_answer_for_the_asked_one(before, sentence, told):
    assert text.another_year("What was Tesla's revenue in Q1 2021?", before, sentence) == told


def test_a_question_without_a_year_is_not_judged_by_year():
    assert text.another_year("What was Tesla's revenue?", Q1_2022, "Revenue reached $1.") == ""


def test_a_number_the_sources_use_without_its_noun_is_no_conflict():
    # "second on 27": the 27 counts the points the sentence counted before it.
    source = "City lead the table on 28 points with Liverpool going into second on 27."
    assert not text.number_conflict("Liverpool had 27 points.", [source])
    assert text.number_conflict("Liverpool had 6 points.", [source])


def test_a_phrase_fronted_before_the_wh_word_is_not_the_question():
    asked = "Before the points deduction, where had Everton climbed to in the table?"
    assert text.without_fronted(asked).startswith("where had Everton")
    assert asked_for("In the Monday night game, which team sacked Dobbs?") == "name"
    assert asked_for("According to Reuters, how many people died?") == "number"
    # A comma with no wh-word after it fronts nothing.
    assert text.without_fronted("Did Everton, after the deduction, drop?") == (
        "Did Everton, after the deduction, drop?"
    )
    # A fronted list keeps its commas: the question starts at the wh-word, and the names
    # it excludes are not an answer to it (they are the question's own).
    besides = "Besides Apple, Samsung and Mozilla, which other companies have deals with Google?"
    assert text.without_fronted(besides).startswith("which other companies")
    assert asked_for(besides) == "name"
    assert not gives("Google has deals with Samsung and Mozilla.", "name", besides)
    assert gives("Google has deals with Samsung, Mozilla and Opera.", "name", besides)


def test_a_participle_phrase_without_a_subject_is_fronted_too():
    """ "Going by the article, roughly what year ...?" asks "what year": a participle phrase
    with no subject of its own is fronted like a prepositional one, and a degree adverb may
    stand before the wh-word."""
    asked = "Going by the article, roughly what year did Gaza's blockade begin?"
    assert text.without_fronted(asked).startswith("roughly what year")
    assert asked_for(asked) == "time"
    assert asked_for("Based on the report, who won the vote?") == "name"
    assert text.is_yes_no("Judging by the headline, is the trial over?")
    # A clause with its own subject before a wh-word's question stays the question's.
    assert asked_for("Summarize the report on Nvidia, which beat estimates.") is None


def test_a_difference_is_not_answered_by_the_amounts_compared():
    """ "By how much did A exceed B?" asks for one number: an answer giving A's and B's
    amounts side by side leaves the sum to the reader; one marked as the difference ("by",
    a comparative) answers, as does any amount to a question that asks for no difference."""
    asked = "In the report, by how much did Alameda's unlocked FTT exceed its FTT collateral?"
    listed = (
        'Alameda\'s largest asset was $3.66 billion of "unlocked FTT" and $2.16 billion of'
        ' "FTT collateral." [1]'
    )
    assert not gives(listed, "number", asked)
    for asked_rate, said in (
        ("By how much did the Fed raise rates?", "It raised rates 25 basis points to 5.5%."),
        ("By how much did unemployment fall?", "It fell 0.3 points to 3.7% from 4.0%."),
        ("By how much did revenue grow?", "It rose to $5 billion from $3 billion."),
    ):
        assert gives(said, "number", asked_rate), said  # the measure, or the end points
    assert gives("It exceeded its collateral by $1.5 billion.", "number", asked)
    assert gives("It had $1.5 billion more in unlocked FTT than in collateral.", "number", asked)
    assert gives("Shares rose 5% to $20.", "number", "By how much did shares rise?")
    assert gives(listed, "number", "How much unlocked FTT did Alameda hold?")
    assert gives("Montreal scored four goals.", "number", "How many more goals did it score?")


def test_a_quantifier_of_the_counted_noun_answers_how_many():
    """ "On practically every platform" says how many platforms, as "none of the platforms"
    does; a quantifier of another noun does not."""
    asked = "How many platforms does Google end up as the default search engine on?"
    for said in (
        "Google ends up as the default search engine on practically every platform.",
        "It is the default on all the platforms.",
        "It is the default on none of the platforms.",
    ):
        assert gives(said, "number", asked), said
    assert not gives("Every company pays for it.", "number", asked)
    assert not gives("It is the default search engine.", "number", asked)


@pytest.mark.parametrize(
    ("sentence", "shown"),
    [
        ("At two of his companies, Yedidia ended up working: Alameda and FTX.", {"two"}),
        ("Yedidia worked at two of his companies, Alameda and FTX.", {"two"}),
        (
            "Alameda dealt with FTX in three capacities: as a customer, a payment processor"
            " and a market maker.",
            {"three"},
        ),
        ("Moscow sent two envoys to Armenia and Azerbaijan.", set()),  # counts the envoys
        ("Yedidia worked at three companies: Alameda and FTX.", set()),  # the list is two
        ("He faces three counts: fraud, conspiracy, bribery and theft.", set()),  # four
        ("Sales fell in two quarters – the company blamed China and Europe.", set()),
        ("It sold 3 ① products.", set()),
    ],
)
def test_a_count_followed_by_its_items_shows_its_work(sentence, shown):
    assert text.enumerated_counts(sentence) == shown


def test_a_claim_s_predicate_is_its_verb_or_its_complement():
    assert text.claim_predicate("FC Cincinnati seal the Supporters' Shield with a win") == (
        "FC Cincinnati",
        frozenset({"seal"}),
    )
    subject, said = text.claim_predicate("Ratcliffe's Man United takeover been plain sailing")
    assert said == {"sailing"} and subject.endswith("takeover")
    assert text.claim_predicate("it been plain sailing for Ratcliffe") == ("it", {"sailing"})
    # A subject that is a report is exempt: its verb is the question's framing.
    from rag.verify.yes import states_predicate

    source = "The company declined to comment on the layoffs."
    assert not states_predicate("the company confirm the layoffs", source, [])
    assert states_predicate("the same source also report a win", source, [])
    assert states_predicate("The Verge describe the deal as unfair", source, ["The Verge"])


def test_what_year_is_answered_by_a_year():
    """ "What year ...?" asks for a year: "16 years ago" leaves the reader to count back from
    a date the answer does not give."""
    asked = "Going by the article, roughly what year did Gaza's blockade begin?"
    assert not gives("The blockade began roughly 16 years ago [1].", "time", asked)
    for said in ("It began in 2007.", "It began last year.", "It began in the late '90s."):
        assert gives(said, "time", asked), said
    # A year of a span is no calendar year.
    assert gives("In the second year.", "time", "In what year of his presidency did he sign?")
    # Another time question keeps any time: "16 years ago" says when.
    assert gives("The blockade began roughly 16 years ago.", "time", "When did it begin?")


def test_a_yes_no_question_may_open_with_a_fronted_phrase_with_commas():
    asked = (
        "Between the TechCrunch report published on October 6, 2023, and The Verge's"
        " coverage, was there inconsistency in the portrayal of Bankman-Fried?"
    )
    assert text.is_yes_no(asked)
    assert text.without_fronted(asked).startswith("was there inconsistency")
    # The fronted phrase stays in what a "Yes" claims.
    assert text.yes_no_claim(asked) == (
        "Between the TechCrunch report published on October 6, 2023, and The Verge's"
        " coverage, there inconsistency in the portrayal of Bankman-Fried"
    )
    assert text.yes_no_claim("Did Moscow deploy peacekeepers?") == "Moscow deploy peacekeepers"
    # A wh-question's own clauses, and a yes/no question's asides, are not fronted.
    assert not text.is_yes_no("When did Russia attack, was it legal?")
    assert not text.is_yes_no("Where else did Apple open stores, was it in Europe?")
    assert text.is_yes_no("When Russia attacked, was it legal?")
    # The comma before the auxiliary is the last one: a relative clause may come before it.
    assert text.is_yes_no("After the report, which TechCrunch published on Monday, was there more?")
    # A capitalised name is no auxiliary; joining words are no part of the question.
    assert not text.is_yes_no(
        "In the film starring Margot Robbie, Will Ferrell and Ryan Gosling, who played Ken?"
    )
    assert text.is_yes_no("And did Moscow deploy peacekeepers?")
    assert text.is_yes_no("So, did Moscow deploy peacekeepers?")
    for asked in (
        "How much net financing, or new borrowing, does the department plan for 2024?",
        "Why, according to the survivors suing Uber, are its checks shallow?",
    ):
        assert not text.is_yes_no(asked) and text.without_fronted(asked) == asked
    assert text.is_yes_no("Did Apple, which makes iPhones, sue Google?")


def test_what_pins_a_focus_down_counts_as_speaking_of_it():
    assert text.focus_kinds("What sales figure did Nike's unit report?") == {"sale"}
    assert text.focus("Why did Sam Altman come to be seen as a face of generative AI?") == "see"
    assert "face" in text.focus_kinds(
        "Why did Sam Altman come to be seen as a face of generative AI?"
    )


def test_a_time_is_a_date_or_time_not_any_number():
    question = "When did Uber publish its second safety report?"
    assert not gives(
        "The rate decreased 38% between its first and second reports.", "time", question
    )
    for answer in (
        "It came out on Oct. 5.",
        "It was published at 11:03 p.m.",
        "In 2019.",
        "It was published on the 5th.",
        "It was published last week.",
    ):
        assert gives(answer, "time", question), answer
    # "How long" asks for a duration or a length: a time word or a number answers it.
    how_long = "How long is the Gaza Strip from end to end?"
    assert asked_for(how_long) == "time" and gives("It is 25 miles long.", "time", how_long)
    assert gives("The strike lasted a month.", "time", "How long did the strike last?")
    assert "long" in text.asked_words("How long is the Gaza Strip from end to end?")


def test_how_long_asks_for_a_stretch_of_time_and_a_year_is_no_amount():
    # A point in time does not say how long after something it came, nor how many years.
    after = "Roughly how long after the deal ended the fighting did the leaders sign the pact?"
    assert asked_for(after) == "time"
    assert not gives("The leaders signed their pact in January 2021.", "time", after)
    assert gives("They signed it about two months later.", "time", after)
    years = "By the time fighting broke out in 2020, for how many years had relations been tense?"
    assert asked_for(years) == "number"
    assert not gives("Relations have been tense since 1991.", "number", years)
    assert gives("Relations had been tense for 29 years.", "number", years)
    # Numbers beside a date still count what they count.
    assert gives("Russia sent 2,000 peacekeepers in 2020.", "number", "How many did Russia send?")
    assert not gives("Russia sent them on Nov. 10, 2020.", "number", "How many did Russia send?")
    assert text.durations("The fighting ended on Nov. 10, 2020, after 44 days.") == ["44 days"]
    assert [
        "It came eight years after the 2014 deal."[s:e]
        for s, e in text.calendar_spans("It came eight years after the 2014 deal.")
    ] == ["2014"]


def test_a_curly_apostrophe_negates_too():
    assert has_negation("There wasn’t a valid alternative.")


def test_words_in_the_outlets_own_voice_are_no_ones_saying():
    asked = "What did Bears coach Matt Eberflus say about his defense?"
    assert text.asks_what_was_said(asked)
    assert not text.asks_what_was_said("Who said the defense was good?")
    assert not text.reports_speech("The Bears' defense is all over the Vikings tonight.")
    assert text.reports_speech("The defense was all over them, Eberflus said.")
    assert text.reports_speech("“We were all over them,” the coach told reporters.")
    assert text.reports_speech("According to Eberflus, the defense was all over them.")


def test_a_question_with_an_aside_has_no_fronted_phrase():
    for question in (
        "Did Apple, which makes iPhones, sue Google?",
        "What did Apple, which makes iPhones, say?",
    ):
        assert text.without_fronted(question) == question
    assert (
        asked_for(
            "According to TechCrunch's piece on how startups win, what share of leaders agree?"
        )
        == "number"
    )


def test_spelled_out_tens_and_percent_signs_compare_with_digits():
    source = "Ninety-four percent of leaders agree, and spending rose 27% from 2022."
    assert text.spelled_tens_as_digits(source).startswith("94 percent")
    assert not text.number_conflict("94% of leaders agree.", [source])
    assert text.number_conflict("72% of leaders agree.", [source])


def test_only_a_prepositional_phrase_is_fronted():
    for question in (
        "Summarize the report on Nvidia, which beat estimates.",
        "Didn't Apple, which makes iPhones, sue Google?",
        '"Did Apple, which makes iPhones, sue Google?"',
    ):
        assert text.without_fronted(question) == question.strip()
    assert asked_for("Summarize the report on Nvidia, which beat estimates.") is None


def test_a_number_within_a_date_is_not_a_bare_count():
    source = "Moscow deployed almost 2,000 peacekeepers to the region on Nov. 6, 2020."
    assert text.number_conflict("Moscow deployed six peacekeepers.", [source])
    assert text.spelled_tens_as_digits("the twenty-first century") == "the twenty-first century"


def test_asking_what_was_announced_is_not_asking_for_words():
    assert not text.asks_what_was_said("What did Apple announce at WWDC?")
    assert text.asks_what_was_said("What did Apple tell investors?")


def test_a_month_and_day_take_the_year_their_cited_sentence_states():
    """The cited sentences say the year ("April 29, 2015"): it is the answer's year, with
    or without the article's date; two years for the same day decide nothing."""
    cited = ["Xenoblade Chronicles X was published in Japan by Nintendo on April 29, 2015."]
    answer = "It was released in Japan on April 29."
    assert text.complete_dates(answer, None, cited).endswith("April 29, 2015.")
    assert text.complete_dates(answer, date(2021, 6, 1), cited).endswith("April 29, 2015.")
    assert text.complete_dates("It came out on 29 April.", None, ["29 April 2015"]).endswith(
        "29 April 2015."
    )
    both = ["on April 29, 2015 and again on April 29, 2016"]
    assert text.complete_dates(answer, None, both) == answer
    assert text.complete_dates(answer, date(2016, 1, 3), both).endswith("April 29, 2016.")


def test_the_digits_of_a_code_are_no_number():
    from rag.verify.common import number_strings

    assert number_strings("the fifth T20 of the G7 summit in Q1 2021") == {"2021"}
    assert number_strings("$1.45 billion on the 16th, 1,000 fans") == {"1.45", "16", "1000"}


def test_a_purpose_infinitive_tells_of_its_verbs_subject():
    """ "Hope opens the face to steer Rehan": Hope is who steers."""
    doc = text.parse("Hope, who is playing an exemplary innings, opens the face to steer Rehan.")
    hope = next(t for t in doc if t.text == "Hope")
    assert "steer" in text.anchors(hope)
    # Another clause's infinitive is its own subject's: Rehan steers, not Hope.
    doc = text.parse("Hope watched as Rehan ran to steer the ball.")
    assert "steer" not in text.anchors(next(t for t in doc if t.text == "Hope"))


def test_a_share_of_a_whole_is_answered_by_a_quantity_of_that_whole():
    from rag.verify import off_focus

    question = "What share of business leaders believe AI will be critical?"
    evidence = ["Ninety-four percent of business leaders agree AI will be critical."]
    assert off_focus(question, evidence[0], evidence) == ""
    other = ["Ninety-four percent of companies agree AI will be critical."]
    assert "count something else" in off_focus(question, other[0], other)


def test_a_what_n_question_for_an_amount_asks_for_a_number():
    assert asked_for("What net income did Nike report for its latest quarter?") == "number"
    assert asked_for("What reason did the board give?") is None


def test_the_names_a_question_frames_leave_out_its_descriptions():
    assert text.named_in_frame("Who stars in Prisoner's Daughter?") == {"prisoner", "daughter"}
    described = (
        "Who is the individual, previously considered the richest in the world, who"
        " discussed board compositions with Paradigm?"
    )
    assert "paradigm" not in text.named_in_frame(described)


def test_two_people_by_full_name_are_two_speakers():
    """ "What did Britney Spears tell ET?" is not answered by her ex-husband's lawyer's words;
    a place may still speak for its country, and the asked person named in full is no clash."""
    question = "What did Britney Spears tell Entertainment Tonight about taking a step back?"
    lawyer = "Federline's attorney Mark Kaplan told Entertainment Tonight: “Kevin is proud.”"
    assert "Mark Kaplan said, not Britney Spears" in text.other_speaker(question, lawyer)
    herself = "Britney Spears told Entertainment Tonight she needs to take a step back."
    assert text.other_speaker(question, herself) == ""
    assert text.other_speaker("What did Russia say?", "Moscow said the strikes were real.") == ""


def test_a_relative_word_alone_gives_no_time():
    """ "... after announcing her retirement" does not say when she announced it."""
    question = "When did Richelle Cranston announce her retirement?"
    quote = "Cranston is chaired off the ground after announcing her retirement."
    assert not gives(quote, "time", question)
    assert gives("She announced it after the match on Sunday.", "time", question)


def test_a_which_question_may_offer_its_choices():
    asked = (
        "Of the two call-ups Johnny Cardoso and Cameron Carter-Vickers, which one has"
        " returned to action with Internacional?"
    )
    assert text.offered_choices(asked)[0] == {"johnny", "cardoso"}
    assert gives("Johnny Cardoso has returned to action with Internacional.", "name", asked)
    assert not gives("Johnny Cardoso and Cameron Carter-Vickers were called up.", "name", asked)
    assert len(text.offered_choices("Which company, Apple or Google, paid more?")) == 2
    assert len(text.offered_choices("Which of Apple and Google paid more?")) == 2
    # The noun asked for may be "of" them: a Chelsea player is no name of a player.
    assert text.offered_choices("Which player of Chelsea and Arsenal was sent off?") == []
    # The question's own participants are no choices: "Azerbaijan brokered it" answers no one.
    asked = "Who brokered the agreement between Armenia and Azerbaijan?"
    assert text.offered_choices(asked) == []
    assert not gives("Azerbaijan brokered the agreement.", "name", asked)


def test_a_title_before_a_common_noun_is_not_a_name():
    claim = (
        "Kelce's 81.3 average receiving yards per game against the Raiders since 2019 suggests"
        " he is in line for a productive outing and could potentially snap his four-game"
        " scoring drought."
    )
    source = (
        "Even so, Kelce's 81.3 average receiving yards per game against the Raiders since 2019"
        " suggests the All-Pro tight end is in line for a productive outing and could"
        " potentially snap his four-game scoring drought."
    )
    assert not text.role_conflict(claim, [source])
    # A side named before its noun still is one.
    assert text.role_conflict(
        "The Azerbaijani forces had to retreat.", ["The Armenian forces had to retreat."]
    )


def test_name_claim_puts_the_name_in_the_subject_the_question_asks_for():
    claim = text.name_claim
    assert claim(
        "Which football club, discussed by The Guardian, had a points penalty?", "Everton"
    ) == ("Everton, discussed by The Guardian, had a points penalty", "club")
    assert claim("Who is the individual whose trial is near?", "Sam Bankman-Fried") == (
        "Sam Bankman-Fried is the individual whose trial is near",
        "who",
    )
    assert claim("Who brokered the agreement?", "Russia") == (
        "Russia brokered the agreement",
        "who",
    )
    assert claim("Which company has spent billions on deals?", "Google") == (
        "Google has spent billions on deals",
        "company",
    )
    assert claim("Which company, fined as the Weekly said, also saw shares fall.", "Q") == (
        "Q, fined as the Weekly said, also saw shares fall",
        "company",
    )
    assert claim("Which company is the leading contributor to revenue?", "Q")
    # "had" as the main verb ("had to ..."), and a quote closing the comma-set phrase.
    assert claim("Which team, covered by the Weekly, had to settle for a draw?", "Q") == (
        "Q, covered by the Weekly, had to settle for a draw",
        "team",
    )
    assert claim("What institution, named in 'The Daily,' has been forced to act?", "Q") == (
        "Q, named in 'The Daily,' has been forced to act",
        "institution",
    )
    assert claim("Who is the Silicon Valley prodigy known for his early influence?", "Q")
    assert claim("Who is the individual implicated in a case covered by The Verge?", "Q") == (
        "Q is the individual implicated in a case covered by The Verge",
        "who",
    )
    # An object question, an inverted one, a possessive, or one that does not open with its
    # wh-phrase: no claim.
    for question in (
        "Which company did Google buy?",
        "Which company has Google bought?",
        "Which company is Google suing?",
        "Which company was Google accused of copying?",
        "Which company, as the Weekly and the Daily reported, did regulators fine?",
        "Which company's CEO resigned?",
        "Who did the ministry blame?",
        "Considering the reports, which company is accused?",
        "What is the population of Baku?",
    ):
        assert claim(question, "X") is None, question


def test_states_something_tells_a_dateline_from_a_sentence():
    assert not text.states_something("Apr 20, 2022 ...")
    assert not text.states_something("PARIS, Oct. 3 (AP) -")
    for sentence in ("Novak Djokovic.", "Yes.", "Tesla Q2 2020 revenue.", "(AA Photo)"):
        assert text.states_something(sentence), sentence


def test_names_in_gives_the_names_the_question_does_not():
    got = text.names_in(
        "Sam Bankman-Fried, the founder of FTX, faces trial, TechCrunch reported.",
        "Who founded FTX?",
    )
    assert ("Sam Bankman-Fried", "PERSON") in got and all(n != "FTX" for n, _ in got)
    # A name inside a longer word of the question is not given by it.
    got = text.names_in("Meta and Ford said so.", "Is the metaverse affordable?")
    assert [n for n, _ in got] == ["Meta", "Ford"]


def test_a_role_the_tagger_calls_a_proper_noun_is_still_asked_about():
    """ "the new CEO of Vanguard": the tagger calls CEO a proper noun, but no entity covers it
    and it takes an article, so it is what the question asks about; an outlet's name is not."""
    assert {"ceo", "new"} <= text.asked_words("Who is the new CEO of Vanguard?")
    assert "president" in text.asked_words("Who is the President of France?")
    assert "verge" not in text.asked_words("Which company did The Verge say Google paid?")


def test_independent_clauses_split_at_the_root_only_where_each_has_a_subject():
    assert text.independent_clauses(
        "Google acquired YouTube for $1.65 billion in Google stock, and the deal was"
        " finalized on November 2006."
    ) == [
        "Google acquired YouTube for $1.65 billion in Google stock.",
        "The deal was finalized on November 2006.",
    ]
    assert text.independent_clauses(
        "Azerbaijan refuted the claims, but Russia insisted that the strikes happened."
    ) == ["Azerbaijan refuted the claims.", "Russia insisted that the strikes happened."]
    for one in (
        "Apple and Google won and kept the title.",  # shared subject, coordinated names
        "He said the company would grow and that profits would rise.",  # inside a clause
        "Moscow deployed almost 2,000 peacekeepers to the region.",
        # a list the parser misread as a clause: "... as a customer, payment processor, and
        # market maker is Binance"
        "The firm is said to have acted as a customer, payment processor, and market maker is"
        " Binance.",
    ):
        assert text.independent_clauses(one) == [], one


def test_a_name_the_question_gives_in_lower_case_is_no_answer():
    question = "which city hosted the olympic games in 2012?"
    assert not gives("The Olympic Games were a success.", "name", question)
    assert gives("London hosted the Olympic Games.", "name", question)


def test_the_publishers_a_question_names_for_its_pieces():
    assert text.publishers_named(
        "Considering an article by Variety and the Bloomberg article on Poodle Holdings,"
        " which division grew?"
    ) == ["Variety", "Bloomberg"]
    assert text.publishers_named("What did The Verge's piece say about Apple?") == ["The Verge"]
    # A piece that names its publisher: its modifier is its subject.
    assert text.publishers_named("What did the Apple article from The Verge say?") == ["The Verge"]
    # Not a piece of journalism, nor a publisher.
    assert text.publishers_named("What did the UN report say, according to Reuters?") == []


def test_a_quoted_first_person_is_no_name():
    question = "Which country has implemented a blockade?"
    quote = "The carriers went from bumper profits to losses: 'I'm certainly concerned'."
    assert not gives(quote, "name", question)
    assert not gives("We're told I'd have known, and I've said so.", "name", question)
    assert not gives("The carriers said: 'Don't panic, it isn't over'.", "name", question)
    assert gives("The ministry quoted Sa'd Hariri.", "name", question)
    assert gives("Israel's blockade halted deliveries.", "name", question)


def test_a_sentence_that_stops_at_its_copula_says_nothing():
    assert text.lacks_complement("The current Olympic Games host city is.")
    for said in (
        "Inflation is lower than it was.",
        "Nobody knows where the ship is.",
        "The company will stay as it is.",
        "London is the host city.",
    ):
        assert not text.lacks_complement(said), said


def test_the_doer_of_by_saying_is_the_subject_of_the_verb_it_tells_the_manner_of():
    source = "“Certainly there wasn’t a valid alternative to Google at the time,” Cue said."
    claim = "Google's lawyers responded by saying there wasn't a valid alternative to Google."
    assert text.role_conflict(claim, [source]).startswith("in the sources someone else acts")
    assert (
        text.role_conflict("Cue responded by saying there wasn't a valid alternative.", [source])
        == ""
    )


def test_a_name_that_only_modifies_a_noun_is_no_participant_a_pronoun_is_barred_from():
    source = (
        "In October 2006, Google announced that it had acquired the video-sharing site YouTube"
        " for $1.65 billion in Google stock."
    )
    claim = "Google acquired YouTube for $1.65 billion in Google stock."
    assert text.role_conflict(claim, [source]) == ""


def test_appositive_claims_split_off_a_names_description():
    assert text.appositive_claims(
        "Bankman-Fried's lawyer accused Caroline Ellison, his girlfriend and the CEO of"
        " Alameda, of not protecting her hedge fund."
    ) == [
        "Bankman-Fried's lawyer accused Caroline Ellison of not protecting her hedge fund.",
        "Caroline Ellison is his girlfriend and the CEO of Alameda.",
    ]
    assert text.appositive_claims("The deal was announced by Tim Cook, the CEO of Apple.") == [
        "The deal was announced by Tim Cook.",
        "Tim Cook is the CEO of Apple.",
    ]
    for one in (
        "Apple, Google and Samsung signed the deal.",  # a list, not a description
        "He met Cook, who is the CEO.",  # a relative clause
        "The company's chief executive said it would grow.",
    ):
        assert text.appositive_claims(one) == [], one
    # Clauses first, then each clause's descriptions, marked as such.
    assert text.claims_of(
        "Sergey Lavrov, Russia's foreign minister, met Bayramov, and the talks went well."
    ) == [
        ("Sergey Lavrov met Bayramov.", False),
        ("Sergey Lavrov is Russia's foreign minister.", True),
        ("The talks went well.", False),
    ]


def test_a_kind_of_n_question_asks_about_n():
    assert text.focus("What kind of firm is Jane Street?") == "firm"
    assert text.focus("What type of weapons did the forces use?") == "weapon"
    assert text.focus("What kind did he buy?") == "kind"


def test_a_why_question_is_not_held_to_a_verb_no_passage_tells_of():
    """The reason's evidence must tell of the act asked about, unless no retrieved sentence
    tells of it with the question's participants: then the sources word it otherwise."""
    from rag.verify import off_focus

    question = "Why did Israel tell people in northern Gaza to move south?"
    answer = "Israel warned Gaza residents in the north to leave for the south before an invasion."
    evidence = [
        "Israel warned 1.1 million Gaza residents in the northern section of the enclave to"
        " leave for the southern region, in advance of a potential ground invasion."
    ]
    assert "move" in off_focus(question, answer, evidence)
    # A sentence that says "moving" of others does not tell of the move asked about.
    other = "A blockade prevents civilians and items from easily moving into or out of the area."
    assert off_focus(question, answer, evidence, context=[*evidence, other]) == ""
    told = "Israel told the people of northern Gaza to move south within 24 hours."
    assert "move" in off_focus(question, answer, evidence, context=[*evidence, told])


def test_a_score_or_a_range_counts_nothing():
    """ "A 4-1 victory" is one victory: neither number of a score counts its noun, so
    "scored 4 goals" is not read as a 4 the sources give to victories."""
    assert text.counted("CF Montreal's big 4-1 victory over Portland") == {}
    assert text.counted("almost 2,000 peacekeepers") == {"2000": frozenset({"peacekeeper"})}
    sources = [
        "The defeat coupled with CF Montreal's big 4-1 victory over Portland means more.",
        "Messi had missed the last four games due to injury.",
    ]
    # Four counts games, but the sources also give 4 in a score, whose unit goes unsaid.
    assert text.number_conflict("CF Montreal scored 4 goals against Portland.", sources) == ""
    assert "counts game" in text.number_conflict("Portland scored 4 goals.", sources[1:])


def test_the_doer_a_question_asks_about():
    assert text.asked_subject("How did Google's lawyers respond to Cue's testimony?") == (
        "lawyer",
        frozenset({"google"}),
    )
    assert text.asked_subject("Why did the Glazers think they could sell?") == (
        "glazers",
        frozenset({"glazers"}),
    )
    for none in (
        "Who brokered the deal?",
        "What is Jane Street?",
        "What did it establish?",
        "What did the Weekly article say about the talks?",  # a speaker, not a doer
    ):
        assert text.asked_subject(none) is None, none


def test_an_answer_about_someone_else_than_the_doer_asked_about_is_no_answer():
    """ "How did Google's lawyers respond?" is not answered by a sentence on what the Justice
    Department is focused on, though it names Google: neither it nor its source speaks of
    the lawyers. A source that does, or an answer naming the doer, may answer."""
    from rag.verify import off_focus

    question = "How did Google's lawyers respond to Cue's testimony?"
    other = (
        "The Justice Department is focused on the deals Google makes to ensure it is the"
        " default search engine."
    )
    assert "lawyer" in off_focus(question, other, [other])
    said = "Google's lawyers said there was no valid alternative."
    assert off_focus(question, said, [said]) == ""
    assert (
        off_focus(
            "What did Russia claim?",
            "Moscow said the strikes happened.",
            ["Russia's ministry said that the strikes happened."],
        )
        == ""
    )


def test_a_hyphenated_compound_is_also_told_about_as_one_word():
    """ "After the cease-fire" ties Moscow to a ceasefire, as a question writes it."""
    doc = text.parse(
        "Moscow deployed almost 2,000 peacekeepers to the region after the cease-fire."
    )
    assert {"ceasefire", "fire"} <= text.anchors(doc[0])


def test_an_answers_name_is_found_in_a_source_only_as_the_same_name():
    """A name of several words is found where a source gives its last word or most of its
    words, not where a source gives a word that only modifies it: "Azerbaijan" in "its
    alliance with Azerbaijan" is not "the Azerbaijani Defense Ministry"."""
    question = "Whose peacekeepers are shown patrolling in the photo?"
    answer = "The Azerbaijani Defense Ministry is shown patrolling in the photo."
    alliance = (
        "Moscow deployed 2,000 peacekeepers where Turkey has a close alliance with Azerbaijan."
    )
    assert text.answer_tokens(alliance, answer, "name", question) == []
    said = (
        "Armenian forces fire on the Azerbaijani army, according to the Azerbaijani Defense"
        " Ministry."
    )
    found = text.answer_tokens(said, answer, "name", question)
    assert [t.text for t in found] == ["Azerbaijani", "Defense", "Ministry"]
    assert [
        t.text for t in text.answer_tokens("Sergey Lavrov said so.", "Lavrov", "name", "Who?")
    ] == [
        "Sergey",
        "Lavrov",
    ]


def test_the_words_describing_which_n_describe_the_answer_not_the_sources():
    # "American" is what the answer is (Philadelphia), not a name its sources must give.
    assert "american" not in text.named_in_frame(
        "Which American city does the headline use to give a sense of Gaza's size?"
    )
    assert "azerbaijan" in text.named_in_frame("Which Russian ministry accused Azerbaijan?")


def test_a_subject_is_told_about_the_verbs_coordinated_with_its_own():
    doc = text.parse(
        "Israel stopped allowing deliveries of food to Gaza's residents on Oct. 10, 2023,"
        " and is reportedly preparing for a ground invasion."
    )
    told = text.anchors(doc[0])
    assert {"prepare", "invasion", "stop"} <= told
    # Not the other way round: the invasion's preparer is not told about the deliveries'
    # recipients' own verbs, and a conjunct with its own subject keeps it.
    doc = text.parse("Israel stopped the deliveries and Hamas is preparing for a ground invasion.")
    assert "invasion" not in text.anchors(doc[0])


def test_when_is_answered_by_a_time_told_by_an_event():
    question = "When did Binance start withdrawing its money?"
    for answer in (
        "It started after the collapse.",
        "It started when FTX was exposed.",
        "Binance started pulling it out around the same time it was exposed.",
    ):
        assert gives(answer, "time", question), answer
    assert not gives("Binance started withdrawing its money.", "time", question)
    assert asked_for("At what point did Binance start withdrawing the money?") == "time"
    assert asked_for("What point did Cue make about Google?") != "time"


def test_the_new_readings_keep_to_what_they_read():
    # An age the tagger calls a date is still a number; "since 2011" says how long.
    assert gives("Biden, 81, is the oldest president.", "number", "How old is Biden?")
    assert gives("Tim Cook has led Apple since 2011.", "time", "How long has Cook led Apple?")
    assert gives("It lasted several weeks.", "time", "How long did it last?")
    assert not gives("The talks began two years ago.", "time", "How long did the talks last?")
    # A discourse "at the same time", a reason's "since" and a contrast's "while" tell no time.
    question = "When did Binance start withdrawing its money?"
    for answer in (
        "At the same time, Binance started withdrawing its money.",
        "Binance withdrew its money since it feared losses.",
        "Binance withdrew it while keeping reserves in Asia.",
    ):
        assert not gives(answer, "time", question), answer
    # A proper noun before the N of "which N" is a whole the sources must speak of.
    assert "chelsea" in text.named_in_frame("Which Chelsea player scored the winner?")
    # A title's qualifiers are read whole, nationality and spelling aside.
    foreign = "Azerbaijani Foreign Affairs Minister Jeyhun Bayramov spoke."
    assert not text.title_conflict("Azerbaijan's foreign minister is Jeyhun Bayramov.", [foreign])
    shapps = ["Defense Secretary Grant Shapps said so."]
    assert not text.title_conflict("Britain's defence secretary is Grant Shapps.", shapps)


def test_either_or_questions_and_their_options():
    """An either-or question offers options set against each other (a repeated
    preposition or auxiliary, a negated word, names on each side, a cleft, or a list after
    a wh-question); an "or" that asks whether any part holds does not."""
    from rag.text import alternatives

    got = alternatives("Did the deal count as a win for Armenia or for Azerbaijan?")
    assert got is not None and got.options == ("for Armenia", "for Azerbaijan")
    assert got.claims[1] == "the deal count as a win for Azerbaijan"
    got = alternatives("Does the piece say the trial had already begun or was still to come?")
    assert got is not None and got.options == ("had already begun", "was still to come")
    assert got.claims[1] == "the piece say the trial was still to come"
    got = alternatives("Has the explanation of the odds remained consistent or inconsistent?")
    assert got is not None and got.options == ("consistent", "inconsistent")
    for question, first_claim in (
        ("Was it Yedidia or Bankman-Fried who got his start?", "Yedidia got his start"),
        ("Who let the bracelet story out, Taylor or Travis?", "Taylor let the bracelet story out"),
        ("Whose number did Kelce put on it, his own or Swift's?", "Kelce put on it his own number"),
        ("Which came first for him: trading or developing?", "Trading came first for him"),
    ):
        got = alternatives(question)
        assert got is not None and got.claims[0] == first_claim, question
        assert len(got.claims) == 2 and got.claims[1] != first_claim
    for plain in (
        "Were any Azerbaijani soldiers killed or wounded in the incident?",
        "Do both articles suggest that consumers are seeking deals or changes in their habits?",
        "Did the Age suggest that parents matter, or do their claims deny any consequences?",
        "Who gets the final say on whether he is a 'bad man' or a 'good boy'?",
        "What does the blockade keep from moving into or out of Gaza?",
        "Did the deal count as a win for Azerbaijan?",
    ):
        assert alternatives(plain) is None, plain


def test_a_number_bounded_the_other_way_is_a_conflict():
    """ "More than 2,000" is not "almost 2,000": the same number, bounded from the other
    side, of the same thing; a plain number or another thing's number says nothing of it."""
    from rag.text import Bound, bound_clash, bound_conflict, number_bounds

    assert number_bounds("Moscow deployed almost 2,000 peacekeepers") == {
        "2000": Bound("below", False, "peacekeepers")
    }
    assert number_bounds("over 5 and under 5") == {}
    assert number_bounds("no more than $2 billion")["$2 billion"].side == "below"
    # Another scale, a bound that leaves the number itself to both, a negated claim, a
    # source that agrees: no conflict.
    assert not bound_conflict("It cost more than $2 billion.", ["nearly 2 million barrels"])
    assert not bound_conflict("at least 10 people", ["up to 10 people"])
    assert not bound_conflict("over 20 of the hostages", ["nearly 20 of the soldiers"])
    assert not bound_conflict(
        "Moscow did not send more than 2,000 peacekeepers", ["almost 2,000 peacekeepers"]
    )
    assert not bound_conflict(
        "more than 2,000 peacekeepers",
        ["almost 2,000 peacekeepers", "more than 2,000 peacekeepers"],
    )
    assert bound_conflict("Moscow sent almost 2,000 troops", ["It sent at least 2,000 troops."])
    source = ["Moscow deployed almost 2,000 peacekeepers to the region."]
    assert bound_conflict("Moscow sent more than 2,000 peacekeepers", source)
    # The clash names the source that bounds it, for a "No" to quote.
    assert bound_clash("Moscow sent more than 2,000 peacekeepers", ["Talks.", *source])[1] == 1
    # Sure enough for a "No": both bounds count a word, and no source counts it otherwise.
    assert bound_clash("Moscow sent more than 2,000 peacekeepers", source, sure=True)
    assert not bound_clash("There were more than 10.", ["It lasted nearly 10 hours."], sure=True)
    quake = ["The quake killed 120 people.", "Nearly 100 people were injured."]
    assert bound_clash("more than 100 people died", quake)  # a "Yes" to it is declined
    assert not bound_clash("more than 100 people died", quake, sure=True)  # but no "No"
    assert not bound_conflict("Moscow sent nearly 2,000 peacekeepers", source)
    assert not bound_conflict("Moscow sent more than 2,000 peacekeepers", ["It had 2,000."])
    assert not bound_conflict(
        "Moscow sent more than 2,000 peacekeepers", ["It lists nearly 2,000 settlements."]
    )


def test_a_share_is_a_part_of_a_whole_and_who_may_be_a_group():
    """ "What share ...?" is not answered by a count; "who" is answered by a group named by
    what it is ("local businesses and residents"), not by a pronoun."""
    from rag.verify.asks import gives

    share = "Roughly what share of Gaza's population was told to leave?"
    assert not gives("Israel warned 1.1 million Gaza residents to leave.", "number", share)
    assert gives("Nearly half of the population was told to leave.", "number", share)
    assert gives("1.1 million of Gaza's 2.3 million residents were told to leave.", "number", share)
    assert gives("About 48% were told to leave.", "number", share)
    who = "Who had already been coping with Gaza's blockade for years?"
    assert gives("Local businesses and residents had been coping with it for years.", "name", who)
    assert not gives("It had already been coping with the blockade for years.", "name", who)
    side = "According to Russia, which side carried out drone strikes?"
    assert not gives("According to Russia, it carried out drone strikes.", "name", side)


def test_a_who_answer_names_its_group_and_a_share_is_no_date():
    """ "The man" (someone named before) does not answer "who"; a quarter of a year, a
    bare "percentage" or an article's number of a convention is no share."""
    from rag.verify.asks import gives

    who = "Who had already been coping with Gaza's blockade for years?"
    assert not gives("The man had been coping with the blockade for years.", "name", who)
    share = "What share of Gaza's population was told to leave?"
    for answer in (
        "The articles do not give the percentage.",
        "It happened in the second quarter of 2023.",
        "Article 5 of the 1949 Convention applies.",
        "500 in northern Gaza left.",
    ):
        assert not gives(answer, "number", share), answer


def test_a_who_after_a_fronted_clause_is_the_question_s_own():
    from rag.verify.asks import gives

    who = "Before the aid groups ran into it, who had been coping with the blockade for years?"
    assert gives("Local businesses and residents had been coping with it for years.", "name", who)


def test_what_kind_of_n_is_not_answered_by_a_count():
    """ "What type of drones ...?" asks which drones: "four-drone strikes" counts them and
    says no kind; a modifier the question does not use ("Bayraktar drones") answers."""
    from rag.verify import off_focus

    assert text.kind_asked("What type of drones did Azerbaijan use?") == "drone"
    assert text.kind_asked("What drones did Azerbaijan use?") == ""
    question = "What type of drones did Russia say Azerbaijan used in Nagorno-Karabakh?"
    evidence = ["It also said Azerbaijan had carried out four-drone strikes in Nagorno-Karabakh."]
    counted_only = "Russia said Azerbaijan used four-drone strikes in Nagorno-Karabakh."
    assert "without saying which" in off_focus(question, counted_only, evidence)
    named = "Russia said Azerbaijan used Bayraktar drones in its strikes."
    assert off_focus(question, named, evidence) == ""
    # A count still narrows an N asked about as such: "what strikes" is not "what kind".
    assert off_focus("What strikes did Russia report?", counted_only, evidence) == ""


def test_a_day_or_a_month_is_no_name():
    """A "which team" answer must name one beyond the question's names: "on Wednesday
    (October 4)" names a time, not a team."""
    shield = "Which team beat FC Cincinnati on the night their Supporters' Shield was confirmed?"
    assert not gives(
        "FC Cincinnati won the Supporters' Shield, confirmed on Wednesday (October 4, 2023).",
        "name",
        shield,
    )
    assert gives("Orlando City beat FC Cincinnati on Wednesday.", "name", shield)
    assert gives("April Ryan asked the question.", "name", "Who asked the question?")
    # Only the month or day itself, and not as a verb's subject or object.
    event = "Which shopping event saw the biggest jump in online sales?"
    assert gives("Online spending hit a record on Black Friday.", "name", event)
    retailer = "Which discount retailer announced it would close all its stores?"
    assert gives(
        "Tuesday Morning, which filed in February, is closing its stores.", "name", retailer
    )
    assert not gives("Orlando lost on Sunday.", "name", "Which team beat Orlando?")


@pytest.mark.parametrize(
    ("sentence", "points"),
    [
        ("He made a friendship bracelet with his number on it.", True),
        ("This was done after the drone strikes.", True),
        # A demonstrative determiner makes the subject point back as much as a pronoun does.
        ("This achievement is particularly noteworthy because it is his fifth.", True),
        ("That claim was rejected by Baku.", True),
        ("Those figures were revised on Monday.", True),
        # A pronoun or demonstrative elsewhere than the subject does not.
        ("The banker's patience snapped and his withdrawal left the pathway clear.", False),
        ("The ministry said this was false.", False),
        ("Moscow deployed almost 2,000 peacekeepers to the region.", False),
    ],
)
def test_a_subject_that_points_back_stands_for_something_named_before(sentence, points):
    assert text.subject_points_back(sentence) is points


@pytest.mark.parametrize(
    ("word", "value"),
    [("first", 1), ("Tenth", 10), ("21st", 21), ("twenty-first", 21), ("ninetieth", 90)],
)
def test_an_ordinal_names_a_position(word, value):
    assert text.ordinal_value(word) == value


@pytest.mark.parametrize("word", ["final", "second-hand", "once", "twenty", "1990s"])
def test_other_words_name_no_position(word):
    assert text.ordinal_value(word) is None


def test_which_one_of_a_series_a_sentence_speaks_of():
    assert text.ordinals("The tenth and final season premiered in February.") == {("season", 10)}
    assert ("season", 10) in text.ordinals("The show returns with the Season 10 premiere.")
    assert text.ordinals("He scored in the first half and the second half.") == {
        ("half", 1),
        ("half", 2),
    }
    # A day of a month is not one of a series; a count before its noun is a count.
    assert text.ordinals("It premiered on February 26 with 12 episodes.") == set()


@pytest.mark.parametrize(
    ("claim", "source", "conflicts"),
    [
        # Another season's date is not the first season's.
        (
            "The first season of The Blacklist premiered on February 26.",
            "The tenth and final season of The Blacklist was ordered on February 22, 2022 and"
            " premiered on February 26.",
            True,
        ),
        (
            "The first season of The Blacklist premiered on February 26.",
            "The Blacklist returns to NBC with the Season 10 premiere on Sunday, February 26.",
            True,
        ),
        ("Nadal was year-end No. 1 for the first time.", "He was No. 1 for a fifth time.", True),
        # The source names the claim's one too, or none at all: no conflict.
        (
            "He scored in the second half.",
            "He scored in the first half and the second half.",
            False,
        ),
        ("The first season premiered in 2013.", "The series premiered in 2013.", False),
        ("It premiered on February 26.", "The tenth season premiered on February 26.", False),
    ],
)
def test_a_source_about_another_one_of_a_series_conflicts(claim, source, conflicts):
    assert bool(text.ordinal_conflict(claim, source)) is conflicts
