"""Ingestion through the real parts: all-MiniLM-L6-v2, Chroma on disk and over HTTP, the CLI."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rag.settings import Settings
from rag.store import Store
from tests.conftest import REPO, SAMPLE, SAMPLE_ARTICLE, SHARED, ingest_paths

MULTIHOP = SHARED / "datasets" / "multihop-rag" / "corpus.jsonl"
NEWSRAG = [sys.executable, "-m", "rag.cli"]

# The kill -9 corpus: mostly one-chunk briefs, every KILL_LONG_EVERY-th a longer article of
# two or three chunks, in files of KILL_PER_FILE. About 1,000 chunks: the pipeline writes them
# in 4 groups of KILL_GROUP, so a fast machine still has most of them to go when the first
# group lands (the kill), while a slow 2-core one embeds all of them in about 15 s.
KILL_ARTICLES = 1000
KILL_PER_FILE = 20
KILL_LONG_EVERY = 20
KILL_GROUP = 256  # NEWSRAG_INGEST_GROUP_CHUNKS for the killed ingest
OUTLETS = [
    ("Daily Sabah", "dailysabah.com"),
    ("Reuters", "reuters.com"),
    ("Al Jazeera", "aljazeera.com"),
    ("BBC News", "bbc.co.uk"),
    ("Eurasianet", "eurasianet.org"),
    ("The Guardian", "theguardian.com"),
    ("Anadolu Agency", "aa.com.tr"),
]
PLACES = ["Baku", "Yerevan", "Moscow", "Ankara", "Tbilisi", "Tehran", "Stepanakert", "Shusha"]
AUTHORS = ["Leyla Aliyeva", "Sam Porter", "Anna Petrova", "Mehmet Kaya", "", "Daily Sabah"]


def _sample_sentences() -> list[str]:
    """The bundled sample article's sentences (title and photo caption left out)."""
    body = SAMPLE_ARTICLE.read_text("utf-8").split("\n", 2)[2]
    parts = re.split(r"(?<=[.!?\"])\s+(?=[A-Z\"])", body.strip())
    return [s.strip() for s in parts if len(s) > 30]


def _vary_number(rng: random.Random, match: re.Match) -> str:
    """A count or day near the original (years stay as they are)."""
    value = int(match.group(0).replace(",", ""))
    if 1900 <= value <= 2030:
        return match.group(0)
    return f"{max(1, round(value * rng.uniform(0.5, 1.5))):,}"


def _record(rng: random.Random, n: int, sentences: tuple[int, int]) -> dict:
    """A multihop-shaped record: a lead sentence of its own, then (lo, hi) of the sample's
    sentences shuffled, with numbers and places varied, so no two articles or chunks match."""
    outlet, domain = OUTLETS[n % len(OUTLETS)]
    when = datetime(2023, 6, 1, tzinfo=UTC) + timedelta(days=n % 170, minutes=rng.randrange(1440))
    place = rng.choice(PLACES)
    picked = rng.sample(_sample_sentences(), rng.randint(*sentences))
    picked = [
        re.sub(r"\d+(?:,\d{3})*", lambda m: _vary_number(rng, m), s).replace(
            "Nagorno-Karabakh", rng.choice(["Nagorno-Karabakh", "Karabakh", place + " province"])
        )
        for s in picked
    ]
    lead = f"{rng.randrange(3, 900)} observers in {place} filed report {n} on {when:%A}."
    paragraphs = [lead]
    while picked:
        take = rng.randint(1, 3)
        paragraphs.append(" ".join(picked[:take]))
        picked = picked[take:]
    return {
        "title": f"{place}: report {n} on the ceasefire ({when:%b %d})",
        "author": rng.choice(AUTHORS),
        "source": outlet,
        "published_at": when.isoformat(),
        "category": rng.choice(["world", "politics", "security"]),
        "url": f"https://www.{domain}/{when:%Y/%m/%d}/report-{n}-{place.lower()}",
        "body": "\n\n".join(paragraphs),
    }


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


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


def _sample_files() -> list[Path]:
    """The bundled sample's article files (``.meta.json`` sidecars are metadata, not articles)."""
    return [
        p
        for p in SAMPLE.rglob("*")
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".meta.json")
    ]


def test_bundled_sample_with_real_embedder(settings, store, real_embedder):
    report = ingest_paths(settings, store, real_embedder, SAMPLE)
    assert not report.failed and len(report.added) == len(_sample_files())
    [nagorno] = [a for a in store.articles() if a["title"].startswith("Azerbaijan thwarts")]
    assert nagorno["chunk_count"] >= 3
    hits = store.query(real_embedder.embed(["How many peacekeepers did Moscow deploy?"])[0], 2)
    assert "2,000 peacekeepers" in hits[0][0].text
    assert _consistent(store) == (len(report.added), report.chunks)


