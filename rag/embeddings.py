"""Embedder factory: sentence-transformers in process, or an OpenAI-compatible server over
HTTP; either way batched, float32 and unit-normalised, so the store cannot tell them apart."""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from rag.errors import ConfigError, ModelError
from rag.models import REGISTRY, resolve
from rag.settings import Settings

if TYPE_CHECKING:
    import httpx

    from rag.store import Store

BACKENDS = ("local", "http", "custom")
# Statuses that mean "busy or restarting, try again": the batch is retried; others are not.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# First wait before a retry; it doubles with each further one.
RETRY_BACKOFF_S = 0.5
# How much of an error body goes into the one-line message.
ERROR_BODY_CHARS = 200


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


class VectorMemory:
    """Vectors of source sentences embedded for earlier questions, kept (least recently used
    first out) across questions: a chat's follow-ups, and questions about the same articles,
    read the same sentences, and embedding them was most of the wait before the prompt."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def fill(self, embedder: Embedder, texts: list[str], cache: dict[str, np.ndarray]) -> None:
        """``embed_cached``, taking what this memory holds first and keeping what it adds."""
        todo = [t for t in dict.fromkeys(texts) if t not in cache]
        with self._lock:
            for t in todo:
                vector = self._vectors.get(t)
                if vector is not None:
                    cache[t] = vector
                    self._vectors.move_to_end(t)
        embed_cached(embedder, todo, cache)
        with self._lock:
            for t in todo:
                self._vectors[t] = cache[t]
                self._vectors.move_to_end(t)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero, like sentence-transformers' normalise)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class HttpEmbedder:
    """Texts embedded by an OpenAI-compatible ``POST <url>/embeddings`` server (llama.cpp
    server, llama-cpp-python, vLLM, TEI, Ollama).

    Why each step: texts go in batches of ``batch_size`` (servers cap a request's size), up to
    ``concurrency`` batches at once (a pool of workers behind one address); rows come back in
    the request's order by their ``index`` (the API does not promise response order); a
    per-token reply (llama-cpp-python on a model without a pooling type) is mean-pooled, as
    llama.cpp's mean pooling would, but only one text per request: llama-cpp-python 0.3 puts
    the wrong tokens under every row but the first of such a batch, so once a per-token reply
    is seen each text goes alone (start that server with ``--kv_overrides
    <arch>.pooling_type=int:1`` to have it pool, and batch, itself); every vector is
    unit-normalised here, because not every server normalises. The dimension is learnt
    from the first reply and every later reply must match it, so a server swapped for
    another model mid-ingest is an error, not a silently mixed store."""

    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key: str | None = None,
        batch_size: int = 64,
        timeout_s: float = 60.0,
        retries: int = 2,
        concurrency: int = 1,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx

        base = url.rstrip("/")
        self.url = base if base.endswith("/embeddings") else f"{base}/embeddings"
        self.model = model
        self.name = f"{model} via {self.url}"
        self.batch_size = max(1, batch_size)
        self.timeout_s = timeout_s
        self.retries = retries
        self.concurrency = max(1, concurrency)
        self._sleep = sleep
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            timeout=timeout_s,
            headers=headers,
            transport=transport,
            limits=httpx.Limits(max_connections=self.concurrency),
        )
        self._dim: int | None = None
        self._per_token = False  # the server answers per token: one text per request

    @property
    def dim(self) -> int:
        """The server's vector size, asked for once (one tiny request) when first needed."""
        if self._dim is None:
            self.embed(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def embed(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        size = 1 if self._per_token else max(1, batch_size or self.batch_size)
        batches = [texts[i : i + size] for i in range(0, len(texts), size)]
        if self.concurrency == 1 or len(batches) == 1:
            parts = [self._embed_batch(b) for b in batches]
        else:
            with ThreadPoolExecutor(min(self.concurrency, len(batches))) as pool:
                parts = list(pool.map(self._embed_batch, batches))
        return np.concatenate(parts)

    def close(self) -> None:
        self._client.close()

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        # Some servers refuse an empty string; a space embeds as "nothing" just the same.
        payload = {
            "model": self.model,
            "input": [t if t.strip() else " " for t in texts],
            "encoding_format": "float",
        }
        reply = self._post(payload)
        rows, per_token = self._rows(reply, len(texts))
        if per_token and len(texts) > 1:  # only the first row can be trusted (class doc)
            self._per_token = True
            return np.concatenate([self._embed_batch([t]) for t in texts])
        vectors = _unit_rows(np.asarray(rows, dtype=np.float32))
        if self._dim is None:
            self._dim = int(vectors.shape[1])
        elif vectors.shape[1] != self._dim:
            raise ModelError(
                f"The embedding server at {self.url} changed vector size mid-run "
                f"({self._dim} -> {vectors.shape[1]}).",
                "Point NEWSRAG_EMBED_URL at servers that all run the same model.",
            )
        return vectors

    def _post(self, payload: dict[str, Any]) -> Any:
        import httpx

        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self._client.post(self.url, json=payload)
            except httpx.TimeoutException:
                raise ModelError(
                    f"The embedding server at {self.url} did not answer within "
                    f"{self.timeout_s:g} s.",
                    "Raise NEWSRAG_EMBED_TIMEOUT_S or lower NEWSRAG_EMBED_BATCH_SIZE.",
                ) from None
            except httpx.TransportError as exc:
                if not last:
                    self._sleep(RETRY_BACKOFF_S * 2**attempt)
                    continue
                raise ModelError(
                    f"Cannot reach the embedding server at {self.url} ({type(exc).__name__}).",
                    "Start it (e.g. `python -m llama_cpp.server --model M.gguf --embedding true"
                    " --port 8081`), fix NEWSRAG_EMBED_URL, or set NEWSRAG_EMBED_BACKEND=local.",
                ) from None
            if response.status_code in RETRY_STATUSES and not last:
                self._sleep(RETRY_BACKOFF_S * 2**attempt)
                continue
            if response.status_code >= 400:
                raise self._status_error(response)
            try:
                return response.json()
            except ValueError:
                raise self._shape_error("a body that is not JSON") from None
        raise AssertionError("unreachable")  # the last attempt returns or raises

    def _status_error(self, response: httpx.Response) -> ModelError:
        status = response.status_code
        body = " ".join(response.text.split())[:ERROR_BODY_CHARS]
        if status in (401, 403):
            hint = "Set NEWSRAG_EMBED_API_KEY to a key the server accepts."
        elif status == 404:
            hint = (
                "Check NEWSRAG_EMBED_URL is the server's OpenAI base URL (ending in /v1) and"
                " that it serves embeddings (llama.cpp: start it with --embedding)."
            )
        elif status == 413:
            hint = "Lower NEWSRAG_EMBED_BATCH_SIZE."
        elif 400 <= status < 500:
            hint = "Check NEWSRAG_EMBED_MODEL names a model the server serves."
        else:
            hint = "Look at the server's log; NEWSRAG_EMBED_BACKEND=local embeds in process."
        return ModelError(
            f"The embedding server at {self.url} answered {status}: {body or '(no body)'}.", hint
        )

    def _shape_error(self, what: str) -> ModelError:
        return ModelError(
            f"The embedding server at {self.url} sent {what}, not an OpenAI embeddings list.",
            "Check NEWSRAG_EMBED_URL points at an OpenAI-compatible /v1 endpoint.",
        )

    def _rows(self, reply: Any, expected: int) -> tuple[list[Any], bool]:
        """One vector per input, in input order (a per-token reply is mean-pooled), and
        whether the reply was per token."""
        data = reply.get("data") if isinstance(reply, dict) else None
        if not isinstance(data, list):
            raise self._shape_error("a reply without a 'data' list")
        if len(data) != expected:
            raise self._shape_error(f"{len(data)} vectors for {expected} texts")
        try:
            if all("index" in item for item in data):
                data = sorted(data, key=lambda item: int(item["index"]))
            rows, per_token = [], False
            for item in data:
                vector = item["embedding"]
                if vector and isinstance(vector[0], list):  # one vector per token
                    vector = np.mean(np.asarray(vector, dtype=np.float32), axis=0)
                    per_token = True
                rows.append(np.asarray(vector, dtype=np.float32))
        except (AttributeError, KeyError, TypeError, ValueError):
            raise self._shape_error("rows without numeric 'embedding' lists") from None
        if len({len(r) for r in rows}) != 1 or len(rows[0]) == 0:
            raise self._shape_error("vectors of different or zero length")
        return rows, per_token


def check_dimension(embedder: Embedder, store: Store) -> None:
    """Raise one ConfigError line when ``embedder`` makes vectors of another size than the
    store holds (another model was used to build it): caught here instead of as Chroma's
    error deep inside an ingest or a query."""
    have = store.vector_dimension()
    if have is not None and have != embedder.dim:
        raise ConfigError(
            f"The store at {store.settings.data_dir} holds {have}-dimensional vectors but the"
            f" embedder {embedder.name} makes {embedder.dim}-dimensional ones.",
            "Use the embedder the store was built with (NEWSRAG_EMBED_BACKEND / _MODEL /"
            " _URL), or re-ingest into a new NEWSRAG_DATA_DIR.",
        )


def build_embedder(settings: Settings, store: Store | None = None) -> Embedder:
    """The embedder ``settings.embed_backend`` names (raises with the valid choices
    otherwise); given the ``store`` it will write to or read from, its vector size is checked
    against the store's first (see ``check_dimension``)."""
    embedder = _build_backend(settings)
    if store is not None:
        check_dimension(embedder, store)
    return embedder


def _build_backend(settings: Settings) -> Embedder:
    backend = settings.embed_backend
    if backend == "custom":
        from rag.llm import load_factory

        return load_factory(settings.embed_factory, "NEWSRAG_EMBED_FACTORY")(settings)
    if backend == "http":
        key = settings.embed_api_key
        return HttpEmbedder(
            settings.embed_url,
            settings.embed_model,
            api_key=key.get_secret_value() if key else None,
            batch_size=settings.embed_batch_size,
            timeout_s=settings.embed_timeout_s,
            retries=settings.embed_retries,
            concurrency=settings.embed_concurrency,
        )
    if backend != "local":
        raise ConfigError(
            f"Unknown embedding backend '{backend}'.", f"Choose one of: {', '.join(BACKENDS)}."
        )
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
