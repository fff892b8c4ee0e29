"""Deterministic fakes for fast unit tests. Every capability also has a real-stack test."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.llms import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    CustomLLM,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from pydantic import Field, PrivateAttr

from rag.retrieve import tokenize


class FakeEmbedder:
    """Hashed bag of words (with bigrams): similar wording -> similar vectors."""

    name = "fake-embedder"
    dim = 256

    def embed(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = tokenize(text)
            for feature in words + [a + " " + b for a, b in itertools.pairwise(words)]:
                h = int(hashlib.md5(feature.encode()).hexdigest()[:8], 16)
                out[row, h % self.dim] += 1.0 if h & 1 else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out


class WordHashEmbedder:
    """Hashed bag of lower-cased words only (no bigrams): shared words -> similar vectors. The
    judge's tests are tuned on it."""

    name = "hash-bow"
    dim = 256

    def embed(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                digest = hashlib.md5(word.encode()).digest()
                out[row, digest[0] % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out


def _sources(prompt: str) -> list[tuple[int, str]]:
    """(label, sentence) of each numbered source sentence in our question prompt."""
    sources = prompt.split("Question:", 1)[0]
    return [(int(n), text) for n, text in re.findall(r"^\[(\d+)\] (.*)$", sources, re.M)]


def extractive_answer(prompt: str) -> str:
    """Answer with the source sentence sharing most words with the question, cited."""
    question = prompt.rsplit("Question:", 1)[-1].strip().split("\n")[0]
    q = set(tokenize(question))
    best, best_score = "", 0.0
    for number, text in _sources(prompt):
        for sentence in re.split(r"(?<=[.!?])\s+", text):
            score = len(q & set(tokenize(sentence))) / max(1, len(q))
            if score > best_score:
                best, best_score = f"{sentence.rstrip('.')} [{number}].", score
    return best if best_score >= 0.3 else "NOT IN SOURCES"


class FakeLLM(CustomLLM):
    """A LlamaIndex LLM that answers by a rule: scripted replies or extractive answers.

    ``responder(prompt) -> str`` decides the reply; the default quotes the best source sentence.
    Condense prompts get the follow-up back with "it" replaced by the last user topic.
    """

    model_name: str = "fake-llm"
    calls: int = 0
    _responder: Any = PrivateAttr(default=None)

    def __init__(self, responder: Callable[[str], str] | None = None, **data: Any) -> None:
        super().__init__(**data)
        self._responder = responder or extractive_answer

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name=self.model_name, is_chat_model=True)

    def _reply(self, messages: Sequence[ChatMessage]) -> str:
        self.calls += 1
        prompt = messages[-1].content or ""
        if "Standalone question:" in prompt:
            history = re.findall(r"user: (.*)", prompt)
            follow = prompt.rsplit("Follow-up question:", 1)[-1].split("\n")[0].strip()
            topic = history[-1].rstrip("?") if history else ""
            return f"{follow.rstrip('?')} (about: {topic})?" if topic else follow
        return self._responder(prompt)

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        text = self._reply(messages)
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        text = self._reply(messages)

        def gen() -> ChatResponseGen:
            acc = ""
            for piece in re.findall(r"\S+\s*", text):
                acc += piece
                yield ChatResponse(
                    message=ChatMessage(role=MessageRole.ASSISTANT, content=acc), delta=piece
                )

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self._responder(prompt))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        text = self._responder(prompt)

        def gen() -> CompletionResponseGen:
            yield CompletionResponse(text=text, delta=text)

        return gen()


class ProbingFakeLLM(FakeLLM):
    """A FakeLLM that, like the local llama.cpp model, reports P(reply starts with text)."""

    refusal_p: float = 0.0
    last_kwargs: dict[str, Any] = Field(default_factory=dict)

    def start_probability(self, messages: Sequence[ChatMessage], text: str) -> float:
        return self.refusal_p

    def first_token(self, text: str) -> int:
        return 7

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        self.last_kwargs = kwargs
        return super().stream_chat(messages)


class PickingFakeLLM(ProbingFakeLLM):
    """A ProbingFakeLLM whose constrained pick (``start_probabilities``) puts ``pick_p`` on
    the label of the source sentence containing ``pick_text`` and spreads the rest."""

    pick_text: str = ""
    pick_p: float = 0.9

    def start_probabilities(self, messages: Sequence[ChatMessage], texts: Sequence[str]):
        prompt = messages[-1].content or ""
        label = next((str(n) for n, s in _sources(prompt) if self.pick_text in s), "0")
        rest = (1.0 - self.pick_p) / max(1, len(texts) - 1)
        return [self.pick_p if t == label else rest for t in texts]


