"""One small hierarchy of errors; every message says what to do about it."""

from __future__ import annotations


class NewsragError(Exception):
    """Base error: ``str(err)`` is one line a user can act on."""

    def __init__(self, message: str, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} {hint}".strip())


class ConfigError(NewsragError):
    """A setting has a value we cannot use."""


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
