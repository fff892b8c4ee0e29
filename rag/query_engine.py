"""LlamaIndex's shapes over ``NewsRAG``: a query engine and a chat engine.

Why: people who call newsrag from Python mostly use LlamaIndex already. These let them put the
verified answers wherever LlamaIndex takes a query engine (a ``QueryEngineTool`` in an agent, a
router) or a chat engine, without losing what ``NewsRAG`` adds: the answer text is the verified
one, and ``source_nodes[n - 1]`` is the passage its marker ``[n]`` cites.

Both engines call ``NewsRAG``'s public methods (``ask``/``stream``/``retrieve``,
``chat``/``chat_stream``/``history``/``reset``), so retrieval, verification, condensing and
memory are exactly those of the Python API, the CLI and the UI.

Streaming: the tokens are the model's draft as it writes (``NewsRAG.stream``'s token events).
The verified text can differ (unsupported and contradicted sentences left out, or flagged
with ``unsupported_sentences="flag"``; markers renumbered; or a refusal), so once the stream
is drained ``str(response)`` is the verified text and ``source_nodes``/``metadata`` are
filled; until then they are empty.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole
from llama_index.core.base.response.schema import (
    AsyncStreamingResponse,
    Response,
    StreamingResponse,
)
from llama_index.core.callbacks.base import CallbackManager
from llama_index.core.chat_engine.types import (
    AgentChatResponse,
    BaseChatEngine,
    StreamingAgentChatResponse,
)
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.tools import ToolOutput
from llama_index.core.vector_stores.types import MetadataFilters

from rag.errors import InputError
from rag.retrieve import Filters, Retrieved

if TYPE_CHECKING:
    from rag.engine import Answer, Citation, NewsRAG

T = TypeVar("T")
_END = object()
# Citation fields a node carries beside the article's, kept out of what an LLM reads.
_CITATION_KEYS = ["citation", "sentence", "sentence_start", "sentence_end"]


# Answers as LlamaIndex objects -------------------------------------------------------
def cited_nodes(answer: Answer) -> list[NodeWithScore]:
    """The answer's citations as LlamaIndex nodes, in citation order (``[n]`` is the n-th):
    each is the retrieved chunk holding the cited sentence (the same node, id and span the
    Chroma collection holds) with the citation's number, sentence and the sentence's span in
    the article (``sentence_start``/``sentence_end``), scored by the citation's support."""
    return [
        NodeWithScore(node=_cited_node(c, answer.retrieved), score=c.score)
        for c in answer.citations
    ]


def _cited_node(citation: Citation, retrieved: list[Retrieved]) -> TextNode:
    start, end = citation.span
    chunk = next(
        (
            r.chunk
            for r in retrieved
            if r.chunk.doc_id == citation.doc_id and r.chunk.start <= start and end <= r.chunk.end
        ),
        None,
    )
    if chunk is not None:
        node = chunk.to_node()
    else:  # not from a retrieved chunk (never so today): the sentence alone, where it is
        node = TextNode(
            id_=f"{citation.doc_id}:{start}-{end}",
            text=citation.sentence,
            start_char_idx=start,
            end_char_idx=end,
            metadata={"doc_id": citation.doc_id},
        )
    article = {"title": citation.title, "source": citation.outlet, "url": citation.url}
    node.metadata |= article | {"published": citation.published, "citation": citation.number}
    node.metadata |= {"sentence": citation.sentence, "sentence_start": start, "sentence_end": end}
    node.excluded_llm_metadata_keys = [*node.excluded_llm_metadata_keys, *_CITATION_KEYS]
    node.excluded_embed_metadata_keys = [*node.excluded_embed_metadata_keys, *_CITATION_KEYS]
    return node


def answer_metadata(answer: Answer) -> dict[str, Any]:
    """What a ``Response``'s ``metadata`` holds: the verified ``Answer`` itself, and for a
    quick look the filters it was answered under, whether it is a refusal, and its notes."""
    return {
        "answer": answer,
        "filters": answer.filters,
        "refused": answer.refused,
        "notes": list(answer.notes),
    }


def answer_response(answer: Answer) -> Response:
    """A verified ``Answer`` as a LlamaIndex ``Response``."""
    return Response(answer.text, cited_nodes(answer), answer_metadata(answer))


def _fill(response: Any, answer: Answer) -> None:
    """Put the verified answer on a streaming response when the stream ends."""
    response.source_nodes = cited_nodes(answer)
    response.metadata = answer_metadata(answer)
    response.response_txt = answer.text


def _drafts(events: Iterator[dict[str, Any]], finish: Callable[[Answer], None]) -> Iterator[str]:
    """The draft tokens of a ``NewsRAG.stream`` event stream; ``finish`` gets the verified
    answer when it ends."""
    for event in events:
        if event["type"] == "token":
            yield event["text"]
        else:
            finish(event["answer"])