class EntailingFakeLLM(ProbingFakeLLM):
    """A ProbingFakeLLM that, asked whether quoted sentences state a claim (the engine's
    ``prompts/entail.txt``), puts ``entail_p`` on "Yes" and keeps each prompt in ``asked``;
    its other constrained choices are even, or favour ``pick_label``."""

    entail_p: float = 0.9
    asked: list[str] = Field(default_factory=list)
    pick_label: str = ""  # a label its other choices (the pick) put 0.9 on
    claims: dict[str, float] = Field(default_factory=dict)  # a CLAIM's start -> its share

    def start_probabilities(self, messages: Sequence[ChatMessage], texts: Sequence[str]):
        prompt = messages[-1].content or ""
        if "CLAIM:" not in prompt:
            if self.pick_label in texts:
                rest = 0.1 / max(1, len(texts) - 1)
                return [0.9 if t == self.pick_label else rest for t in texts]
            return [1.0 / len(texts)] * len(texts)
        self.asked.append(prompt)
        claim = prompt.split("CLAIM:")[1].strip()
        p = next((v for k, v in self.claims.items() if claim.startswith(k)), self.entail_p)
        return [p if t == "Yes" else 1.0 - p for t in texts]


class FakeLlamaEmbedding(BaseEmbedding):
    """``FakeEmbedder`` as a LlamaIndex embed model: plain LlamaIndex (``VectorStoreIndex``)
    can then query a store the fakes wrote, on the same vectors."""

    model_name: str = "fake-embedder"

    def _vector(self, text: str) -> list[float]:
        return FakeEmbedder().embed([text])[0].tolist()

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)


def react_tool_caller(tool: str, question: str) -> Callable[[str], str]:
    """A responder for a LlamaIndex ReAct agent's LLM: ask ``tool`` the question, then answer
    with what the tool observed. The agent loop itself is LlamaIndex's; only its reasoning
    model is scripted (tiny real models garble ReAct's tool-call format)."""

    def reply(prompt: str) -> str:
        if "Observation:" in prompt:
            seen = prompt.rsplit("Observation:", 1)[1].strip()
            return f"Thought: I can answer without using any more tools.\nAnswer: {seen}"
        return (
            "Thought: I need to use a tool to help me answer the question.\n"
            f"Action: {tool}\nAction Input: {json.dumps({'input': question})}"
        )

    return reply


class FakeLlama:
    """Just enough of ``llama_cpp.Llama`` for LlamaYesNo: word tokens, logits favouring Yes
    when every claim word was in the prompt before the claim."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {"Yes": 1, "No": 2, "<|im_start|>": 3}
        self.n_tokens = 0
        self._input_ids = np.zeros(512, dtype=np.intc)
        self._logits_all = True
        self.scores = np.zeros((512, 1024), dtype=np.float32)
        self.evaluated = 0

    def n_vocab(self) -> int:
        return 1024

    def n_ctx(self) -> int:
        return 512

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        words = re.findall(r"<\|im_start\|>|[A-Za-z0-9]+", text.decode())
        return [self.vocab.setdefault(w, len(self.vocab) + 1) for w in words]

    def eval(self, tokens: list[int]) -> None:
        start = self.n_tokens
        self._input_ids[start : start + len(tokens)] = tokens
        self.n_tokens += len(tokens)
        self.evaluated += len(tokens)
        ids = self._input_ids[: self.n_tokens].tolist()
        # the claim sits between a "CLAIM" marker and the closest following "Is"
        spans = []
        for i, tok in enumerate(ids):
            if tok == self.vocab["CLAIM"]:
                nxt = [j for j in range(i + 1, len(ids)) if ids[j] == self.vocab["Is"]]
                if nxt:
                    spans.append((nxt[0] - i, i, nxt[0]))
        _, claim_at, question_at = min(spans)
        supported = set(ids[claim_at + 1 : question_at]) <= set(ids[:claim_at])
        self.scores[self.n_tokens - 1, :] = 0.0
        self.scores[self.n_tokens - 1, 1 if supported else 2] = 4.0


class FixedYesNo:
    """The judge's LLM step (``LlamaYesNo.p_yes``) answering one fixed P(Yes), counting calls."""

    def __init__(self, p_yes: float) -> None:
        self.value = p_yes
        self.calls = 0

    def p_yes(self, source: str, claim: str, question: str | None = None) -> float:
        self.calls += 1
        return self.value


class StubRag:
    """Just enough of NewsRAG for the UI handlers: streams ``tokens`` then an answer."""

    def __init__(self, tokens: int = 3) -> None:
        self.tokens = tokens
        self.calls = 0
        self.closed = False

    def _events(self) -> Any:
        self.calls += 1
        try:
            for n in range(self.tokens):
                yield {"type": "token", "text": f"word{n} "}
            yield {"type": "answer", "answer": None}
        finally:
            self.closed = True

    def chat_stream(self, *args: Any, **kwargs: Any) -> Any:
        return self._events()

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        return self._events()


def make_fake_llm(settings: Any) -> FakeLLM:
    """The fake LLM as a 'custom' backend: NEWSRAG_LLM_BACKEND=custom with
    NEWSRAG_LLM_FACTORY=tests.fakes:make_fake_llm (rag.llm), instead of monkeypatching."""
    return FakeLLM()


def make_fake_embedder(settings: Any) -> FakeEmbedder:
    """The fake embedder as a 'custom' backend (NEWSRAG_EMBED_FACTORY=tests.fakes:...)."""
    return FakeEmbedder()
