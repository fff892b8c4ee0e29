"""Stage 4, embed: the text a chunk is embedded as, and batched embedding."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rag.documents import Article, Chunk
from rag.embeddings import Embedder


def embedding_text(article: Article, chunk: Chunk) -> str:
    """The title goes in front so a chunk is found by what its article is about."""
    return f"{article.title}\n{chunk.text}" if article.title else chunk.text


def embed_chunks(
    embedder: Embedder, pairs: Sequence[tuple[Article, Chunk]], batch_size: int | None = None
) -> np.ndarray:
    return embedder.embed([embedding_text(a, c) for a, c in pairs], batch_size=batch_size)
