"""The (correct, corrupted) pair generator and the judge's structure check on it."""

from __future__ import annotations

import pytest

from eval import judge as fa
from eval import pairs as pa
from tests.conftest import SAMPLE
from tests.fakes import FakeEmbedder

TEXT = """Ceasefire talks stall in the Caucasus

Azerbaijan's Defense Ministry refuted Moscow's version of events on Saturday. Moscow deployed \
almost 2,000 peacekeepers to the region after the cease-fire. During the conflict, Azerbaijan \
liberated around 300 settlements and villages. Russia's Defense Ministry said that Armenian \
forces had entered the zone. The command of the Turkish-Russian Joint Center was told about \
the incident, it added.
"""


@pytest.fixture(scope="module")
def made() -> list[pa.Pair]:
    return pa.make_pairs({"caucasus": TEXT})


def _corrupted(made: list[pa.Pair], kind: str) -> set[str]:
    return {p.corrupted for p in made if p.kind == kind}


def test_every_kind_is_made_from_the_parse(made: list[pa.Pair]) -> None:
    assert {p.kind for p in made} == set(pa.KINDS)
    assert (
        "Moscow's Defense Ministry refuted Azerbaijan's version of events on Saturday."
        in _corrupted(made, "swap_actors")
    )
    assert (
        "Moscow deployed around 300 peacekeepers to the region after the cease-fire."
        in _corrupted(made, "move_number")
    )
    negated = _corrupted(made, "negate")
    refuted = "Azerbaijan's Defense Ministry did not refute Moscow's version of events on Saturday."
    assert refuted in negated
    assert any("was not told about the incident" in c for c in negated)
    assert (
        "Azerbaijan's Defense Ministry said that Armenian forces had entered the zone."
        in _corrupted(made, "change_speaker")
    )


def test_pairs_are_sentences_of_their_passage_and_deterministic(made: list[pa.Pair]) -> None:
    assert made == pa.make_pairs({"caucasus": TEXT})
    for p in made:
        assert p.correct in p.source and p.corrupted != p.correct
        assert p.doc == "caucasus" and p.edit
        assert "Ceasefire talks stall" not in p.source  # the title is not a claim


def test_a_kind_that_does_not_apply_is_skipped() -> None:
    made = pa.make_pairs({"calm": "Nothing much\n\nThe weather stayed calm and quiet all week."})
    assert {p.kind for p in made} == {"negate"}
    assert made[0].corrupted == "The weather did not stay calm and quiet all week."


@pytest.fixture(scope="module")
def judge() -> fa.Judge:
    return fa.Judge(FakeEmbedder())


SOURCE = (
    "However, Azerbaijan's Defense Ministry refuted Moscow's version of events. "
    "Moscow deployed almost 2,000 peacekeepers to the region after the cease-fire. "
    "During the 44-day conflict, Azerbaijan liberated around 300 settlements. "
    "The command of the Joint Center was told about the incident, Azerbaijan's ministry said."
)


@pytest.mark.parametrize(
    ("claim", "why"),
    [
        ("Moscow's Defense Ministry refuted Azerbaijan's version of events.", "agent of 'refute'"),
        ("Moscow deployed around 300 peacekeepers to the region.", "counts settlement"),
        ("During the 300-day conflict, Azerbaijan liberated around 44 settlements.", "counts"),
        ("Moscow did not deploy almost 2,000 peacekeepers to the region.", "negates 'deploy'"),
        (
            "The command of the Joint Center was not told about the incident.",
            "negates 'tell'",
        ),
        (
            "The command of the Joint Center was told about the incident, Moscow's ministry said.",
            "agent of 'say'",
        ),
    ],
)
def test_judge_rejects_corrupted_claims(judge: fa.Judge, claim: str, why: str) -> None:
    verdict = judge.check([SOURCE], claim).claims[0]
    assert verdict.verdict == "conflicting", verdict
    assert any(why in r for r in verdict.reasons), verdict.reasons
    assert verdict.features.get("structure_conflict") == 1.0


@pytest.mark.parametrize(
    "claim",
    [
        "Azerbaijan's Defense Ministry refuted Moscow's version of events.",
        "Moscow deployed almost 2,000 peacekeepers to the region after the cease-fire.",
        "During the 44-day conflict, Azerbaijan liberated around 300 settlements.",
        "The command of the Joint Center was told about the incident, Azerbaijan's ministry said.",
    ],
)
def test_judge_accepts_the_originals(judge: fa.Judge, claim: str) -> None:
    verdicts = judge.check([SOURCE], claim)
    assert [c.verdict for c in verdicts.claims] == ["supported"]
    assert verdicts.faithful


def test_structure_check_can_be_switched_off() -> None:
    judge = fa.Judge(FakeEmbedder(), config=fa.JudgeConfig(structure=False))
    claim = "Moscow's Defense Ministry refuted Azerbaijan's version of events."
    assert judge.check([SOURCE], claim).claims[0].verdict == "supported"  # words alone agree
    old = fa.JudgeConfig.from_json('{"threshold": 0.5}')  # a config saved before the switch
    assert old.structure is True


def test_structure_conflict_reads_plain_sentences() -> None:
    assert fa.structure_conflict("Moscow deployed 2,000 peacekeepers.", [SOURCE]) == ""
    assert "negates" in fa.structure_conflict("Moscow did not deploy peacekeepers.", [SOURCE])


def test_run_selftest_returns_the_documented_keys(made: list[pa.Pair], judge: fa.Judge) -> None:
    result = pa.run_selftest(made, judge, FakeEmbedder())
    assert result["n_pairs"] == len(made)
    assert set(result["counts"]) == set(pa.KINDS)
    for checker in ("judge", "verifier"):
        r = result[checker]
        assert set(r) == {
            "accuracy",
            "by_kind",
            "right",
            "correct_rejected",
            "corrupted_accepted",
            "wrong",
        }
        assert 0.0 <= r["accuracy"] <= 1.0 and set(r["by_kind"]) == set(pa.KINDS)
        assert r["right"] + len(r["wrong"]) == len(made)
        for w in r["wrong"]:
            assert {"kind", "correct", "corrupted", "correct_supported"} <= set(w)
    assert result["judge"]["accuracy"] >= 0.95


@pytest.mark.slow
def test_judge_passes_the_sample_selftest_with_the_real_embedder(real_embedder) -> None:
    texts = pa.load_texts(SAMPLE)
    made = pa.make_pairs({k: v for k, v in texts.items() if k.startswith("nagorno")})
    assert {p.kind for p in made} == set(pa.KINDS)
    result = pa.run_selftest(made, fa.Judge(real_embedder), real_embedder)
    assert result["judge"]["accuracy"] >= 0.95, result["judge"]["wrong"]
    assert result["judge"]["correct_rejected"] == 0