def test_jsonl_corpus_ingests_as_is_and_again_changes_nothing(
    settings, store, real_embedder, tmp_path: Path
):
    records = [_record(random.Random(n), n, sentences=(4, 9)) for n in range(8)]
    corpus = _write_jsonl(tmp_path / "corpus.jsonl", records)
    first = ingest_paths(settings, store, real_embedder, corpus)
    assert not first.failed and not first.unchanged
    assert len(first.added) == len(records)
    articles, chunks = _consistent(store)
    assert articles == len(records) and chunks >= len(records)
    got = store.collection.get(include=["metadatas"])["metadatas"]
    by_url = {m["url"]: m for m in got}
    assert set(by_url) == {r["url"] for r in records}
    for r in records:  # outlet, date and link come through from the record as they were
        meta = by_url[r["url"]]
        assert meta["source"] == r["source"] and meta["title"] == r["title"]
        assert meta["published_ts"] == int(datetime.fromisoformat(r["published_at"]).timestamp())
    again = ingest_paths(settings, store, real_embedder, corpus)
    assert (again.added, again.updated, again.removed, again.chunks) == ([], [], [], 0)
    assert len(again.unchanged) == len(records) and not again.failed
    assert _consistent(store) == (articles, chunks)


@pytest.mark.skipif(
    not MULTIHOP.is_file(),
    reason=f"external dataset check: MultiHop-RAG corpus not found at {MULTIHOP}",
)
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


def _expected_chunks(folder: Path) -> dict[str, int]:
    """doc_id -> chunk count of a clean ingest, from the same load/clean/chunk stages."""
    from ingest.chunk import chunk_article
    from ingest.clean import clean
    from ingest.load import load_file

    s = Settings()
    overlap = min(s.chunk_overlap, s.chunk_size // 2)
    out = {}
    for path in sorted(folder.glob("*.jsonl")):
        for raw in load_file(path, 10**9):
            article = clean(raw)
            out[article.doc_id] = len(chunk_article(article, s.chunk_size, overlap))
    return out


def _count(db: Path, where: str = "") -> int:
    """Rows in the docstore's articles table."""
    with closing(sqlite3.connect(db, timeout=5)) as con:
        return con.execute(f"SELECT COUNT(*) FROM articles {where}").fetchone()[0]


def _written(db: Path) -> int:
    """Rows the running ingest has written so far (0 until the docstore has its tables)."""
    try:
        return _count(db) if db.exists() else 0
    except sqlite3.Error:
        return 0


def test_kill_9_mid_ingest_then_rerun_converges(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rng = random.Random(9)
    records = [
        _record(rng, n, (6, 12) if n % KILL_LONG_EVERY == 0 else (1, 1))
        for n in range(KILL_ARTICLES)
    ]
    for f in range(0, KILL_ARTICLES, KILL_PER_FILE):
        _write_jsonl(corpus / f"part-{f // KILL_PER_FILE:03d}.jsonl", records[f:][:KILL_PER_FILE])
    expected = _expected_chunks(corpus)
    assert len(expected) == KILL_ARTICLES
    assert sum(expected.values()) > 3 * KILL_GROUP  # written in several groups, see above
    data = tmp_path / "data"
    env = _env(data, NEWSRAG_INGEST_GROUP_CHUNKS=str(KILL_GROUP))
    proc = subprocess.Popen(
        [*NEWSRAG, "ingest", str(corpus)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = data / "docstore.sqlite3"
    deadline = time.time() + 240  # a generous bound for a busy machine; never reached normally
    # Kill as soon as the first group of articles shows up in the docstore.
    while proc.poll() is None and time.time() < deadline and _written(db) == 0:
        time.sleep(0.02)
    try:
        assert proc.poll() is None, "ingest finished before it could be killed"
        assert _written(db) > 0, "ingest wrote nothing in 240 s"
    finally:
        proc.send_signal(signal.SIGKILL)  # a no-op if it has already exited
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "ingest finished before it could be killed"
    rows, complete = _count(db), _count(db, "WHERE status='complete'")
    assert complete < KILL_ARTICLES, "ingest finished before it could be killed"
    rerun = subprocess.run(
        [*NEWSRAG, "ingest", str(corpus), "--json"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    report = json.loads(rerun.stdout)
    assert not report["failed"] and not report["updated"]
    assert len(report["recovered"]) == rows - complete  # half-written ones were cleaned up
    assert len(report["unchanged"]) == complete  # what was finished is not done again
    assert set(report["added"]) | set(report["unchanged"]) == set(expected)
    store = Store(Settings(data_dir=data))
    try:
        assert _consistent(store) == (KILL_ARTICLES, sum(expected.values()))
        assert {a["doc_id"]: a["chunk_count"] for a in store.articles()} == expected
    finally:
        store.close()


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
    assert not report.failed and len(report.added) == len(_sample_files())
    assert store.summary()["chroma"].startswith("http")
    assert _consistent(store) == (len(report.added), report.chunks)
    again = ingest_paths(settings, store, real_embedder, SAMPLE)
    assert again.chunks == 0 and len(again.unchanged) == len(report.added)
    # A filtered search names its chunks to the server, and finds what the where clause finds.
    from rag.retrieve import Filters

    chunks = store.all_chunks()
    outlet = next(c.meta["source"] for c in chunks if c.meta.get("source"))
    only = Filters(sources=[outlet]).chunk_filter()
    vector = real_embedder.embed(["What did the court hear?"])[0]
    assert store._allowed_ids(only)
    named = [c.chunk_id for c, _ in store.query(vector, 5, only)]
    settings.dense_filter_max_ids = 0
    assert named == [c.chunk_id for c, _ in store.query(vector, 5, only)]
    assert named and all(c.meta["source"] == outlet for c in chunks if c.chunk_id in named)


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
