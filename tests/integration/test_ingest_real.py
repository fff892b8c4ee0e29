"""Ingestion through the real parts: all-MiniLM-L6-v2, Chroma on disk and over HTTP, the CLI."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.settings import Settings
from rag.store import Store
from tests.conftest import REPO, SAMPLE, SHARED, ingest_paths

MULTIHOP = SHARED / "datasets" / "multihop-rag" / "corpus.jsonl"
NEWSRAG = [sys.executable, "-m", "rag.cli"]


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "NEWSRAG_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", **extra}


def _consistent(store: Store) -> tuple[int, int]:
    """(articles, chunks) after checking Chroma and the docstore agree exactly."""
    ids = store.collection.get()["ids"]
    arts = store.articles()
    assert len(ids) == len(set(ids)) == sum(a["chunk_count"] for a in arts)
    by_doc = {a["doc_id"] for a in arts}
    assert {i.rsplit(":", 1)[0] for i in ids} == by_doc
    pending = store._db.execute("SELECT COUNT(*) FROM articles WHERE status!='complete'")
    assert pending.fetchone()[0] == 0
    return len(arts), len(ids)


def test_bundled_sample_with_real_embedder(settings, store, real_embedder):
    report = ingest_paths(settings, store, real_embedder, SAMPLE)
    assert len(report.added) == 1 and report.chunks >= 3
    hits = store.query(real_embedder.embed(["How many peacekeepers did Moscow deploy?"])[0], 2)
    assert "2,000 peacekeepers" in hits[0][0].text
    assert _consistent(store) == (1, report.chunks)


def test_multihop_corpus_ingests_as_is_and_again_changes_nothing(settings, store, real_embedder):
    first = ingest_paths(settings, store, real_embedder, MULTIHOP)
    lines = [json.loads(x) for x in MULTIHOP.read_text().splitlines() if x.strip()]
    assert not first.failed
    assert len(first.added) == len({r["url"] for r in lines})
    articles, chunks = _consistent(store)
    meta = store.collection.get(limit=1, include=["metadatas"])["metadatas"][0]
    assert meta["source"] and meta["published_ts"] > 1_690_000_000 and meta["url"]
    again = ingest_paths(settings, store, real_embedder, MULTIHOP)
    assert (again.added, again.updated, again.chunks) == ([], [], 0)
    assert _consistent(store) == (articles, chunks)


def test_kill_9_mid_ingest_then_rerun_converges(tmp_path: Path):
    data = tmp_path / "data"
    env = _env(data)
    proc = subprocess.Popen(
        [*NEWSRAG, "ingest", str(MULTIHOP)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = data / "docstore.sqlite3"
    deadline = time.time() + 120
    written = 0
    while time.time() < deadline and proc.poll() is None:
        if db.exists():
            try:
                with sqlite3.connect(db, timeout=1) as con:
                    written = con.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
            except sqlite3.Error:
                written = 0
            if written >= 20:
                break
        time.sleep(0.05)
    assert proc.poll() is None, "ingest finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    rerun = subprocess.run(
        [*NEWSRAG, "ingest", str(MULTIHOP), "--json"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    store = Store(Settings(data_dir=data))
    articles, _ = _consistent(store)
    urls = {json.loads(x)["url"] for x in MULTIHOP.read_text().splitlines() if x.strip()}
    assert articles == len(urls)


def test_cli_bad_inputs_folder(tmp_path: Path):
    data = tmp_path / "data"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(os.urandom(2048).replace(b"\n", b"\x00"))
    (bad / "latin1.txt").write_bytes("Caf\u00e9 r\u00e9sum\u00e9 news story.".encode("latin-1"))
    (bad / "nav.html").write_text("<html><body><nav>Home</nav><footer>x</footer></body></html>")
    (bad / "nobody.jsonl").write_text('{"title": "no body here"}\n')
    big = bad / "huge.txt"
    with big.open("wb") as fh:
        fh.write(b"All work and no play. " * (50 * 1024 * 1024 // 22 + 1))
    first = subprocess.run(
        [*NEWSRAG, "ingest", str(bad), str(tmp_path / "nope.txt")],
        env=_env(data),
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert first.returncode == 1  # nothing could be ingested
    for name in (
        "empty.txt",
        "binary.txt",
        "latin1.txt",
        "nav.html",
        "nobody.jsonl",
        "huge.txt",
        "nope.txt",
    ):
        assert name in first.stderr, name
    assert "Traceback" not in first.stderr
    # good files in the same run still go in; what was stored before is untouched
    shutil.copy(SAMPLE / "nagorno-karabakh-sabotage.txt", bad / "good.txt")
    second = subprocess.run(
        [*NEWSRAG, "ingest", str(bad), "--json"],
        env=_env(data),
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert len(report["added"]) == 1 and len(report["failed"]) == 6
    listed = subprocess.run(
        [*NEWSRAG, "sources", "--json"], env=_env(data), cwd=REPO, capture_output=True, text=True
    )
    [row] = json.loads(listed.stdout)
    assert row["title"].startswith("Azerbaijan thwarts")
    removed = subprocess.run(
        [*NEWSRAG, "remove", row["doc_id"]],
        env=_env(data),
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert removed.returncode == 0
    assert (
        json.loads(
            subprocess.run(
                [*NEWSRAG, "sources", "--json"],
                env=_env(data),
                cwd=REPO,
                capture_output=True,
                text=True,
            ).stdout
        )
        == []
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path: Path):
    """A real `chroma run` on loopback, stopped after the test."""
    port = _free_port()
    exe = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [
            str(exe),
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--path",
            str(tmp_path / "chroma-server"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    yield port
    proc.terminate()
    proc.wait(timeout=20)


def test_http_chroma_server(tmp_path: Path, chroma_server: int, real_embedder):
    settings = Settings(data_dir=tmp_path / "data", chroma_mode="http", chroma_port=chroma_server)
    store = Store(settings)
    report = ingest_paths(settings, store, real_embedder, SAMPLE)
    assert len(report.added) == 1
    assert store.summary()["chroma"].startswith("http")
    assert _consistent(store)[1] == report.chunks
    again = ingest_paths(settings, store, real_embedder, SAMPLE)
    assert again.chunks == 0 and len(again.unchanged) == 1


def test_http_chroma_down_is_one_clear_line(tmp_path: Path):
    port = _free_port()
    result = subprocess.run(
        [*NEWSRAG, "ingest", str(SAMPLE)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=_env(tmp_path / "d", NEWSRAG_CHROMA_MODE="http", NEWSRAG_CHROMA_PORT=str(port)),
    )
    assert result.returncode == 2
    assert "Cannot reach the Chroma server" in result.stderr and "chroma run" in result.stderr
    assert "Traceback" not in result.stderr
