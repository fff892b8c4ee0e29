"""The HTTP embedder against an in-process fake OpenAI /v1/embeddings server (httpx's
MockTransport), the factory's backends, the store-dimension check, and the sentence-vector
memory kept across questions."""

from __future__ import annotations

import json
import socket

import httpx
import numpy as np
import pytest

from rag.embeddings import HttpEmbedder, build_embedder, check_dimension
from rag.errors import ConfigError, ModelError
from rag.settings import Settings, load_settings

DIM = 8


def vector_for(text: str) -> list[float]:
    """A fixed, unnormalised vector per text (so order mix-ups and missing scaling show)."""
    rng = np.random.default_rng(sum(text.encode()) + len(text))
    return (rng.normal(size=DIM) * 5).tolist()


class FakeServer:
    """Answers like an OpenAI-compatible server; records every request it gets."""

    def __init__(self, reply=None, dim: int = DIM) -> None:
        self.requests: list[httpx.Request] = []
        self.reply = reply
        self.dim = dim

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.reply is not None:
            return self.reply(request)
        texts = json.loads(request.content)["input"]
        data = [
            {"object": "embedding", "index": i, "embedding": vector_for(t)[: self.dim]}
            for i, t in enumerate(texts)
        ]
        data.reverse()  # the API does not promise the order of rows; index does
        return httpx.Response(200, json={"object": "list", "data": data, "model": "m"})

    def bodies(self) -> list[dict]:
        return [json.loads(r.content) for r in self.requests]


def make(server, **kwargs) -> HttpEmbedder:
    kwargs.setdefault("retries", 0)
    return HttpEmbedder(
        "http://embed.test/v1", "test-model", transport=httpx.MockTransport(server), **kwargs
    )


