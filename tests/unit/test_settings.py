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


def test_an_optional_setting_is_unset_from_the_environment_by_none(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Settings().yes_entailment_threshold == 0.5
    monkeypatch.setenv("NEWSRAG_YES_ENTAILMENT_THRESHOLD", "none")
    assert Settings().yes_entailment_threshold is None
    monkeypatch.setenv("NEWSRAG_YES_ENTAILMENT_THRESHOLD", "0.7")
    assert Settings().yes_entailment_threshold == 0.7
