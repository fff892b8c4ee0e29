"""The `newsrag` command: thin; it parses, calls the packages and prints."""

from __future__ import annotations

import json
import logging
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from rag.errors import NewsragError
from rag.settings import TOP_K_MAX, TOP_K_MIN, Settings

app = typer.Typer(
    help="Ask questions of your news articles; every claim cited.",
    no_args_is_help=True,
    add_completion=False,
)
models_app = typer.Typer(help="List and fetch the local models.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks that print numbers.", no_args_is_help=True)
app.add_typer(models_app, name="models")
app.add_typer(bench_app, name="bench")
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def load_settings() -> Settings:
    """The settings, or one error line (exit 2) naming the bad NEWSRAG_* value."""
    from rag.settings import load_settings as build

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    try:
        return build()
    except NewsragError as exc:
        fail(exc)
        raise  # unreachable: fail() exits


def fail(exc: NewsragError) -> NoReturn:
    console.print(f"[bold red]error:[/] {exc}", highlight=False)
    raise typer.Exit(2)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


# Models ------------------------------------------------------------------
@models_app.command("list")
def models_list() -> None:
    """Known models, their size, and whether they are in the model cache."""
    from rag.models import REGISTRY, is_present, model_path

    settings = load_settings()
    table = Table("name", "kind", "size", "present", "about")
    for spec in REGISTRY.values():
        present = "yes" if is_present(spec, settings) else "no"
        table.add_row(spec.name, spec.kind, f"{spec.size / 1e6:,.0f} MB", present, spec.description)
    out.print(table)
    out.print(f"model cache: {settings.model_dir}")
    _ = model_path


@models_app.command("pull")
def models_pull(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Models to fetch (default: the embedder and the default LLM)."),
    ] = None,
) -> None:
    """Fetch, verify (size + sha256) and cache models; a verified model is not fetched again."""
    from rag.models import pull

    settings = load_settings()
    wanted = names or [settings.embed_model, settings.llm_model]
    try:
        for name in wanted:
            with _progress() as bar:
                task = bar.add_task(f"fetching {name}", total=None)

                def step(done: int, total: int, task=task, bar=bar) -> None:
                    bar.update(task, completed=done, total=total)

                path, fetched = pull(name, settings, progress=step)
            out.print(
                f"{name}: {'fetched and verified' if fetched else 'already present'} -> {path}"
            )
    except NewsragError as exc:
        fail(exc)


# Ingestion ---------------------------------------------------------------
def _parse_fields(fields: list[str]) -> dict[str, str]:
    mapping = {}
    for item in fields:
        key, sep, value = item.partition("=")
        if not sep or key not in ("text", "title", "published", "url", "source", "author"):
            raise typer.BadParameter(
                f"'{item}': use KEY=FIELD with KEY in text, title, published, url, source, author"
            )
        mapping[key] = value
    return mapping


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, folders (recursive) or globs.")],
    field: Annotated[list[str], typer.Option(help="Map a JSON field, e.g. text=article_body")] = [],  # noqa: B006
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Ingest articles (txt, md, html, json/jsonl, pdf, RSS/Atom) into the store."""
    from rag.library import Library

    library = Library(load_settings())
    mapping = _parse_fields(field)
    # The report below says every warning the loaders log: not Python's bare stderr line too.
    logging.getLogger("newsrag.ingest").addHandler(logging.NullHandler())
    try:
        with ExitStack() as stack:
            bars: list[Progress] = []  # shown from the first step: errors before it stay alone
            tasks: dict[str, int] = {}

            def step(stage: str, done: int, total: int) -> None:
                if not bars:
                    bars.append(stack.enter_context(_progress()))
                if stage not in tasks:
                    tasks[stage] = bars[0].add_task(stage, total=total)
                bars[0].update(tasks[stage], completed=done, total=total)

            # Reaches the store first (a Chroma server that is down fails before any model
            # loads), then refuses a store whose vectors have another size.
            ingested = library.ingest(paths, mapping, progress=step)
    except NewsragError as exc:
        fail(exc)
    report, warnings = ingested.report, ingested.warnings
    if as_json:
        data = report.to_dict()
        data.setdefault("warnings", [list(w) for w in warnings])
        out.print_json(json.dumps(data))
    else:
        for path, reason in report.failed:
            console.print(f"[yellow]skipped[/] {path}: {reason}", highlight=False)
        for path, message in warnings:
            console.print(f"[yellow]warning[/] {path}: {message}", highlight=False)
        if report.recovered:
            out.print(f"cleaned up {len(report.recovered)} half-ingested article(s)")
        out.print(report.summary_line())
        summary = library.summary()
        out.print(
            f"store: {summary['articles']} articles, {summary['chunks']} chunks "
            f"in {summary['chroma']}"
        )
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def sources(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List ingested articles with their metadata and chunk counts."""
    from rag.library import Library

    try:
        rows = Library(load_settings()).articles()
    except NewsragError as exc:
        fail(exc)
        return
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table()
    # The id is what `newsrag remove` takes: shown whole, never cut or wrapped.
    table.add_column(
        "doc_id", no_wrap=True, min_width=max((len(r["doc_id"]) for r in rows), default=6)
    )
    table.add_column("title", ratio=3)
    table.add_column("outlet", ratio=1)
    table.add_column("published", no_wrap=True)
    table.add_column("chunks", justify="right")
    table.add_column("path", ratio=2, overflow="fold")
    for r in rows:
        table.add_row(
            r["doc_id"],
            r["title"][:60],
            r["source"],
            (r["published"] or "")[:10],
            str(r["chunk_count"]),
            r["path"],
        )
    out.print(table)
    out.print(f"{len(rows)} articles")


