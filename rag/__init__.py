"""newsrag: answers from news articles, with citations a reader can check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.engine import Answer, NewsRAG

__all__ = ["Answer", "NewsRAG"]


def __getattr__(name: str) -> Any:  # lazy: importing `rag` stays cheap
    if name in __all__:
        from rag import engine

        return getattr(engine, name)
    raise AttributeError(name)
