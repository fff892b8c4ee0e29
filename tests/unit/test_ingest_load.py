"""ingest/load.py: files, folders and feeds to raw articles, on small hand-made inputs; bad
inputs, odd folders and noisy PDFs each get one line naming the path."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from ingest.clean import clean
from ingest.load import expand_paths, load_file
from rag.documents import RawArticle
from rag.errors import IngestError
from rag.settings import Settings
from tests.conftest import SAMPLE_ARTICLE
from tests.fakes import FakeEmbedder

MB = 1_000_000
BODY = "Moscow deployed almost 2,000 peacekeepers to the region, the ministry said on Monday."


def test_sample_txt_title_from_first_line_and_caption_dropped():
    [raw] = load_file(SAMPLE_ARTICLE, 20 * MB)
    assert raw.title.startswith("Azerbaijan thwarts 'illegal' Armenian")
    article = clean(raw)
    assert "(AA Photo)" not in article.text
    assert article.text.startswith("Azerbaijani forces prevented a sabotage attempt")
    assert article.doc_id.startswith("h") and len(article.doc_id) == 17


def test_markdown_heading_is_title(tmp_path: Path):
    f = tmp_path / "a.md"
    f.write_text("# Big news today\n\nSomething happened in the city on Monday. More followed.")
    [raw] = load_file(f, MB)
    assert raw.title == "Big news today"
    assert "Something happened" in raw.text


def test_html_main_text_and_metadata(tmp_path: Path):
    body = " ".join(["The council approved the new budget after a long debate."] * 8)
    f = tmp_path / "page.html"
    f.write_text(
        "<html><head><title>Council passes budget</title>"
        '<meta property="og:site_name" content="City Gazette">'
        '<meta name="author" content="Jane Roe">'
        '<meta property="article:published_time" content="2023-10-05T08:00:00Z">'
        '<link rel="canonical" href="https://gazette.example/budget">'
        f"</head><body><nav>Home | Sports</nav><article><h1>Council passes budget</h1>"
        f"<p>{body}</p></article><footer>Contact us</footer></body></html>"
    )
    [raw] = load_file(f, MB)
    article = clean(raw)
    assert article.title == "Council passes budget"
    assert article.source == "City Gazette"
    assert article.author == "Jane Roe"
    assert article.published.startswith("2023-10-05")
    assert article.url == "https://gazette.example/budget"
    assert "Contact us" not in article.text


def test_jsonl_records_with_field_map_and_bad_record(tmp_path: Path):
    f = tmp_path / "a.jsonl"
    rows = [
        {"headline": "One", "article_body": "First story text is here. It is long enough."},
        {"headline": "Two", "summary_only": "x"},
        {"headline": "Three", "article_body": "Third story text here, also long enough."},
    ]
    f.write_text("\n".join(json.dumps(r) for r in rows))
    items = load_file(f, MB, field_map={"text": "article_body"})
    good = [i for i in items if isinstance(i, RawArticle)]
    bad = [i for i in items if isinstance(i, IngestError)]
    assert [g.title for g in good] == ["One", "Three"]
    assert len(bad) == 1 and "record 2" in str(bad[0]) and "no body" in str(bad[0])


def test_json_array_multihop_shape(tmp_path: Path):
    f = tmp_path / "a.json"
    f.write_text(
        json.dumps(
            [
                {
                    "title": "T",
                    "source": "The Verge",
                    "author": "A",
                    "published_at": "2023-09-26T17:01:22+00:00",
                    "url": "https://x.example/1",
                    "body": "Body text of a story.",
                }
            ]
        )
    )
    [raw] = load_file(f, MB)
    art = clean(raw)
    assert (art.source, art.published_ts) == ("The Verge", 1695747682)
    assert art.doc_id.startswith("u")


def test_rss_feed_one_article_per_entry(tmp_path: Path):
    f = tmp_path / "feed.xml"
    f.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Daily Wire Service</title>'
        "<item><title>First</title><link>https://n.example/1</link>"
        "<pubDate>Tue, 10 Oct 2023 10:00:00 GMT</pubDate>"
        "<description>&lt;p&gt;The first entry says the bridge reopened on Monday.&lt;/p&gt;"
        "</description></item>"
        "<item><title>Second</title><link>https://n.example/2</link>"
        "<description>The second entry reports heavy rain in the north.</description></item>"
        "</channel></rss>"
    )
    items = load_file(f, MB)
    assert [i.title for i in items] == ["First", "Second"]
    assert items[0].source == "Daily Wire Service"
    assert "bridge reopened" in items[0].text and "<p>" not in items[0].text
    assert clean(items[0]).published.startswith("2023-10-10")


def _minimal_pdf(text: str) -> bytes:
    """A one-page PDF with one line of Helvetica text (no PDF library needed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF".encode()
    return out


def test_pdf_text(tmp_path: Path):
    f = tmp_path / "story.pdf"
    f.write_bytes(_minimal_pdf("The harbour reopened to ships on Friday after repairs."))
    [raw] = load_file(f, MB)
    assert "harbour reopened" in raw.text


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file. Nothing to ingest."),
        ("blob.txt", b"\x00\x01\x02binary" * 50, "binary"),
        ("latin.txt", "Caf\u00e9 society news item here.".encode("latin-1"), "UTF-8"),
        ("nav.html", b"<html><body><nav>Home</nav></body></html>", "no article text"),
        ("nobody.json", b'{"title": "x"}', "no body"),
        ("bad.json", b"{not json", "invalid JSON"),
        ("data.csv", b"a,b\n1,2", "unsupported file type"),
        ("notfeed.xml", b"<root><a>1</a></root>", "not an RSS/Atom feed"),
    ],
)
def test_bad_inputs_give_one_line_reasons(tmp_path: Path, name: str, content: bytes, reason: str):
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(IngestError) as info:
        items = load_file(f, MB)
        errors = [i for i in items if isinstance(i, IngestError)]
        if errors:
            raise errors[0]
        for item in items:
            clean(item)
    message = str(info.value)
    assert reason.lower() in message.lower()
    assert "\n" not in message


