"""Embedder factory: sentence-transformers, batched and normalised."""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np

from rag.errors import ConfigError
from rag.models import REGISTRY, resolve
from rag.settings import Settings


class Embedder(Protocol):
    """What ingestion, retrieval and verification need from an embedding model."""

    name: str
    dim: int

    def embed(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        ...


class SentenceTransformerEmbedder:
    """A local sentence-transformers model; never reaches the hub at run time."""

    def __init__(self, path: str, batch_size: int = 64, name: str | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()

        self.model = SentenceTransformer(path, device="cpu")
        self.name = name or path
        self.dim = int(self.model.get_embedding_dimension() or 0)
        self.batch_size = batch_size

    def embed(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=batch_size or self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def embed_cached(embedder: Embedder, texts: list[str], cache: dict[str, np.ndarray]) -> None:
    """Put the vectors of ``texts`` into ``cache``, embedding in one batch only those it lacks
    (a question's sentences are read by several checks)."""
    todo = [t for t in dict.fromkeys(texts) if t not in cache]
    if todo:
        for t, v in zip(todo, embedder.embed(todo), strict=True):
            cache[t] = v


def build_embedder(settings: Settings) -> Embedder:
    """The embedder named by ``settings.embed_model``: a registry name, a local path or hub id."""
    name = settings.embed_model
    if name.lower() in REGISTRY:
        if REGISTRY[name.lower()].kind != "sentence-transformers":
            valid = [n for n, s in REGISTRY.items() if s.kind == "sentence-transformers"]
            raise ConfigError(
                f"'{name}' is not an embedding model.", f"Set embed_model to one of {valid}."
            )
        path = str(resolve(name, settings))
    else:
        path = name  # a local directory or a hub id (works where the hub is reachable)
    return SentenceTransformerEmbedder(path, settings.embed_batch_size, name=name)