def expected(texts: list[str]) -> np.ndarray:
    rows = np.asarray([vector_for(t) for t in texts], dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_vectors_are_unit_float32_in_input_order_and_sent_in_batches():
    server = FakeServer()
    embedder = make(server, batch_size=2, api_key="sekret")
    texts = ["alpha", "beta", "gamma", "delta", "epsilon"]
    vectors = embedder.embed(texts)
    assert vectors.dtype == np.float32 and vectors.shape == (5, DIM)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(vectors, expected(texts), rtol=1e-5)
    assert [b["input"] for b in server.bodies()] == [texts[0:2], texts[2:4], texts[4:]]
    assert {b["model"] for b in server.bodies()} == {"test-model"}
    assert str(server.requests[0].url) == "http://embed.test/v1/embeddings"
    assert server.requests[0].headers["authorization"] == "Bearer sekret"
    assert embedder.dim == DIM and len(server.requests) == 3  # learnt, not probed again


def test_batch_size_argument_overrides_and_empty_input_makes_no_request():
    server = FakeServer()
    embedder = make(server, batch_size=2)
    assert embedder.embed([]).shape[0] == 0 and not server.requests
    embedder.embed(["a", "b", "c"], batch_size=3)
    assert len(server.requests) == 1
    assert "authorization" not in server.requests[0].headers


def test_concurrent_batches_keep_the_order_of_the_texts():
    server = FakeServer()
    texts = [f"text number {i}" for i in range(23)]
    vectors = make(server, batch_size=2, concurrency=4).embed(texts)
    np.testing.assert_allclose(vectors, expected(texts), rtol=1e-5)
    assert len(server.requests) == 12


def test_dim_is_probed_once_when_asked_before_any_embedding():
    server = FakeServer()
    embedder = make(server)
    assert embedder.dim == DIM and embedder.dim == DIM
    assert len(server.requests) == 1


def test_per_token_rows_are_mean_pooled_and_empty_texts_sent_as_a_space():
    tokens = [[1.0, 0.0, 0.0], [0.0, 3.0, 0.0]]

    def reply(request):
        return httpx.Response(200, json={"data": [{"index": 0, "embedding": tokens}]})

    server = FakeServer(reply)
    vectors = make(server).embed([""])
    np.testing.assert_allclose(vectors[0], np.array([1.0, 3.0, 0.0]) / np.sqrt(10), rtol=1e-6)
    assert server.bodies()[0]["input"] == [" "]


def test_after_a_per_token_reply_to_a_batch_each_text_is_sent_alone():
    """llama-cpp-python without pooling garbles every row but the first of a batch."""

    def reply(request):
        texts = json.loads(request.content)["input"]
        data = [
            {"index": i, "embedding": [vector_for(t), vector_for(t + "!")]}
            for i, t in enumerate(texts)
        ]
        return httpx.Response(200, json={"data": data})

    server = FakeServer(reply)
    embedder = make(server, batch_size=4)
    texts = ["one", "two", "three"]

    def pooled(texts):
        rows = [np.mean([vector_for(t), vector_for(t + "!")], axis=0) for t in texts]
        return np.asarray(rows) / np.linalg.norm(rows, axis=1, keepdims=True)

    np.testing.assert_allclose(embedder.embed(texts), pooled(texts), rtol=1e-5)
    assert [b["input"] for b in server.bodies()] == [texts, ["one"], ["two"], ["three"]]
    embedder.embed(["four", "five"])  # from now on one text per request, no wasted batch
    assert [b["input"] for b in server.bodies()[4:]] == [["four"], ["five"]]


def test_a_full_url_is_used_as_given():
    server = FakeServer()
    HttpEmbedder(
        "http://embed.test/v1/embeddings/",
        "m",
        transport=httpx.MockTransport(server),
    ).embed(["x"])
    assert str(server.requests[0].url) == "http://embed.test/v1/embeddings"


def one_line(err: Exception) -> str:
    text = str(err)
    assert "\n" not in text
    return text


def test_a_server_that_is_down_is_one_line_naming_the_url_and_how_to_start_it():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    embedder = HttpEmbedder(f"http://127.0.0.1:{port}/v1", "m", retries=0, timeout_s=5)
    with pytest.raises(ModelError) as info:
        embedder.embed(["hello"])
    text = one_line(info.value)
    assert f"Cannot reach the embedding server at http://127.0.0.1:{port}/v1/embeddings" in text
    assert "llama_cpp.server" in text and "NEWSRAG_EMBED_BACKEND=local" in text


def test_busy_server_is_retried_with_doubling_waits_then_succeeds():
    calls = []

    def reply(request):
        calls.append(1)
        if len(calls) < 3:
            return httpx.Response(503, text="loading model")
        return FakeServer()(request)

    waits: list[float] = []
    embedder = make(FakeServer(reply), retries=2, sleep=waits.append)
    np.testing.assert_allclose(embedder.embed(["x"]), expected(["x"]), rtol=1e-5)
    assert waits == [0.5, 1.0]


def test_a_connection_error_is_retried_too():
    attempts = []

    def reply(request):
        attempts.append(1)
        if len(attempts) == 1:
            raise httpx.ConnectError("refused", request=request)
        return FakeServer()(request)

    waits: list[float] = []
    assert make(FakeServer(reply), retries=1, sleep=waits.append).embed(["x"]).shape == (1, DIM)
    assert waits == [0.5] and len(attempts) == 2


def test_still_busy_after_the_retries_is_an_error_with_the_status():
    server = FakeServer(lambda r: httpx.Response(503, text="loading model"))
    with pytest.raises(ModelError, match=r"answered 503: loading model") as info:
        make(server, retries=1, sleep=lambda s: None).embed(["x"])
    one_line(info.value)
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    ("status", "body", "hint"),
    [
        (401, '{"error": "invalid api key"}', "NEWSRAG_EMBED_API_KEY"),
        (404, "Not Found", "ending in /v1"),
        (413, "too large", "NEWSRAG_EMBED_BATCH_SIZE"),
        (400, '{"error": "model \\"x\\" not found"}', "NEWSRAG_EMBED_MODEL"),
        (500, "Traceback (most recent call last):\n  boom\n" + "x" * 500, "server's log"),
    ],
)
def test_an_error_status_is_one_line_with_the_body_and_a_fitting_hint(status, body, hint):
    server = FakeServer(lambda r: httpx.Response(status, text=body))
    with pytest.raises(ModelError) as info:
        make(server, retries=3, sleep=lambda s: None).embed(["x"])
    text = one_line(info.value)
    assert f"answered {status}:" in text and hint in text
    assert len(text) < 600  # a long body is cut
    assert len(server.requests) == 1  # not a status worth retrying


def test_a_timeout_is_not_retried_and_says_which_setting_to_raise():
    def reply(request):
        raise httpx.ReadTimeout("slow", request=request)

    server = FakeServer(reply)
    with pytest.raises(ModelError, match="did not answer within 7 s") as info:
        make(server, retries=2, timeout_s=7, sleep=lambda s: None).embed(["x"])
    assert "NEWSRAG_EMBED_TIMEOUT_S" in one_line(info.value)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("reply", "what"),
    [
        (lambda r: httpx.Response(200, text="<html>hello</html>"), "not JSON"),
        (lambda r: httpx.Response(200, json={"embeddings": [[1.0]]}), "without a 'data' list"),
        (lambda r: httpx.Response(200, json={"data": []}), "0 vectors for 1 texts"),
        (
            lambda r: httpx.Response(200, json={"data": [{"index": 0, "vector": [1.0]}]}),
            "rows without numeric",
        ),
        (
            lambda r: httpx.Response(200, json={"data": [{"index": 0, "embedding": ["a"]}]}),
            "rows without numeric",
        ),
        (lambda r: httpx.Response(200, json={"data": [{"embedding": []}]}), "zero length"),
    ],
)
def test_a_reply_that_is_not_an_embeddings_list_is_one_clear_error(reply, what):
    with pytest.raises(ModelError, match=what) as info:
        make(FakeServer(reply)).embed(["x"])
    assert "not an OpenAI embeddings list" in one_line(info.value)