@app.command()
def remove(targets: Annotated[list[str], typer.Argument(help="doc ids or file paths")]) -> None:
    """Delete articles (by doc id, or every article from a path) and all their chunks."""
    from rag.library import Library

    library = Library(load_settings())
    missing = []
    for target in targets:
        try:
            removed, kept = library.removal(target)  # a doc id, or a file or folder path
        except NewsragError as exc:
            fail(exc)
        if not removed and not kept:
            missing.append(target)
        for doc_id in removed:
            out.print(f"removed {doc_id}")
        for doc_id, other in kept.items():
            out.print(f"kept {doc_id}: {other} holds it too")
    if missing:
        console.print(
            f"[red]not found:[/] {', '.join(missing)} (see `newsrag sources` for doc ids and paths)"
        )
        raise typer.Exit(1)


@app.command()
def status() -> None:
    """Where the store is and what it holds."""
    from rag.library import Library

    try:
        out.print_json(json.dumps(Library(load_settings()).summary()))
    except NewsragError as exc:
        fail(exc)


@app.command()
def doctor(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The store's health: articles, chunks, vectors, unfinished writes, last ingest, index
    versions, and what to do about any problem. Exits 1 when something needs fixing."""
    from rag.library import Library

    try:
        health = Library(load_settings()).health()
    except NewsragError as exc:
        fail(exc)
    if as_json:
        out.print_json(json.dumps(health, default=str))
    else:
        for key, value in health.items():
            if key != "problems":
                out.print(f"{key:>22}: {value}")
        for problem in health.get("problems", []):
            console.print(f"[red]problem:[/] {problem}")
    if not health.get("ok", True):
        raise typer.Exit(1)


def _date_option(value: str | None, name: str):
    from datetime import date

    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{name} wants a date like 2023-10-31, got '{value}'") from None


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="A question about your articles.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print Answer.to_dict().")] = False,
    source: Annotated[list[str], typer.Option(help="Only this outlet (repeatable).")] = [],  # noqa: B006
    after: Annotated[str | None, typer.Option(help="Published on/after YYYY-MM-DD.")] = None,
    before: Annotated[str | None, typer.Option(help="Published on/before YYYY-MM-DD.")] = None,
    top_k: Annotated[
        int | None,
        typer.Option(help=f"Passages to retrieve, {TOP_K_MIN}-{TOP_K_MAX} (NEWSRAG_TOP_K)."),
    ] = None,
    model: Annotated[str | None, typer.Option(help="LLM (see `newsrag models list`).")] = None,
) -> None:
    """Answer a question from the ingested articles, with numbered sources."""
    from rag.dates import check_date_range
    from rag.engine import NewsRAG
    from rag.limits import check_question, check_top_k
    from rag.retrieve import Filters

    settings = load_settings()
    if model:
        settings = settings.model_copy(update={"llm_model": model})
    filters = Filters(
        sources=list(source),
        after=_date_option(after, "--after"),
        before=_date_option(before, "--before"),
    )
    try:
        check_question(question, settings)
        check_date_range(filters.after, filters.before)
        top_k = check_top_k(top_k)
        if model and settings.llm_backend == "llama_cpp":
            from rag.models import resolve

            resolve(model, settings)  # a wrong name fails now, not only when the model is needed
        rag = NewsRAG.from_settings(settings, load_llm=False)
        if rag.library.article_count() == 0:
            rag.retrieve(question)  # raises the "ingest first" error
        answer = rag.ask(question, filters, top_k)
    except NewsragError as exc:
        fail(exc)
        return
    if as_json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return
    out.print(answer.text, highlight=False)
    for note in answer.notes:
        console.print(f"[dim]{note}[/]", highlight=False)
    if answer.filters.get("date_phrase"):
        f = answer.filters
        console.print(
            f"[dim]date filter: {f['after'] or '…'} to {f['before'] or '…'} "
            f"(from “{f['date_phrase']}”)[/]",
            highlight=False,
        )
    if answer.filters.get("outlet_phrase"):
        console.print(f"[dim]outlet filter: {answer.filters['outlet_phrase']}[/]", highlight=False)
    if answer.citations:
        out.print("\nSources:")
    for c in answer.citations:
        date_ = (c.published or "")[:10] or "undated"
        out.print(
            f"[{c.number}] {c.title} — {c.outlet or 'unknown outlet'}, {date_}"
            + (f"\n    {c.url}" if c.url else ""),
            highlight=False,
        )
        out.print(f"    “{c.sentence}”", highlight=False, style="dim")
    unsupported = [s for s in answer.sentences if not s.supported]
    if unsupported and not answer.refused:
        console.print(
            f"[yellow]{len(unsupported)} sentence(s) not supported by the sources "
            "were kept but marked.[/]"
        )


# Evaluation ----------------------------------------------------------------
# `newsrag eval` and `newsrag bench scale` hand their arguments (--help included) to apps in
# eval/, imported only when one of them runs: the CLI sits above the parts it drives, so
# `newsrag sources` never imports the evaluation, the benchmarks or the UI.
_FORWARD = {"allow_extra_args": True, "ignore_unknown_options": True}


@app.command("eval", context_settings=_FORWARD, add_help_option=False)
def eval_cmd(ctx: typer.Context) -> None:
    """Run an evaluation suite (sample, multihop, rgb, ragtruth, pairs) and write its report;
    `newsrag eval --help` lists them (the same commands as `python -m eval`)."""
    from eval.cli import app as eval_app

    eval_app(args=ctx.args, prog_name="newsrag eval")


def _print_numbers(numbers: dict) -> None:
    table = Table("metric", "value")
    for key, value in numbers.items():
        table.add_row(key, f"{value:,.3f}" if isinstance(value, float) else str(value))
    out.print(table)


@bench_app.command("ingest")
def bench_ingest_cmd(
    corpus: Annotated[
        Path | None, typer.Option(help="JSONL corpus (default: MultiHop-RAG)")
    ] = None,
    rounds: Annotated[int, typer.Option(help="Interleaved rounds; the fastest is kept.")] = 2,
) -> None:
    """Ingest throughput and peak RSS vs. the embedder alone and a plain LlamaIndex pipeline."""
    from eval.bench import DEFAULT_CORPUS, bench_ingest

    load_settings()
    try:
        _print_numbers(bench_ingest(corpus or DEFAULT_CORPUS, rounds=rounds))
    except NewsragError as exc:
        fail(exc)


@bench_app.command("query")
def bench_query_cmd(
    model: Annotated[str | None, typer.Option(help="LLM registry name.")] = None,
    questions: Annotated[int, typer.Option(min=0, help="MultiHop questions to answer.")] = 12,
    sample: Annotated[int, typer.Option(min=0, help="Sample-set questions to answer.")] = 12,
    followups: Annotated[int, typer.Option(min=0, help="Sample-set follow-ups (chat turns).")] = 6,
    baseline: Annotated[
        bool, typer.Option(help="Also time LlamaIndex's CitationQueryEngine.")
    ] = True,
    chunks: Annotated[int, typer.Option(min=1, help="Store size for retrieval latency.")] = 10_000,
    corpus: Annotated[
        Path | None, typer.Option(help="JSONL corpus (default: MultiHop-RAG)")
    ] = None,
    queries: Annotated[
        Path | None, typer.Option(help="JSONL queries (default: MultiHop-RAG)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Retrieval latency at scale; TTFT, answer time, prompt tokens (new vs cached) and
    correctness vs. llama.cpp alone and LlamaIndex's CitationQueryEngine."""
    from eval.bench import DEFAULT_CORPUS, bench_query

    load_settings()
    try:
        numbers = bench_query(
            model,
            questions,
            corpus or DEFAULT_CORPUS,
            target_chunks=chunks,
            queries=queries,
            sample=sample,
            followups=followups,
            baseline=baseline,
        )
    except NewsragError as exc:
        fail(exc)
    if as_json:
        out.print_json(json.dumps(numbers))
    else:
        _print_numbers(numbers)


@bench_app.command("scale", context_settings=_FORWARD, add_help_option=False)
def bench_scale_cmd(ctx: typer.Context) -> None:
    """Retrieval latency, start-up, memory, disk and write cost as the store grows, beside
    a plain LlamaIndex pipeline (eval.scale); `newsrag bench scale --help` for its options."""
    from eval.scale import scale_cmd

    scale_app = typer.Typer(add_completion=False)
    scale_app.command()(scale_cmd)
    scale_app(args=ctx.args, prog_name="newsrag bench scale")


@app.command()
def chat(
    host: Annotated[
        str | None, typer.Option(help="Address to bind; loopback by default (NEWSRAG_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (NEWSRAG_PORT, default 7860).")] = None,
    auth: Annotated[
        str | None, typer.Option(help="user:pass turns on a login (NEWSRAG_AUTH).")
    ] = None,
) -> None:
    """Serve the chat UI in the browser: answers stream in, every claim links to its source."""
    from rag.engine import NewsRAG
    from rag.errors import LLMError, ModelError
    from ui.app import launch

    settings = load_settings()
    try:
        try:
            rag = NewsRAG.from_settings(settings)
        except (ModelError, LLMError) as exc:
            # Serve anyway: the library works, and each question says what to run.
            console.print(f"[yellow]warning:[/] {exc}", highlight=False)
            rag = NewsRAG.from_settings(settings, load_llm=False)
        launch(rag, settings, host, port, auth)
    except NewsragError as exc:
        fail(exc)


def main() -> None:
    try:
        app()
    except NewsragError as exc:  # anything not caught by a command
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
