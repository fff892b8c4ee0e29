"""LLM factory: llama_cpp | ollama | openai_like, all as LlamaIndex LLM classes.

Only this module knows which LLM is in use. Every backend is used through the LlamaIndex
``LLM`` interface (``chat`` / ``stream_chat``), so the engine never branches on backend.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms import LLM, CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from pydantic import PrivateAttr

from rag.errors import ConfigError, LLMError
from rag.models import resolve
from rag.settings import Settings
from rag.tokens import count_tokens

BACKENDS = ("llama_cpp", "ollama", "openai_like")


def last_logits(llama: Any, tokens: list[int]) -> np.ndarray:
    """Logits for the token after ``tokens``, reusing llama.cpp's KV cache for the prefix it
    already holds; the tokens stay cached, so a generation from the same prompt is cheap."""
    limit = llama.n_ctx() - 1
    if len(tokens) > limit:  # keep the end (the question or claim): drop from the middle
        tokens = tokens[: limit // 2] + tokens[-(limit - limit // 2) :]
    cached = llama._input_ids[: llama.n_tokens].tolist() if llama.n_tokens else []
    prefix = 0
    for a, b in zip(cached, tokens, strict=False):
        if a != b:
            break
        prefix += 1
    prefix = min(prefix, len(tokens) - 1)  # always evaluate at least the last token
    llama.n_tokens = prefix
    llama.eval(tokens[prefix:])
    if llama._logits_all:
        return np.asarray(llama.scores[llama.n_tokens - 1], dtype=np.float64)
    # Without logits_all, llama.cpp still holds the last position's logits.
    ptr = llama._ctx.get_logits_ith(-1)
    return np.ctypeslib.as_array(ptr, shape=(llama.n_vocab(),)).astype(np.float64)


def single_token_ids(llama: Any, words: Iterable[str]) -> list[int]:
    """Ids of the words that are one token in this vocabulary (e.g. "Yes", " yes")."""
    ids = set()
    for w in words:
        toks = llama.tokenize(w.encode(), add_bos=False, special=False)
        if len(toks) == 1 and toks[0] < llama.n_vocab():
            ids.add(toks[0])
    return sorted(ids)


class ChatOnlyLLM(CustomLLM):
    """A chat model whose completions are one-message chats (LlamaIndex calls ``complete``
    in places, e.g. its query engines)."""

    model_name: str = "local"
    context_window: int = 4096
    max_tokens: int = 256

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.max_tokens,
            is_chat_model=True,
            model_name=self.model_name,
        )

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        reply = self.chat([ChatMessage(role=MessageRole.USER, content=prompt)], **kwargs)
        return CompletionResponse(text=reply.message.content or "")

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            for part in self.stream_chat([ChatMessage(role=MessageRole.USER, content=prompt)]):
                yield CompletionResponse(text=part.message.content or "", delta=part.delta)

        return gen()


class LlamaCppChat(ChatOnlyLLM):
    """llama-cpp-python with the GGUF's own chat template; temperature 0 and a fixed seed.

    llama.cpp contexts are not thread-safe, so every call holds a lock: generation is
    serialised while callers on many threads simply wait their turn.
    """

    model_path: str
    temperature: float = 0.0
    seed: int = 0
    n_threads: int = 2
    last_prompt_tokens: int = 0
    _llama: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)
    _formatter: Any = PrivateAttr(default=None)

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        from llama_cpp import Llama

        self._llama = Llama(
            model_path=self.model_path,
            n_ctx=self.context_window,
            n_threads=self.n_threads,
            n_threads_batch=self.n_threads,
            n_batch=512,
            seed=self.seed,
            verbose=False,
        )
        template = self._llama.metadata.get("tokenizer.chat_template")
        if template:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            def token_text(token_id: int) -> str:
                return self._llama._model.token_get_text(token_id) if token_id != -1 else ""

            # The same formatter llama-cpp-python builds from the GGUF for chat completions,
            # so a probed prompt is token-for-token the prompt the generation will see.
            self._formatter = Jinja2ChatFormatter(
                template=template,
                eos_token=token_text(self._llama.token_eos()),
                bos_token=token_text(self._llama.token_bos()),
                stop_token_ids=[self._llama.token_eos()],
            )

    @property
    def llama(self) -> Any:
        """The raw llama_cpp.Llama, for token counting and logprob reads."""
        return self._llama

    @property
    def lock(self) -> threading.Lock:
        return self._lock

    def count_tokens(self, text: str) -> int:
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def start_probability(self, messages: Sequence[ChatMessage], text: str) -> float | None:
        """P(the reply starts with the first token of ``text``), read from the logits after
        the prompt; None when the model has no chat template to format the prompt with.

        The prompt stays in llama.cpp's cache, so generating the reply next costs no second
        read of the prompt."""
        found = self.start_probabilities(messages, [text])
        return None if found is None else found[0]

    def start_probabilities(
        self, messages: Sequence[ChatMessage], texts: Sequence[str]
    ) -> list[float] | None:
        """P(the reply starts with the first token of each of ``texts``), from one read of
        the prompt (a constrained choice among options that start with distinct tokens,
        such as the digits of numbered sentences); None without a chat template."""
        if self._formatter is None:
            return None
        result = self._formatter(messages=self._messages(messages))
        with self._lock:
            tokens = self._llama.tokenize(
                result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
            )
            firsts = [self.first_token(t) for t in texts]
            logits = last_logits(self._llama, tokens)
        probs = np.exp(logits - float(np.max(logits)))
        total = float(probs.sum())
        return [float(probs[f] / total) for f in firsts]

    def first_token(self, text: str) -> int:
        """The id of the first token of ``text`` at the start of a reply."""
        return self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)[0]

    def _params(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        params = {
            "temperature": self.temperature,
            "seed": self.seed,
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "stop": kwargs.get("stop"),
            "repeat_penalty": 1.05,
        }
        if kwargs.get("logit_bias"):
            params["logit_bias"] = kwargs["logit_bias"]
        return params

    @staticmethod
    def _messages(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
        return [{"role": m.role.value, "content": m.content or ""} for m in messages]

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        with self._lock:
            out = self._llama.create_chat_completion(
                self._messages(messages), **self._params(kwargs)
            )
        text = out["choices"][0]["message"]["content"] or ""
        self.last_prompt_tokens = int(out.get("usage", {}).get("prompt_tokens", 0))
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), raw=out)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        def gen() -> ChatResponseGen:
            text = ""
            with self._lock:
                stream = self._llama.create_chat_completion(
                    self._messages(messages), stream=True, **self._params(kwargs)
                )
                for part in stream:
                    delta = part["choices"][0]["delta"].get("content") or ""
                    if not delta:
                        continue
                    text += delta
                    yield ChatResponse(
                        message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
                        delta=delta,
                    )

        return gen()


def build_llm(settings: Settings) -> LLM:
    """The LLM named by ``settings.llm_backend`` (raises with the valid choices otherwise),
    behind its recorded replies when ``settings.llm_recording`` is set."""
    if settings.llm_recording is None:
        return _build_backend(settings)
    return RecordedLLM(
        build=None if settings.llm_recording_only else lambda: _build_backend(settings),
        path=str(settings.llm_recording),
        model_name=settings.llm_model,
        context_window=settings.llm_context,
        max_tokens=settings.llm_max_tokens,
    )


def _build_backend(settings: Settings) -> LLM:
    backend = settings.llm_backend
    if backend == "llama_cpp":
        path = settings.llm_path or resolve(settings.llm_model, settings)
        if not Path(path).is_file():
            raise LLMError(f"No GGUF file at {path}.", "Run `newsrag models pull`.")
        return LlamaCppChat(
            model_path=str(path),
            model_name=settings.llm_model if not settings.llm_path else Path(path).name,
            context_window=settings.llm_context,
            max_tokens=settings.llm_max_tokens,
            temperature=settings.llm_temperature,
            seed=settings.llm_seed,
            n_threads=settings.llm_threads,
        )
    if backend == "ollama":
        from llama_index.llms.ollama import Ollama

        return Ollama(
            model=settings.llm_model,
            base_url=settings.ollama_base_url,
            temperature=settings.llm_temperature,
            context_window=settings.llm_context,
            request_timeout=300.0,
            additional_kwargs={"seed": settings.llm_seed, "num_predict": settings.llm_max_tokens},
        )
    if backend == "openai_like":
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            model=settings.llm_model,
            api_base=settings.openai_base_url,
            api_key=settings.openai_api_key,
            temperature=settings.llm_temperature,
            max_tokens=settings.llm_max_tokens,
            is_chat_model=True,
            context_window=settings.llm_context,
            timeout=300.0,
            additional_kwargs={"seed": settings.llm_seed},
        )
    raise ConfigError(f"Unknown LLM backend '{backend}'.", f"Choose one of: {', '.join(BACKENDS)}.")


def model_name(llm: LLM) -> str:
    return llm.metadata.model_name


class RecordedLLM(ChatOnlyLLM):
    """Another LLM with its answers kept in a JSON-lines file, keyed by the exact request.

    Why: the model is the slow part of an evaluation (about 20 s an answer here), while the
    checks around it (retrieval, verification, grading) change every day. With the model's
    replies recorded, a change to the checks is measured on the same replies in minutes, and
    a recorded run is a regression test that needs no model. A request the file does not
    hold (the prompt changed) goes to the real model, built only then, and is appended."""

    path: str
    model_name: str = "recorded"
    hits: int = 0
    misses: int = 0
    _inner: Any = PrivateAttr(default=None)
    _build: Any = PrivateAttr(default=None)
    _records: dict[str, Any] = PrivateAttr(default_factory=dict)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, build: Any = None, **data: Any) -> None:
        super().__init__(**data)
        self._build = build
        file = Path(self.path)
        if file.is_file():
            for line in file.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    self._records[row["key"]] = row["value"]

    @property
    def inner(self) -> Any:
        if self._inner is None:
            if self._build is None:
                raise LLMError(
                    f"The recorded replies in {self.path} do not hold this request (the"
                    " prompt changed since they were recorded).",
                    "Record them again: run the same command without"
                    " NEWSRAG_LLM_RECORDING_ONLY, with the model installed.",
                )
            self._inner = self._build()
        return self._inner

    def _replay(self, op: str, payload: dict[str, Any], compute: Any) -> Any:
        key = hashlib.sha256(
            json.dumps({"op": op, **payload}, sort_keys=True, default=str).encode()
        ).hexdigest()
        with self._lock:
            if key in self._records:
                self.hits += 1
                return self._records[key]
        value = compute()
        with self._lock:
            self.misses += 1
            self._records[key] = value
            with open(self.path, "a", encoding="utf-8") as out:
                out.write(json.dumps({"key": key, "op": op, "value": value}) + "\n")
        return value

    @staticmethod
    def _request(messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> dict[str, Any]:
        keep = ("max_tokens", "stop", "logit_bias")
        return {
            "messages": [[m.role.value, m.content or ""] for m in messages],
            "kwargs": {k: kwargs[k] for k in keep if kwargs.get(k) is not None},
        }

    def count_tokens(self, text: str) -> int:
        def compute() -> int:
            counter = getattr(self.inner, "count_tokens", None)
            return int(counter(text)) if callable(counter) else count_tokens(text)

        return int(self._replay("count_tokens", {"text": text}, compute))

    def first_token(self, text: str) -> int:
        return int(
            self._replay("first_token", {"text": text}, lambda: self.inner.first_token(text))
        )

    def start_probability(self, messages: Sequence[ChatMessage], text: str) -> float | None:
        found = self.start_probabilities(messages, [text])
        return None if found is None else found[0]

    def start_probabilities(
        self, messages: Sequence[ChatMessage], texts: Sequence[str]
    ) -> list[float] | None:
        def compute() -> list[float] | None:
            probe = getattr(self.inner, "start_probabilities", None)
            if callable(probe):
                return probe(messages, list(texts))
            single = getattr(self.inner, "start_probability", None)
            if callable(single) and len(texts) == 1:
                return [single(messages, texts[0])]
            return None

        payload = {**self._request(messages, {}), "texts": list(texts)}
        return self._replay("start_probabilities", payload, compute)

    def _text(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> str:
        def compute() -> str:
            return self.inner.chat(messages, **kwargs).message.content or ""

        return self._replay("chat", self._request(messages, kwargs), compute)

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        text = self._text(messages, kwargs)
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        def gen() -> ChatResponseGen:
            text = self._text(messages, kwargs)
            yield ChatResponse(
                message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=text
            )

        return gen()
