"""prompts: the placeholders each prompt has are the ones the code fills."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import prompts


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("question", {"sources", "question", "instruction"}),
        ("answer", {"yes_no"}),
        ("pick", set()),
        ("source", {"title", "about", "text"}),
        ("condense", {"history", "question"}),
        ("system", set()),
        ("refusal", set()),
        ("refusal_marker", set()),
        ("yes_no", set()),
    ],
)
def test_prompt_placeholders_match_the_code(name: str, expected: set[str]):
    assert prompts.placeholders(name) == expected
    # every placeholder the code fills must be used where the code renders it
    code = "".join(p.read_text() for p in Path("rag").glob("*.py"))
    for field in expected:
        assert re.search(rf"\b{field}=", code), f"{field} of {name} is never filled"


def test_render_refuses_missing_values():
    with pytest.raises(KeyError):
        prompts.render("question", question="q")


def test_system_prompt_mentions_refusal_marker():
    assert prompts.load("refusal_marker") in prompts.load("system")