def test_oversized_file_is_refused(tmp_path: Path):
    f = tmp_path / "huge.txt"
    f.write_bytes(b"word " * (11 * MB // 5))
    with pytest.raises(IngestError, match="over the 10 MB limit"):
        load_file(f, 10 * MB)


def test_expand_paths_folders_globs_and_missing(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    for name in ("a.txt", "sub/b.md", "sub/c.json"):
        (tmp_path / name).write_text("x")
    files, missing = expand_paths([tmp_path, str(tmp_path / "*.txt"), tmp_path / "nope.txt"])
    assert sorted(p.name for p in files) == ["a.txt", "b.md", "c.json"]
    assert missing == [(str(tmp_path / "nope.txt"), "path does not exist: check the spelling")]


# Folders that are not just files, PDFs that complain ------------------------------------------
def test_unreadable_folder_is_skipped_with_a_line_and_the_rest_is_ingested(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Settings, store: Any
) -> None:
    from ingest.pipeline import Ingestor

    (tmp_path / "in" / "locked").mkdir(parents=True)
    (tmp_path / "in" / "locked" / "secret.txt").write_text("Secret\n\n" + BODY)
    (tmp_path / "in" / "good.txt").write_text("Good news\n\n" + BODY)
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:  # root ignores chmod, so deny the folder here
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    files, skipped = expand_paths([tmp_path / "in"])
    assert [f.name for f in files] == ["good.txt"]
    assert skipped == [
        (str(tmp_path / "in" / "locked"), "cannot read this folder (permission denied): skipped")
    ]
    report = Ingestor(settings, store, FakeEmbedder()).run([str(tmp_path / "in")])
    assert len(report.added) == 1 and report.ok
    assert [p for p, _ in report.failed] == [str(tmp_path / "in" / "locked")]


def test_symlink_loops_dangling_links_and_fifos_each_get_a_line(tmp_path: Path) -> None:
    root = tmp_path / "in"
    root.mkdir()
    (root / "good.txt").write_text("Good news\n\n" + BODY)
    os.symlink(root, root / "loop")
    os.symlink(root / "self", root / "self")
    os.symlink(root / "gone.txt", root / "dangling.txt")
    os.mkfifo(root / "pipe.txt")
    files, skipped = expand_paths([root, root / "pipe.txt", root / "dangling.txt"])
    assert [f.name for f in files] == ["good.txt"]
    reasons = {Path(p).name: why for p, why in skipped}
    assert reasons["loop"].startswith("symlink loop")
    assert reasons["self"].startswith("symlink loop")
    assert reasons["dangling.txt"].startswith("dangling symlink")
    assert reasons["pipe.txt"] == "not a regular file (a FIFO)"
    assert len(skipped) == 6  # the FIFO and the dangling link are also named as inputs


def test_pypdf_warnings_name_the_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from ingest import load

    def noisy_reader(path: str) -> Any:
        logging.getLogger("pypdf._reader").warning("incorrect startxref pointer(%d)", 3)
        raise ValueError("broken")

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4 junk")
    import pypdf

    real = pypdf.PdfReader
    pypdf.PdfReader = noisy_reader  # type: ignore[assignment]
    try:
        with (
            caplog.at_level(logging.WARNING),
            load.collect_warnings() as warnings,
            pytest.raises(load.IngestError, match="unreadable PDF"),
        ):
            load.load_pdf(pdf, 10_000)
    finally:
        pypdf.PdfReader = real  # type: ignore[assignment]
    assert warnings == [(str(pdf), "pypdf: incorrect startxref pointer(3)")]
    assert not any(r.name.startswith("pypdf") for r in caplog.records)  # only the named line


def test_plain_text_titles_front_matter_and_wrapped_lines(tmp_path: Path):
    # A hard-wrapped paragraph's first line carries on into the next: no title is cut off.
    wrapped = tmp_path / "wrapped.txt"
    wrapped.write_text(
        "The city council voted on Tuesday to approve a new budget for public\n"
        "transit, adding twelve bus routes across the northern districts.\n"
    )
    [raw] = load_file(wrapped, MB)
    assert raw.title == "" and raw.text.startswith("The city council voted")
    # A headline standing apart (a blank line, or a sentence starting after it) is a title.
    for text in ("Council backs budget\n\nThe council voted.", "Council backs budget\nIt voted."):
        (tmp_path / "t.txt").write_text(text)
        [raw] = load_file(tmp_path / "t.txt", MB)
        assert raw.title == "Council backs budget", text
    # Markdown front matter gives the article's fields and is not its text.
    fm = tmp_path / "fm.md"
    fm.write_text(
        "---\ntitle: Council backs budget\nauthor: Lee Park\ndate: 2023-12-03\n"
        "source: River City Times\n---\n\nThe council voted on Tuesday to fund more buses.\n"
    )
    [raw] = load_file(fm, MB)
    assert (raw.title, raw.author, raw.published, raw.source) == (
        "Council backs budget",
        "Lee Park",
        "2023-12-03",
        "River City Times",
    )
    assert raw.text.strip() == "The council voted on Tuesday to fund more buses."


def test_utf16_text_and_sidecars_beside_many_records(tmp_path: Path, caplog):
    f = tmp_path / "u16.txt"
    f.write_bytes("Headline\n\nThe council voted on Tuesday.".encode("utf-16"))
    [raw] = load_file(f, MB)
    assert raw.title == "Headline" and "council voted" in raw.text
    # A sidecar speaks for a JSON Lines file as a whole: its outlet fills in, its url (an
    # article's identity) is not given to every record, which would make them one article.
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        "\n".join(
            json.dumps({"title": f"K{i}", "url": f"https://k.example/{i}", "body": f"Story {i}."})
            for i in range(3)
        )
    )
    (tmp_path / "feed.meta.json").write_text(
        json.dumps({"source": "K Wire", "url": "https://k.example/", "published": "2023-06-01"})
    )
    with caplog.at_level(logging.WARNING, logger="newsrag.ingest"):
        raws = load_file(feed, MB)
    assert [r.url for r in raws] == [f"https://k.example/{i}" for i in range(3)]
    assert {r.source for r in raws} == {"K Wire"} and {r.published for r in raws} == {""}
    assert "sidecar's url, published would be every record's" in caplog.text
    # A sidecar that is not JSON is said, not silently dropped.
    (tmp_path / "bad.txt").write_text("Headline\n\nThe council voted on Tuesday.")
    (tmp_path / "bad.meta.json").write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="newsrag.ingest"):
        load_file(tmp_path / "bad.txt", MB)
    assert "bad.meta.json is not a readable JSON object" in caplog.text


def test_published_dates_are_whole_dates_or_none():
    from ingest.clean import parse_date

    assert parse_date("1701598500")[0] == "2023-12-03T10:15:00+00:00"  # epoch seconds
    assert parse_date("1701598500000")[1] == 1701598500  # milliseconds
    # A year, a month or a weekday alone is no date: nothing is made up for the rest.
    for partial in ("2021", "December 2023", "Tuesday"):
        assert parse_date(partial) == ("", None), partial
