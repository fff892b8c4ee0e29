"""The baseline: LlamaIndex's CitationQueryEngine over our store, with our model.

Why: a number alone says little; the suites and the benchmark report ours beside what a
LlamaIndex user gets out of the box on the same articles, the same chunks in the same Chroma
collection, the same embedder and the same LLM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from rag.engine import NewsRAG


def citation_engine(rag: NewsRAG, llm: LLM) -> Any:
    """A ``CitationQueryEngine`` reading ``rag``'s Chroma collection with ``rag``'s embedding
    model (loaded again through LlamaIndex's HuggingFace wrapper) and ``llm``."""
    from llama_index.core import VectorStoreIndex
    from llama_index.core.query_engine import CitationQueryEngine
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from rag.models import resolve

    settings = rag.settings
    embed = HuggingFaceEmbedding(
        model_name=str(resolve(settings.embed_model, settings)), device="cpu"
    )
    index = VectorStoreIndex.from_vector_store(rag.library.vector_store(), embed_model=embed)
    return CitationQueryEngine.from_args(index, llm=llm, similarity_top_k=settings.top_k)


def reset(llm: Any) -> None:
    """Start the next question from an empty llama.cpp cache, so neither side profits from
    the other's prompt (a no-op for other backends)."""
    llama = getattr(llm, "llama", None)
    if llama is not None:
        llama.reset()