@dataclass
class VerifiedStreamingResponse(StreamingResponse):
    """LlamaIndex's ``StreamingResponse``: ``response_gen`` yields the model's draft tokens;
    once it is drained, ``str()``/``get_response()`` give the verified text (LlamaIndex's own
    would give the concatenated draft) and ``source_nodes``/``metadata`` are filled."""

    def _drain(self) -> None:
        if self.response_txt is None and self.response_gen is not None:
            for _ in self.response_gen:
                pass

    def __str__(self) -> str:
        self._drain()
        return self.response_txt or "None"

    def get_response(self) -> Response:
        self._drain()
        return Response(self.response_txt, self.source_nodes, self.metadata)

    def print_response_stream(self) -> None:
        if self.response_txt is None and self.response_gen is not None:
            for text in self.response_gen:
                print(text, end="", flush=True)
            print()
        else:
            print(self.response_txt)


@dataclass
class VerifiedAsyncStreamingResponse(AsyncStreamingResponse):
    """``AsyncStreamingResponse`` (from ``aquery`` with ``streaming=True``) with the same
    rule as ``VerifiedStreamingResponse``: draft tokens, then the verified text."""

    async def _yield_response(self) -> AsyncIterator[str]:
        async with self._lock:
            if self.response_txt is None and self.response_gen is not None:
                async for text in self.response_gen:
                    yield text
            else:
                yield self.response_txt or ""


async def _in_thread(items: Iterator[T]) -> AsyncIterator[T]:
    """Iterate a blocking iterator from async code, each step in a worker thread."""
    while True:
        item = await asyncio.to_thread(next, items, _END)
        if item is _END:
            return
        yield item  # type: ignore[misc]


