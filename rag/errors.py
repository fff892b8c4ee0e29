"""One small hierarchy of errors; every message says what to do about it."""

from __future__ import annotations


class NewsragError(Exception):
    """Base error: ``str(err)`` is one line a user can act on."""

    def __init__(self, message: str, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        # "empty file. Nothing to ingest.": a message without its own stop gets one.
        joint = ". " if hint and message and message[-1] not in ".!?:" else " "
        super().__init__(f"{message}{joint}{hint}".strip())


class ConfigError(NewsragError):
    """A setting has a value we cannot use."""


class InputError(ConfigError):
    """A question, filter or option the user gave is out of bounds (refused before any work)."""


class QuestionTooLong(InputError):
    """A question over ``Settings.max_question_chars``: refused before any work is done."""

    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        super().__init__(
            f"The question is {length:,} characters long; the limit is {limit:,}.",
            "Shorten the question (or raise NEWSRAG_MAX_QUESTION_CHARS).",
        )


class RequestTimeout(NewsragError):
    """An answer ran past ``Settings.request_timeout_s`` and was stopped."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        super().__init__(
            f"The answer took longer than {limit_s:g} s and was stopped, so others can ask.",
            "Ask a narrower question, or raise NEWSRAG_REQUEST_TIMEOUT_S.",
        )


class DataMissingError(ConfigError):
    """A benchmark or evaluation input file is not where the default points."""


class ModelError(NewsragError):
    """A model is missing, unknown, or failed its integrity check."""


class ModelMissingError(ModelError):
    """The model file is not in the model cache."""


class ModelIntegrityError(ModelError):
    """A fetched model has the wrong size or checksum."""


class StoreError(NewsragError):
    """The vector store or docstore cannot be used."""


class StoreUnavailableError(StoreError):
    """The Chroma server cannot be reached."""


class StoreEmptyError(StoreError):
    """Nothing has been ingested yet."""


class IngestError(NewsragError):
    """One input could not be ingested (reported per file, never fatal to the run)."""


class LLMError(NewsragError):
    """The language model backend failed or cannot be reached."""
