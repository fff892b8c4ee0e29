"""One typed settings object: defaults, then ``newsrag.toml``, then ``NEWSRAG_*`` variables."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

# One rule for how many passages a question may retrieve: the settings, the CLI's --top-k,
# the UI slider and the UI's API all use these bounds.
TOP_K_MIN = 1
TOP_K_MAX = 50


def _default_model_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "newsrag" / "models"


class Settings(BaseSettings):
    """Everything configurable. Built once at the edge and passed into constructors."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSRAG_",
        toml_file="newsrag.toml",
        extra="ignore",
        validate_default=True,
        # An optional setting is unset from the environment by the word "none"
        # (NEWSRAG_YES_ENTAILMENT_THRESHOLD=none turns the model's reading of "Yes" off).
        env_parse_none_str="none",
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
    embed_backend: Literal["local", "http", "custom"] = Field(
        "local",
        description="Where texts are embedded: 'local' runs embed_model (sentence-transformers)"
        " in this process; 'http' posts them to an OpenAI-compatible /v1/embeddings server"
        " (llama.cpp server, vLLM, TEI, Ollama) at embed_url, so ingestion can use a GPU box"
        " or a pool of workers. Store and queries must use the same model either way.",
    )
    embed_url: str = Field(
        "http://127.0.0.1:8081/v1",
        description="With embed_backend='http': the server's OpenAI base URL (ending in /v1);"
        " requests go to <embed_url>/embeddings with embed_model as the model name.",
    )
    embed_api_key: SecretStr | None = Field(
        None, description="Bearer token for the embedding server, if it wants one."
    )
    embed_timeout_s: float = Field(
        60.0,
        gt=0,
        description="Longest wait for one batch from the embedding server before giving up"
        " with an error (a batch of embed_batch_size texts on a busy CPU server can take tens"
        " of seconds).",
    )
    embed_retries: int = Field(
        2,
        ge=0,
        description="Retries of one batch when the embedding server cannot be reached or says"
        " it is busy (429, 502-504), with doubling waits; other errors are not retried.",
    )
    embed_concurrency: int = Field(
        1,
        ge=1,
        description="Batches sent to the embedding server at once; raise it for a server that"
        " batches across requests or a load balancer in front of several workers.",
    )
    chunk_size: int = Field(256, ge=16, le=8192)
    chunk_overlap: int = Field(32, ge=0)
    max_file_mb: float = Field(
        20.0, gt=0, description="Largest file (or JSON Lines record) ingested, in MB."
    )
    ingest_clean_window: int = Field(
        64,
        ge=1,
        description="Ingest cleans articles this many at a time, their planted-instruction"
        " checks parsed in one batch (one parser call per article cost more than the parsing:"
        " 1.0 s against 0.6 s on MultiHop's 326 articles); memory holds this many read ahead.",
    )
    ingest_group_chunks: int = Field(
        1024,
        ge=1,
        description="Ingest embeds and writes articles in groups of about this many chunks:"
        " the embedder sorts a group by length, so a larger group pads less (groups of 256"
        " embed 8% slower than one call on MultiHop), while memory stays bounded by the group"
        " and a crash loses at most one group's work.",
    )

    # Query side
    llm_backend: Literal["llama_cpp", "ollama", "openai_like", "custom"] = "llama_cpp"
    llm_factory: str | None = Field(
        None,
        description="With llm_backend='custom': 'package.module:callable', called with the"
        " settings, returning a LlamaIndex LLM (the tests' fake LLM, or one of your own).",
    )
    embed_factory: str | None = Field(
        None,
        description="With embed_backend='custom': 'package.module:callable', called with the"
        " settings, returning an Embedder (rag.embeddings.Embedder).",
    )
    llm_model: str = "qwen2.5-coder-1.5b-instruct"
    llm_path: Path | None = None
    llm_threads: int = Field(default_factory=lambda: os.cpu_count() or 2)
    llm_context: int = 4096
    llm_max_tokens: int = 256
    llm_temperature: float = 0.0
    llm_seed: int = 0
    llm_recording: Path | None = Field(
        None,
        description="A JSON-lines file of recorded model replies (rag.llm.RecordedLLM): a"
        " request it holds is answered from it, any other goes to the model and is appended."
        " Makes evaluations of the checks around the model take minutes, not hours.",
    )
    llm_recording_only: bool = Field(
        False,
        description="With llm_recording: never load the model; a request the recording"
        " lacks is an error (replayed regression tests).",
    )
    ollama_base_url: str = "http://127.0.0.1:11434"
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_api_key: str = "not-needed"
    top_k: int = Field(5, ge=TOP_K_MIN, le=TOP_K_MAX)
    max_question_chars: int = Field(
        2000,
        ge=1,
        description="Longest question (in characters) the CLI, API and UI accept; a longer"
        " one is refused with a message, before any retrieval or generation.",
    )
    min_relevance: float = 0.3
    unsupported_sentences: Literal["drop", "flag"] = Field(
        "drop",
        description="What happens to an answer sentence no source supports, when another"
        " sentence of the answer is supported: 'drop' leaves it out and says so in the"
        " answer's notes (every claim shown carries a citation; a bare 'Yes' left out"
        " refuses the answer); 'flag' keeps it, marked unsupported (underlined in the chat).",
    )
    refusal_threshold: float = Field(
        0.9,
        ge=0.0,
        le=1.0,
        description="A local model's refusal stands without an answer only when it gives the"
        " refusal marker at least this probability; below it, the model answers and the"
        " verifier decides.",
    )
    decline_threshold: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="At or above this refusal probability the model leaned to declining: a"
        " yes/no question's refusal stands (its polarity is one forced word), and a wh-answer"
        " gets no sentence of the model's pick quoted in place of it.",
    )
    pick_threshold: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="When the written answer fails verification, the sentence the model picks"
        " as the answer is quoted instead if its share of the pick is at least this.",
    )
    hint_threshold: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        description="When the written answer fails verification, the model answers again"
        " from the evidence sentence it picks, if that sentence's share of the pick is at"
        " least this (and above the share of 'none of them').",
    )
    yes_entailment_threshold: float | None = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="A 'Yes' that the words' check cannot confirm stands when the model, shown"
        " each clause the question claims beside the sentences likeliest to state it, puts at"
        " least this share of Yes against No on every clause (0.5: it leans to Yes); so is a"
        " report found when a question orders two. 'none': only the words' check.",
    )
    paraphrase_entailment_threshold: float | None = Field(
        0.75,
        ge=0.0,
        le=1.0,
        description="An answer sentence that the words' check fails only on its wording (its"
        " names and numbers are in a close source sentence, its sides not swapped) stands when"
        " the model, shown that sentence, puts at least this share of Yes against No on the"
        " sources stating it (0.75: false sentences reached 0.55 on the development sets, and"
        " at 0.6 one more wrong answer passed on the held-out set). 'none': only the words'"
        " check.",
    )
    yes_entailment_sentences: int = Field(
        2,
        ge=1,
        description="Source sentences shown to the model with each clause of a 'Yes' (or each"
        " report of an order) the words' check fell short on.",
    )
    name_choice_candidates: int = Field(
        2,
        ge=0,
        description="When the written answer to a question asking for a name ('Which company"
        " ...?', 'Who ...?') fails verification, this many of the names the sources give are"
        " read by the model as the question's claim (each must reach"
        " yes_entailment_threshold); the likeliest is the answer if it leads the next by"
        " alternative_margin. 0: never.",
    )
    alternative_margin: float | None = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description="An either-or question ('... for Armenia or for Azerbaijan?', 'Who let it"
        " out, Taylor or Travis?') is answered by the option the model, shown each option's"
        " claim beside the same source sentences, reads likeliest: its share of Yes must lead"
        " every other option's by at least this much, else the question is declined (0.2: on"
        " the development sets the wrong option led by up to 0.15). So must the name chosen"
        " among those a question's reports share (name_choice_candidates). 'none': such"
        " questions are answered as any other, and the likeliest name is chosen.",
    )
    context_budget: int = Field(
        420,
        ge=50,
        description="Tokens of evidence sentences sent to the model per question (the most"
        " question-relevant sentences of the retrieved chunks; their headers come on top)."
        " The prompt is read at ~100 tokens/s on 2 cores, so this sets the wait before the"
        " first word.",
    )
    max_sentences_per_passage: int = Field(
        4, ge=1, description="Most evidence sentences taken from one retrieved chunk."
    )
    evidence_margin: float | None = Field(
        None,
        ge=0,
        description="Evidence sentences scoring more than this below the best one are not"
        " sent (a retrieved chunk's best sentence may be twice as far): the prompt is the"
        " wait before the first word. Unset sends the budget's worth of the best-scoring ones.",
    )
    sentence_memory: int = Field(
        20_000,
        ge=0,
        description="Source sentences whose vectors are kept across questions (about 1.5 kB"
        " each): follow-ups and questions about the same articles skip embedding them again.",
    )
    reference_date: date | None = None
    chat_memory_tokens: int = 1500

    # UI
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str | None = None
    max_upload_mb: float = 20.0
    ui_concurrency: int = Field(
        1, ge=1, description="Chat answers the UI works on at once; the rest wait in its queue."
    )
    ui_queue_size: int = Field(
        32, ge=1, description="Chat requests that may wait in the UI queue; more are turned away."
    )
    request_timeout_s: float = Field(
        120.0,
        gt=0,
        description="A chat answer in the UI is stopped (with a message) after this many"
        " seconds, so one request cannot hold the model for everyone else.",
    )
    login_max_failures: int = Field(
        5, ge=1, description="Failed logins (per user name and per address) before a lockout."
    )
    login_lockout_s: float = Field(
        30.0,
        ge=0,
        description="First lockout after too many failed logins; doubles with each further one.",
    )
    # Ingestion warnings
    future_date_days: int = Field(
        2,
        ge=0,
        description="A published date more than this many days after today is kept but warned"
        " about in the ingest report.",
    )
    # llama.cpp speed (issue 12; each measured in the README's "Latency")
    llm_threads_batch: int | None = Field(
        None,
        ge=1,
        description="Threads llama.cpp reads the prompt with (n_threads_batch); unset: the"
        " same as llm_threads, which it writes the answer with.",
    )
    llm_batch: int = Field(512, ge=8, description="Prompt tokens per llama.cpp decode (n_batch).")
    llm_ubatch: int = Field(
        512, ge=8, description="Tokens per compute step inside a decode (n_ubatch, <= n_batch)."
    )
    llm_flash_attn: bool = Field(False, description="llama.cpp's flash attention kernels.")
    llm_mmap: bool = Field(True, description="Map the GGUF file instead of reading it in.")
    llm_lookup_tokens: int = Field(
        0,
        ge=0,
        le=32,
        description="Prompt-lookup decoding: draft up to this many tokens per step by copying"
        " what followed the same words in the prompt, checked in one batch (0: off).",
    )
    llm_lookup_ngram: int = Field(
        2, ge=1, le=8, description="Words matched in the prompt to find a prompt-lookup draft."
    )
    llm_prefix_states: int = Field(
        4,
        ge=0,
        description="KV-cache states of earlier prompts kept in memory (~28 KB a token for"
        " the 1.5B model), so a prompt that starts like one of them is not read again (0: off).",
    )
    # Scale (issue 14): the lexical index and ingest batching
    dense_filter_max_ids: int = Field(
        200_000,
        ge=0,
        description="A filtered dense search that neither compares its chunks one by one"
        " (dense_exact_max_ids) nor searches unfiltered (dense_postfilter_max_results) names the"
        " chunks its filter allows to Chroma (found in the lexical index's facets) when there"
        " are at most this many, else it sends the filter as Chroma's where clause (four times"
        " slower at 100k chunks, and growing with the store). 0: always the where clause then.",
    )
    dense_exact_max_ids: int = Field(
        1_000,
        ge=0,
        description="A filtered dense search compares with the question, read from Chroma, the"
        " vectors of at most this many allowed chunks the vector mirror may lack (those written"
        " before it existed, until the next ingest fills it), rather than asking Chroma to"
        " search among them (slow for few chunks in a big store). 0 never does.",
    )
    dense_mirror_max_rows: int = Field(
        300_000,
        ge=0,
        description="A filtered dense search that allows at most this many chunks compares"
        " each of their vectors with the question, read from the store's vector mirror"
        " (vectors.f16 in the data dir: a float16 copy of every chunk's vector), rather than"
        " asking Chroma to search among them (150-450 ms for one outlet of a million chunks)."
        " 0 never reads the mirror.",
    )
    dense_postfilter_max_results: int = Field(
        2_000,
        ge=0,
        description="A filtered dense search that allows a large share of the store (a busy"
        " outlet, a long date range) searches unfiltered for k * margin / share chunks and keeps"
        " the allowed ones, when that is at most this many; else, or when too few of them are"
        " allowed, it compares the allowed chunks one by one (dense_exact_max_ids) or names them"
        " to Chroma (dense_filter_max_ids). 0 never searches unfiltered.",
    )
    dense_postfilter_margin: float = Field(
        2.0,
        ge=1.0,
        description="How many times more chunks than a filtered dense search needs the"
        " unfiltered search asks for, over the filter's share of the store (see"
        " dense_postfilter_max_results); too few allowed among them, and the other plans"
        " search the allowed chunks instead.",
    )
    lexical_merge_factor: int = Field(
        10,
        ge=2,
        description="The lexical index merges this many segments of about the same size into"
        " one (a write adds a segment): a store holds about this many times log(chunks) of"
        " them, and each search reads every one. Higher writes less, searches more.",
    )
    lexical_max_merge_chunks: int = Field(
        250_000,
        ge=1,
        description="The lexical index never merges segments into one of more chunks than"
        " this, so no write pays for rewriting most of a large store's index.",
    )
    lexical_max_postings: int = Field(
        100_000,
        ge=1,
        description="A question's lexical search scores at most about this many chunks: its"
        " most common terms are left out beyond it (the rarest is always kept). Higher ranks"
        " large stores more exactly, and more slowly.",
    )

    @field_validator("data_dir")
    @classmethod
    def _data_dir_is_a_folder(cls, value: Path) -> Path:
        if value.exists() and not value.is_dir():
            raise ValueError(f"{value} is a file, not a folder")
        return value

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


def describe_validation_error(exc: ValidationError) -> str:
    """A pydantic error about settings as one line naming the variable and what is wrong."""
    parts = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err.get("loc", ())) or "settings"
        got = err.get("input")
        shown = f"={got}" if isinstance(got, (str, int, float)) and len(str(got)) < 80 else ""
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"NEWSRAG_{name.upper()}{shown}: {msg}")
    return "; ".join(parts)


def load_settings(**overrides: object) -> Settings:
    """``Settings(**overrides)``, with a bad value turned into one ConfigError line."""
    from rag.errors import ConfigError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(
            f"Bad setting: {describe_validation_error(exc)}.",
            "Fix the NEWSRAG_* variable or newsrag.toml (NEWSRAG_CONFIG).",
        ) from None
