"""Bounds on what a user may ask for, checked the same way by the CLI, the API and the UI."""

from __future__ import annotations

from rag.errors import InputError, QuestionTooLong
from rag.settings import TOP_K_MAX, TOP_K_MIN, Settings


def check_question(question: str, settings: Settings) -> str:
    """``question`` unchanged, or QuestionTooLong when it has over ``max_question_chars``."""
    limit = settings.max_question_chars
    if len(question) > limit:
        raise QuestionTooLong(len(question), limit)
    return question


def check_top_k(value: int | float | None) -> int | None:
    """Passages to retrieve: None (the default) or a whole number in TOP_K_MIN..TOP_K_MAX."""
    if value is None:
        return None
    k = int(value)
    if k != value or not TOP_K_MIN <= k <= TOP_K_MAX:
        raise InputError(
            f"top-k must be a whole number from {TOP_K_MIN} to {TOP_K_MAX}, got {value}.",
            f"Pick {TOP_K_MIN}-{TOP_K_MAX} passages (default: NEWSRAG_TOP_K).",
        )
    return k
