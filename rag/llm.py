"""LLM factory: llama_cpp | ollama | openai_like, all as LlamaIndex LLM classes.

Only this module knows which LLM is in use. Every backend is used through the LlamaIndex
``LLM`` interface (``chat`` / ``stream_chat``), so the engine never branches on backend.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
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

BACKENDS = ("llama_cpp", "ollama", "openai_like", "custom")


# Calls whose costs are kept for `newsrag bench query` (a long-running server keeps the last
# ones only).
USAGE_KEPT = 512
# A saved KV state is loaded only when it holds at least this many more of the prompt's
# leading tokens than the live cache (loading is a memory copy of a few ms; reading a token
# costs ~10 ms on two cores).
RECALL_MIN_GAIN = 8


@dataclass
class CallUsage:
    """What one call to the local model cost, in tokens and seconds.

    Why: the prompt is read at ~100 tokens/s on two cores and dominates an answer's time, so
    the figure that matters is how many of a call's prompt tokens llama.cpp had to read
    (``new_tokens``) and how many it reused from its KV cache (``cached_tokens``: the prefix
    the call shares with the previous one)."""

    kind: str  # "probe" (first-token logits only), "chat" or "stream"
    prompt_tokens: int
    cached_tokens: int
    generated_tokens: int = 0
    decode_steps: int = 0  # model evaluations while writing; fewer than tokens with lookup
    seconds: float = 0.0
    first_token_s: float | None = None
    # The chat messages sent (role, content), so a benchmark can time llama.cpp alone on
    # exactly this prompt.
    messages: list[dict[str, str]] = field(default_factory=list, repr=False)

    @property
    def new_tokens(self) -> int:
        return self.prompt_tokens - self.cached_tokens

    def to_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row.pop("messages")
        return {**row, "new_tokens": self.new_tokens}


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token sequences."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def cached_prefix(llama: Any, tokens: Sequence[int]) -> int:
    """How many leading ``tokens`` llama.cpp's KV cache already holds (the longest common
    prefix with what it evaluated last). llama-cpp-python reuses exactly this much."""
    held = llama._input_ids[: llama.n_tokens].tolist() if llama.n_tokens else []
    return common_prefix(held, tokens)


def last_logits(llama: Any, tokens: list[int]) -> np.ndarray:
    """Logits for the token after ``tokens``, reusing llama.cpp's KV cache for the prefix it
    already holds; the tokens stay cached, so a generation from the same prompt is cheap."""
    limit = llama.n_ctx() - 1
    if len(tokens) > limit:  # keep the end (the question or claim): drop from the middle
        tokens = tokens[: limit // 2] + tokens[-(limit - limit // 2) :]
    prefix = min(cached_prefix(llama, tokens), len(tokens) - 1)  # evaluate at least one
    llama.n_tokens = prefix
    llama.eval(tokens[prefix:])
    if llama._logits_all:
        return np.asarray(llama.scores[llama.n_tokens - 1], dtype=np.float64)
    # Without logits_all, llama.cpp still holds the last position's logits.
    ptr = llama._ctx.get_logits_ith(-1)
    return np.ctypeslib.as_array(ptr, shape=(llama.n_vocab(),)).astype(np.float64)


@functools.cache
def _llama_class() -> type:
    """``llama_cpp.Llama`` that keeps count of what it evaluates and asks llama.cpp for logits
    only where they are read.

    Why a subclass: (1) each call reports its new vs cached prompt tokens (``evals`` holds
    the size of every evaluation since ``generate`` started: the first is the part of the
    prompt not in the KV cache); (2) prompt-lookup decoding checks draft tokens in one batch
    and needs the logits of each of them, for which llama-cpp-python turns on
    ``logits_all``: every prompt token then goes through the 150k-word output layer (about a
    sixth of a 1.5B model's work per token) and is copied into an n_ctx x n_vocab array
    (2.5 GB). Here only the last ``output_tail`` positions of an evaluation are outputs:
    the prompt's last token, or a whole draft batch (at most 1 + the draft length); (3) the
    KV cache holds one sequence, so a prompt that starts otherwise evicts what the next one
    would have reused: up to ``prefix_states`` states of earlier prompts are kept in memory
    and loaded back when they hold more of a prompt's start than the live cache."""
    import llama_cpp
    from llama_cpp import Llama

    class NewsragLlama(Llama):  # type: ignore[misc]
        def __init__(
            self, *args: Any, output_tail: int = 1, prefix_states: int = 0, **kwargs: Any
        ) -> None:
            super().__init__(*args, **kwargs)
            self.output_tail = max(1, output_tail)
            self.evals: list[int] = []
            self.prompt_len = 0
            self.prefix_states = prefix_states
            self.saved: OrderedDict[tuple[int, ...], bytes] = OrderedDict()

        def generate(self, tokens: Sequence[int], *args: Any, **kwargs: Any) -> Any:
            self.prompt_len = len(tokens)
            self.recall(tokens)
            self.evals = []
            return super().generate(tokens, *args, **kwargs)

        def remember(self) -> None:
            """Save the KV cache's state (its tokens' keys and values, no logits) so a later
            prompt that starts the same way skips reading that start again, even after
            other prompts went through the cache: the answer's system prompt after a
            condensing call, a conversation's earlier turns at the next follow-up."""
            if not self.prefix_states or not self.n_tokens:
                return
            key = tuple(self._input_ids[: self.n_tokens].tolist())
            size = llama_cpp.llama_state_seq_get_size(self._ctx.ctx, 0)
            buf = (ctypes.c_uint8 * size)()
            n = llama_cpp.llama_state_seq_get_data(self._ctx.ctx, buf, size, 0)
            if not n:
                return
            self.saved[key] = ctypes.string_at(buf, n)
            self.saved.move_to_end(key)
            while len(self.saved) > self.prefix_states:
                self.saved.popitem(last=False)

        def recall(self, tokens: Sequence[int]) -> int:
            """Load the saved state that holds the longest start of ``tokens``, when it
            holds ``RECALL_MIN_GAIN`` tokens more than the live cache; the tokens gained."""
            if not self.saved:
                return 0
            live = cached_prefix(self, tokens)
            best, best_len = None, live
            for key in self.saved:
                n = common_prefix(key, tokens)
                if n > best_len:
                    best, best_len = key, n
            if best is None or best_len - live < RECALL_MIN_GAIN:
                return 0
            data = self.saved[best]
            buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
            if llama_cpp.llama_state_seq_set_data(self._ctx.ctx, buf, len(data), 0) != len(data):
                self.reset()
                return 0
            self.input_ids[: len(best)] = best
            self.n_tokens = len(best)
            self._requires_eval = True  # no logits came with the state
            self.saved.move_to_end(best)
            return best_len - live

        def eval(self, tokens: Sequence[int]) -> None:
            tokens = list(tokens)
            self.evals.append(len(tokens))
            if self._logits_all:  # logprobs wanted: Llama's own way
                super().eval(tokens)
                return
            self._ctx.kv_cache_seq_rm(-1, self.n_tokens, -1)
            for i in range(0, len(tokens), self.n_batch):
                batch = tokens[i : i + self.n_batch]
                n_past = self.n_tokens
                self._batch.set_batch(batch=batch, n_past=n_past, logits_all=False)
                for j in range(max(0, len(batch) - self.output_tail), len(batch)):
                    self._batch.batch.logits[j] = True
                self._ctx.decode(self._batch)
                self.input_ids[n_past : n_past + len(batch)] = batch
                self.n_tokens += len(batch)
                self._requires_eval = False

    return NewsragLlama


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
    serialised while callers on many threads simply wait their turn. Consecutive calls reuse
    the KV cache for the prompt prefix they share (llama-cpp-python compares token ids), so
    prompts that start alike are read once; ``usage`` records what each call read anew.

    ``lookup_tokens`` > 0 turns on prompt-lookup decoding (llama-cpp-python's
    ``LlamaPromptLookupDecoding``): answers copy phrases from their sources, so the tokens
    that followed the last ``lookup_ngram`` tokens in the prompt are proposed as a draft and
    checked in one batch; greedy output is unchanged, only its speed."""

    model_path: str
    temperature: float = 0.0
    seed: int = 0
    n_threads: int = 2
    n_threads_batch: int | None = None
    n_batch: int = 512
    n_ubatch: int = 512
    flash_attn: bool = False
    use_mmap: bool = True
    lookup_tokens: int = 0
    lookup_ngram: int = 2
    prefix_states: int = 4
    last_prompt_tokens: int = 0
    _llama: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)
    _formatter: Any = PrivateAttr(default=None)
    _usage: Any = PrivateAttr(default_factory=lambda: deque(maxlen=USAGE_KEPT))

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        self._llama = _llama_class()(
            model_path=self.model_path,
            n_ctx=self.context_window,
            n_threads=self.n_threads,
            n_threads_batch=self.n_threads_batch or self.n_threads,
            n_batch=self.n_batch,
            n_ubatch=min(self.n_ubatch, self.n_batch),
            flash_attn=self.flash_attn,
            use_mmap=self.use_mmap,
            seed=self.seed,
            verbose=False,
            output_tail=1 + self.lookup_tokens,
            prefix_states=self.prefix_states,
        )
        if self.lookup_tokens > 0:
            from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

            # Set after construction: passed to Llama() it would force logits_all.
            self._llama.draft_model = LlamaPromptLookupDecoding(
                max_ngram_size=self.lookup_ngram, num_pred_tokens=self.lookup_tokens
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
    def usage(self) -> list[CallUsage]:
        """The costs of the latest calls, oldest first (at most ``USAGE_KEPT``)."""
        return list(self._usage)

    def clear_usage(self) -> None:
        self._usage.clear()

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
            t = time.perf_counter()
            tokens = self._llama.tokenize(
                result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
            )
            firsts = [self.first_token(t) for t in texts]
            self._llama.recall(tokens)
            self._llama.evals = []
            logits = last_logits(self._llama, tokens)
            read = sum(self._llama.evals)
            self._usage.append(
                CallUsage(
                    "probe",
                    len(tokens),
                    len(tokens) - read,
                    seconds=time.perf_counter() - t,
                    messages=self._messages(messages),
                )
            )
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

    def _record(
        self,
        kind: str,
        messages: Sequence[ChatMessage],
        text: str,
        start: float,
        first: float | None,
    ) -> None:
        """Append the cost of the generation that just ended (its prompt tokens and how many
        of them the KV cache held, from the evaluations it made)."""
        self._llama.remember()
        evals = self._llama.evals
        new = evals[0] if evals else 0
        prompt = self._llama.prompt_len
        written = self.count_tokens(text) + 1 if text else 0  # + the end-of-turn token
        self._usage.append(
            CallUsage(
                kind,
                prompt,
                max(0, prompt - new),
                written,
                max(0, len(evals) - 1),
                time.perf_counter() - start,
                None if first is None else first - start,
                self._messages(messages),
            )
        )

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        with self._lock:
            start = time.perf_counter()
            out = self._llama.create_chat_completion(
                self._messages(messages), **self._params(kwargs)
            )
            text = out["choices"][0]["message"]["content"] or ""
            self._record("chat", messages, text, start, None)
        self.last_prompt_tokens = int(out.get("usage", {}).get("prompt_tokens", 0))
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), raw=out)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        def gen() -> ChatResponseGen:
            text = ""
            with self._lock:
                start = time.perf_counter()
                first = None
                stream = self._llama.create_chat_completion(
                    self._messages(messages), stream=True, **self._params(kwargs)
                )
                try:
                    for part in stream:
                        delta = part["choices"][0]["delta"].get("content") or ""
                        if not delta:
                            continue
                        if first is None:
                            first = time.perf_counter()
                        text += delta
                        yield ChatResponse(
                            message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
                            delta=delta,
                        )
                finally:
                    self._record("stream", messages, text, start, first)

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


def load_factory(spec: str | None, setting: str) -> Any:
    """The callable ``spec`` names ("package.module:callable"), for a 'custom' backend."""
    import importlib

    module, sep, name = (spec or "").partition(":")
    try:
        if not sep:
            raise ValueError
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        raise ConfigError(
            f"{setting} '{spec or ''}' names no callable.",
            f"Set {setting} to 'package.module:callable' (e.g. tests.fakes:make_fake_llm).",
        ) from None


def logit_model(settings: Settings, model: str | None = None, n_ctx: int = 4096) -> Any:
    """A plain llama.cpp model for reading next-token logits (the evaluation's judge asks it
    Yes/No and reads P(Yes) with ``last_logits``): the registry GGUF ``model`` (default:
    ``settings.llm_model``), n_batch 512, seed 0, logits for the last position only."""
    from llama_cpp import Llama

    path = resolve(model or settings.llm_model, settings)
    return Llama(
        model_path=str(path),
        n_ctx=n_ctx,
        n_threads=settings.llm_threads,
        n_batch=512,
        logits_all=False,
        verbose=False,
        seed=0,
    )


def _build_backend(settings: Settings) -> LLM:
    backend = settings.llm_backend
    if backend == "custom":
        return load_factory(settings.llm_factory, "NEWSRAG_LLM_FACTORY")(settings)
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
            n_threads_batch=settings.llm_threads_batch,
            n_batch=settings.llm_batch,
            n_ubatch=settings.llm_ubatch,
            flash_attn=settings.llm_flash_attn,
            use_mmap=settings.llm_mmap,
            lookup_tokens=settings.llm_lookup_tokens,
            lookup_ngram=settings.llm_lookup_ngram,
            prefix_states=settings.llm_prefix_states,
        )
    # What the server backends share: the model's name, its sampling and its window.
    common = {
        "model": settings.llm_model,
        "temperature": settings.llm_temperature,
        "context_window": settings.llm_context,
    }
    if backend == "ollama":
        from llama_index.llms.ollama import Ollama

        return Ollama(
            **common,
            base_url=settings.ollama_base_url,
            request_timeout=300.0,
            additional_kwargs={"seed": settings.llm_seed, "num_predict": settings.llm_max_tokens},
        )
    if backend == "openai_like":
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            **common,
            api_base=settings.openai_base_url,
            api_key=settings.openai_api_key,
            max_tokens=settings.llm_max_tokens,
            is_chat_model=True,
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
