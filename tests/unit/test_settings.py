"""rag.settings: defaults, then newsrag.toml, then NEWSRAG_* variables."""

from __future__ import annotations

from pathlib import Path

from rag.settings import Settings


def test_settings_precedence_defaults_toml_env(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Settings().chunk_size == 256
    (tmp_path / "newsrag.toml").write_text('chunk_size = 128\ncollection = "fromtoml"\n')
    assert (Settings().chunk_size, Settings().collection) == (128, "fromtoml")
    monkeypatch.setenv("NEWSRAG_CHUNK_SIZE", "64")
    s = Settings()
    assert (s.chunk_size, s.collection) == (64, "fromtoml")
