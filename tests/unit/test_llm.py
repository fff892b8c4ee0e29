"""rag.llm's factory without a model: the backends it knows, each built from the settings
(llama.cpp itself is in tests/integration/test_llm.py)."""

from __future__ import annotations

import pytest

from rag.errors import ConfigError


def test_llm_factory_lists_valid_backends(settings):
    from rag.llm import build_llm

    bad = settings.model_copy(update={"llm_backend": "nope"})
    with pytest.raises(ConfigError, match="llama_cpp, ollama, openai_like"):
        build_llm(bad)


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