def test_a_server_changing_vector_size_mid_run_is_an_error():
    server = FakeServer()
    embedder = make(server, batch_size=1)
    embedder.embed(["a"])
    server.dim = DIM - 2
    with pytest.raises(ModelError, match=rf"changed vector size mid-run \({DIM} -> {DIM - 2}\)"):
        embedder.embed(["b"])


# The factory -------------------------------------------------------------------------------
def test_factory_builds_the_http_backend_from_settings():
    settings = Settings(
        embed_backend="http",
        embed_url="http://gpu-box:9000/v1/",
        embed_model="nomic-embed-text",
        embed_api_key="k",
        embed_batch_size=16,
        embed_timeout_s=9,
        embed_retries=4,
        embed_concurrency=3,
    )
    embedder = build_embedder(settings)
    assert isinstance(embedder, HttpEmbedder)
    assert embedder.url == "http://gpu-box:9000/v1/embeddings"
    assert (embedder.model, embedder.batch_size, embedder.timeout_s) == ("nomic-embed-text", 16, 9)
    assert (embedder.retries, embedder.concurrency) == (4, 3)
    assert embedder.name == "nomic-embed-text via http://gpu-box:9000/v1/embeddings"
    assert embedder._client.headers["authorization"] == "Bearer k"
    assert "k'" not in repr(settings)  # the key is a secret, not printed with the settings


def test_factory_refuses_an_unknown_backend_with_the_valid_choices():
    settings = Settings().model_copy(update={"embed_backend": "grpc"})
    with pytest.raises(ConfigError, match=r"Unknown embedding backend 'grpc'.*local, http"):
        build_embedder(settings)


def test_an_unknown_backend_in_the_environment_is_one_line_with_the_choices(monkeypatch):
    monkeypatch.setenv("NEWSRAG_EMBED_BACKEND", "grpc")
    with pytest.raises(ConfigError) as info:
        load_settings()
    text = one_line(info.value)
    assert "NEWSRAG_EMBED_BACKEND=grpc" in text and "'local', 'http' or 'custom'" in text


# The store's dimension ---------------------------------------------------------------------
class SizedEmbedder:
    name = "sized"

    def __init__(self, dim: int) -> None:
        self.dim = dim

    def embed(self, texts, batch_size=None):
        return np.ones((len(texts), self.dim), dtype=np.float32) / np.sqrt(self.dim)


def test_dimension_check_passes_an_empty_store_and_a_match_and_refuses_a_mismatch(store):
    check_dimension(SizedEmbedder(3), store)  # nothing stored yet: any size will do
    assert store.vector_dimension() is None
    store.collection.add(ids=["a:0"], embeddings=[[1.0, 0.0, 0.0]], documents=["text"])
    assert store.vector_dimension() == 3
    check_dimension(SizedEmbedder(3), store)
    with pytest.raises(ConfigError) as info:
        check_dimension(SizedEmbedder(5), store)
    text = one_line(info.value)
    assert "holds 3-dimensional vectors" in text and "makes 5-dimensional" in text
    assert "NEWSRAG_EMBED_BACKEND" in text


def test_factory_checks_the_store_it_is_given(store, monkeypatch):
    store.collection.add(ids=["a:0"], embeddings=[[1.0, 0.0, 0.0]], documents=["text"])
    settings = Settings(
        data_dir=store.settings.data_dir, embed_backend="http", embed_url="http://x.test/v1"
    )

    def reply(request):
        return httpx.Response(200, json={"data": [{"index": 0, "embedding": [1.0] * DIM}]})

    real_init = HttpEmbedder.__init__

    def with_fake_transport(self, *args, **kwargs):
        real_init(self, *args, **{**kwargs, "transport": httpx.MockTransport(reply)})

    monkeypatch.setattr(HttpEmbedder, "__init__", with_fake_transport)
    with pytest.raises(ConfigError, match="holds 3-dimensional"):
        build_embedder(settings, store)
    assert isinstance(build_embedder(settings), HttpEmbedder)  # no store, no check


def test_sentence_vectors_are_remembered_across_questions_within_a_bound():
    """A sentence embedded for one question is not embedded again for the next (a chat's
    follow-ups read the same sources); the least recently used go first past the bound."""
    from rag.embeddings import VectorMemory
    from tests.fakes import FakeEmbedder

    class Counting(FakeEmbedder):
        def __init__(self) -> None:
            self.embedded: list[str] = []

        def embed(self, texts, batch_size=None):
            self.embedded += texts
            return super().embed(texts, batch_size)

    embedder, memory = Counting(), VectorMemory(size=3)
    first: dict = {}
    memory.fill(embedder, ["a b", "c d", "e f"], first)
    later: dict = {}
    memory.fill(embedder, ["c d", "g h"], later)
    assert embedder.embedded == ["a b", "c d", "e f", "g h"]
    assert set(later) == {"c d", "g h"} and (later["c d"] == first["c d"]).all()
    memory.fill(embedder, ["a b"], {})  # "a b" was the least recently used: it went
    assert embedder.embedded[-1] == "a b"