def _primed(events: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Start an event stream now, so a bad question or an empty store raises at the call
    (as LlamaIndex's streaming engines raise on retrieval), not at the first read."""
    first = next(events)

    def chain() -> Iterator[dict[str, Any]]:
        yield first
        yield from events

    return chain()


def _top_k(similarity_top_k: int | None, top_k: int | None) -> int | None:
    if similarity_top_k is not None and top_k is not None and similarity_top_k != top_k:
        raise InputError(
            f"similarity_top_k={similarity_top_k} and top_k={top_k} disagree.",
            "Give one of them (they are the same option).",
        )
    return similarity_top_k if similarity_top_k is not None else top_k


# The query engine -------------------------------------------------------------------
class NewsRAGQueryEngine(BaseQueryEngine):
    """A LlamaIndex query engine over a ``NewsRAG`` (``NewsRAG.as_query_engine(**options)``).

    ``query(str | QueryBundle)`` returns a ``Response``: the verified answer text, its cited
    passages as ``source_nodes`` and ``metadata["answer"]``, the full ``rag.engine.Answer``.
    With ``streaming=True`` it returns a ``VerifiedStreamingResponse`` (``aquery``: a
    ``VerifiedAsyncStreamingResponse``). ``retrieve`` gives the passages a question retrieves.

    Options: ``filters`` (``rag.retrieve.Filters`` or LlamaIndex ``MetadataFilters``),
    ``similarity_top_k`` (or ``top_k``), ``streaming``, ``reference_date`` (for date phrases
    in questions; default: the settings' or today)."""

    def __init__(
        self,
        rag: NewsRAG,
        filters: Filters | MetadataFilters | None = None,
        similarity_top_k: int | None = None,
        top_k: int | None = None,
        streaming: bool = False,
        reference_date: date | None = None,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        super().__init__(callback_manager)
        self.rag = rag
        self.filters = Filters.of(filters)
        self.top_k = _top_k(similarity_top_k, top_k)
        self.streaming = streaming
        self.reference_date = reference_date

    def _get_prompt_modules(self) -> dict[str, Any]:
        return {}  # the prompts are newsrag's (prompts/), not LlamaIndex templates

    def _events(self, question: str) -> Iterator[dict[str, Any]]:
        return _primed(self.rag.stream(question, self.filters, self.top_k, self.reference_date))

    def _query(self, query_bundle: QueryBundle) -> Response | VerifiedStreamingResponse:
        question = query_bundle.query_str
        if not self.streaming:
            return answer_response(
                self.rag.ask(question, self.filters, self.top_k, self.reference_date)
            )
        events = self._events(question)
        response = VerifiedStreamingResponse(_drafts(events, lambda a: _fill(response, a)))
        return response

    async def _aquery(self, query_bundle: QueryBundle) -> Response | VerifiedAsyncStreamingResponse:
        if not self.streaming:
            return await asyncio.to_thread(self._query, query_bundle)
        events = await asyncio.to_thread(self._events, query_bundle.query_str)
        drafts = _drafts(events, lambda a: _fill(response, a))
        response = VerifiedAsyncStreamingResponse(_in_thread(drafts))
        return response

    def retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        """The chunks ``query`` would read for this question (with the engine's filters and
        top-k, and a date or outlet the question names), as the store's nodes."""
        hits, _, _ = self.rag.retrieve(
            query_bundle.query_str, self.filters, self.top_k, self.reference_date
        )
        return [NodeWithScore(node=r.chunk.to_node(), score=r.score) for r in hits]


# The chat engine --------------------------------------------------------------------
@dataclass
class VerifiedChatStream(StreamingAgentChatResponse):
    """LlamaIndex's streaming chat response: ``response_gen`` (or ``async_response_gen``)
    yields the model's draft tokens; when it ends, ``response`` is the verified text and
    ``source_nodes``, ``sources`` and ``answer`` are filled. Memory is NewsRAG's session,
    written by ``NewsRAG.chat_stream`` itself."""

    answer: Any = None  # rag.engine.Answer, once the stream has ended

    def finish(self, answer: Answer, message: str) -> None:
        self.answer = answer
        self.response = self.unformatted_response = answer.text
        self.source_nodes = cited_nodes(answer)
        self.sources = [_tool_output(answer, message)]
        self.is_done = True

    @property
    def response_gen(self) -> Iterator[str]:
        if self.chat_stream is not None:
            for part in self.chat_stream:
                if part.delta:
                    yield part.delta

    async def async_response_gen(self) -> AsyncIterator[str]:
        if self.achat_stream is not None:
            async for part in self.achat_stream:
                if part.delta:
                    yield part.delta

    def __str__(self) -> str:
        return self.response


def _tool_output(answer: Answer, message: str) -> ToolOutput:
    return ToolOutput(
        tool_name="newsrag",
        content=answer.text,
        raw_input={"message": message},
        raw_output=answer_response(answer),
    )


class NewsRAGChatEngine(BaseChatEngine):
    """A LlamaIndex chat engine over a ``NewsRAG`` (``NewsRAG.as_chat_engine(**options)``):
    follow-ups are condensed against the conversation and remembered exactly as
    ``NewsRAG.chat`` does, in the session ``session_id`` (a new one by default).

    ``chat`` returns an ``AgentChatResponse`` (``source_nodes``: the cited passages;
    ``metadata["answer"]``: the verified ``Answer``), ``stream_chat`` a ``VerifiedChatStream``.
    Options: ``session_id``, ``filters``, ``similarity_top_k`` (or ``top_k``)."""

    def __init__(
        self,
        rag: NewsRAG,
        session_id: str | None = None,
        filters: Filters | MetadataFilters | None = None,
        similarity_top_k: int | None = None,
        top_k: int | None = None,
    ) -> None:
        self.rag = rag
        self.session_id = session_id or f"llamaindex-{uuid.uuid4().hex}"
        self.filters = Filters.of(filters)
        self.top_k = _top_k(similarity_top_k, top_k)

    @property
    def chat_history(self) -> list[ChatMessage]:
        return self.rag.history(self.session_id)

    def reset(self) -> None:
        self.rag.reset(self.session_id)

    def _use_history(self, chat_history: list[ChatMessage] | None) -> None:
        """LlamaIndex's ``chat_history`` argument replaces the conversation so far."""
        if chat_history is not None:
            self.rag.set_history(self.session_id, list(chat_history))

    def chat(
        self, message: str, chat_history: list[ChatMessage] | None = None
    ) -> AgentChatResponse:
        self._use_history(chat_history)
        answer = self.rag.chat(self.session_id, message, self.filters, self.top_k)
        return AgentChatResponse(
            response=answer.text,
            sources=[_tool_output(answer, message)],
            source_nodes=cited_nodes(answer),
            metadata=answer_metadata(answer),
        )

    def _chat_events(
        self, message: str, chat_history: list[ChatMessage] | None
    ) -> Iterator[dict[str, Any]]:
        self._use_history(chat_history)
        return _primed(self.rag.chat_stream(self.session_id, message, self.filters, self.top_k))

    def stream_chat(
        self, message: str, chat_history: list[ChatMessage] | None = None
    ) -> VerifiedChatStream:
        events = self._chat_events(message, chat_history)
        drafts = _drafts(events, lambda a: response.finish(a, message))
        response = VerifiedChatStream(chat_stream=_chat_parts(drafts), is_writing_to_memory=False)
        return response

    async def achat(
        self, message: str, chat_history: list[ChatMessage] | None = None
    ) -> AgentChatResponse:
        return await asyncio.to_thread(self.chat, message, chat_history)

    async def astream_chat(
        self, message: str, chat_history: list[ChatMessage] | None = None
    ) -> VerifiedChatStream:
        events = await asyncio.to_thread(self._chat_events, message, chat_history)
        drafts = _drafts(events, lambda a: response.finish(a, message))
        response = VerifiedChatStream(
            achat_stream=_in_thread(_chat_parts(drafts)), is_writing_to_memory=False
        )
        return response


def _chat_parts(drafts: Iterator[str]) -> Iterator[ChatResponse]:
    """Draft tokens as LlamaIndex chat deltas (each with the text so far)."""
    text = ""
    for delta in drafts:
        text += delta
        yield ChatResponse(
            message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=delta
        )
