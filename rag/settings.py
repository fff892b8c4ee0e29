"""One typed settings object: defaults, then ``newsrag.toml``, then ``NEWSRAG_*`` variables."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _default_model_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "newsrag" / "models"


class Settings(BaseSettings):
    """Everything configurable. Built once at the edge and passed into constructors."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSRAG_", toml_file="newsrag.toml", extra="ignore", validate_default=True
    )

    # Where things live
    data_dir: Path = Field(Path(".newsrag"), description="Store, docstore and uploads.")
    model_dir: Path = Field(default_factory=_default_model_dir, description="Model cache.")

    # Vector store
    chroma_mode: Literal["persistent", "http"] = "persistent"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8000
    collection: str = "newsrag"

    # Ingestion
    embed_model: str = "all-minilm-l6-v2"
    embed_batch_size: int = 64
    chunk_size: int = Field(256, ge=16, le=8192)
    chunk_overlap: int = Field(32, ge=0)
    max_file_mb: float = 20.0

    # Query side
    llm_backend: Literal["llama_cpp", "ollama", "openai_like"] = "llama_cpp"
    llm_model: str = "qwen2.5-coder-1.5b-instruct"
    llm_path: Path | None = None
    llm_threads: int = Field(default_factory=lambda: os.cpu_count() or 2)
    llm_context: int = 4096
    llm_max_tokens: int = 256
    llm_temperature: float = 0.0
    llm_seed: int = 0
    ollama_base_url: str = "http://127.0.0.1:11434"
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_api_key: str = "not-needed"
    top_k: int = Field(5, ge=1, le=50)
    min_relevance: float = 0.3
    refusal_threshold: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="A local model's refusal stands only when it gives the refusal marker at"
        " least this probability; below it, the model answers and the verifier decides.",
    )
    pick_threshold: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="When the written answer fails verification, the sentence the model picks"
        " as the answer is quoted instead if its share of the pick is at least this.",
    )
    reference_date: date | None = None
    chat_memory_tokens: int = 1500

    # UI
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str | None = None
    max_upload_mb: float = 20.0

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = os.environ.get("NEWSRAG_CONFIG", "newsrag.toml")
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_path),
        )

    # Derived paths -------------------------------------------------------
    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def docstore_path(self) -> Path:
        return self.data_dir / "docstore.sqlite3"

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"
