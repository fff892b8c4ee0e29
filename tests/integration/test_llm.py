"""rag.llm with a real llama.cpp model (smollm2-135m): the KV cache is reused across calls
that share a prompt prefix, each call reports what it read anew, and prompt-lookup decoding
writes the same greedy text in fewer model evaluations."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage, MessageRole

from rag.llm import LlamaCppChat
from rag.models import resolve
from rag.settings import Settings

pytestmark = pytest.mark.slow

SYSTEM = "You answer questions about news articles using only the numbered sources provided."
SOURCE = (
    "[1] Russia's Defense Ministry said almost 2,000 peacekeepers were deployed to the region"
    " under the agreement signed on November 10, 2020."
)


def _messages(question: str) -> list[ChatMessage]:
    return [
        ChatMessage(role=MessageRole.SYSTEM, content=SYSTEM),
        ChatMessage(role=MessageRole.USER, content=f"Sources:\n{SOURCE}\n\nQuestion: {question}"),
    ]


def _llm(**options) -> LlamaCppChat:
    path = resolve("smollm2-135m-instruct", Settings())
    return LlamaCppChat(model_path=str(path), context_window=1024, max_tokens=24, **options)


def test_calls_report_new_and_cached_prompt_tokens():
    llm = _llm()
    llm.start_probability(_messages("How many peacekeepers were deployed?"), "NOT")
    first = llm.usage[-1]
    assert first.kind == "probe" and first.cached_tokens == 0
    assert first.new_tokens == first.prompt_tokens > 40
    # The answer after the probe on the same prompt reads nothing again.
    llm.chat(_messages("How many peacekeepers were deployed?"), max_tokens=8)
    answer = llm.usage[-1]
    assert answer.kind == "chat" and answer.prompt_tokens == first.prompt_tokens
    assert answer.new_tokens <= 1 and answer.generated_tokens >= 1
    # Another question over the same sources reads only what follows the shared prefix.
    list(llm.stream_chat(_messages("Who said so?"), max_tokens=8))
    other = llm.usage[-1]
    assert other.kind == "stream" and other.first_token_s is not None
    assert other.cached_tokens > first.prompt_tokens * 0.7
    assert other.new_tokens < 15
    llm.clear_usage()
    assert llm.usage == []


def test_prompt_lookup_writes_the_same_text_in_fewer_steps():
    question = "Copy source [1] word for word."
    plain = _llm()
    lookup = _llm(lookup_tokens=8)
    want = plain.chat(_messages(question), max_tokens=24).message.content
    got = lookup.chat(_messages(question), max_tokens=24).message.content
    assert got == want and len(want.split()) > 5
    slow, fast = plain.usage[-1], lookup.usage[-1]
    assert fast.generated_tokens == slow.generated_tokens
    assert fast.decode_steps < slow.decode_steps


def test_a_saved_state_brings_back_a_prefix_another_prompt_evicted():
    """A condensing call (another prompt) between two answers: the second answer still
    finds the first one's system prompt and sources in a saved state, not in the live cache."""
    llm = _llm(prefix_states=2)
    llm.chat(_messages("How many peacekeepers were deployed?"), max_tokens=4)
    first = llm.usage[-1]
    llm.chat([ChatMessage(role=MessageRole.USER, content="Say hello.")], max_tokens=4)
    assert llm.usage[-1].cached_tokens < 10  # the live cache held the answer prompt
    recalled = llm.chat(_messages("Who said so?"), max_tokens=12).message.content
    again = llm.usage[-1]
    assert again.cached_tokens > first.prompt_tokens * 0.7
    off = _llm(prefix_states=0)
    off.chat(_messages("How many peacekeepers were deployed?"), max_tokens=4)
    off.chat([ChatMessage(role=MessageRole.USER, content="Say hello.")], max_tokens=4)
    read = off.chat(_messages("Who said so?"), max_tokens=12).message.content
    assert off.usage[-1].cached_tokens < 10
    # The restored keys and values are the ones reading the prompt gives: the same reply.
    assert recalled == read and recalled
