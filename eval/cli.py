"""``newsrag eval SUITE`` / ``python -m eval SUITE``: run a suite, write its files, print a table.

Every suite writes ``results.jsonl``, ``summary.json`` and ``report.md`` (with PNG plots) to
``--out`` (default ``eval-out/SUITE``) and ingests into a temporary store, never the user's.
``--fail-under metric=min,metric<=max,...`` turns a run into a CI gate (exit code 1 when missed).
"""

from __future__ import annotations

import inspect
import math
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

app = typer.Typer(
    help="Evaluate the system on a benchmark suite and write a report.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True, soft_wrap=True)
out = Console()

# Options shared by the suites ------------------------------------------------------------
Limit = Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N items.")]
Skip = Annotated[
    int, typer.Option("--skip", min=0, help="Leave out the first N items (before --limit).")
]
Model = Annotated[
    str | None, typer.Option("--model", help="LLM registry name (see `newsrag models list`).")
]
RetrievalOnly = Annotated[
    bool, typer.Option("--retrieval-only", help="Skip generation (where the suite allows).")
]
OutDir = Annotated[
    Path | None, typer.Option("--out", help="Output folder (default: eval-out/SUITE).")
]
FailUnder = Annotated[
    str | None,
    typer.Option(
        "--fail-under",
        "--threshold",
        help="CI gate, e.g. correct=0.8,wrong<=0.05,faithfulness=0.9: exit 1 when a metric "
        "is below its minimum, above its maximum (METRIC<=MAX), or missing.",
    ),
]
# The benchmark files (MultiHop-RAG corpus and queries, RGB), by default in ../shared/datasets.
Corpus = Annotated[
    Path | None,
    typer.Option(help="Corpus JSONL (default: ../shared/datasets/multihop-rag/corpus.jsonl)."),
]
Queries = Annotated[
    Path | None,
    typer.Option(help="Queries JSONL (default: ../shared/datasets/multihop-rag/queries.jsonl)."),
]
RGBFile = Annotated[
    Path | None,
    typer.Argument(help="RGB en_fact JSONL (default: ../shared/datasets/rgb/en_fact.jsonl)."),
]
JudgeConfig = Annotated[
    Path | None,
    typer.Option("--judge-config", help="Fitted judge config JSON (from the ragtruth tuning)."),
]


def parse_thresholds(text: str | None) -> dict[str, float]:
    """The minimums of a gate: ``"a=0.8,b=0.5"`` -> ``{"a": 0.8, "b": 0.5}``."""
    return parse_gate(text)[0]


def parse_gate(text: str | None) -> tuple[dict[str, float], dict[str, float]]:
    """``"correct=0.8,wrong<=0.05"`` -> (minimums, maximums): ``METRIC=MIN`` is a floor,
    ``METRIC<=MAX`` a ceiling (for rates that must stay low, such as wrong answers).
    Raises typer.BadParameter when malformed."""
    minimums: dict[str, float] = {}
    maximums: dict[str, float] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        ceiling = "<=" in part
        key, sep, value = part.partition("<=" if ceiling else "=")
        try:
            if not sep or not key.strip():
                raise ValueError
            (maximums if ceiling else minimums)[key.strip()] = float(value)
        except ValueError:
            raise typer.BadParameter(
                f"'{part}': use METRIC=MIN or METRIC<=MAX, e.g. faithfulness=0.8,wrong<=0.05",
                param_hint="--fail-under",
            ) from None
    return minimums, maximums


def failures(
    summary: Mapping[str, Any],
    thresholds: Mapping[str, float],
    maximums: Mapping[str, float] | None = None,
) -> list[str]:
    """Human-readable reasons for every threshold the summary misses."""
    problems = []
    bounds = [(k, v, True) for k, v in thresholds.items()]
    bounds += [(k, v, False) for k, v in (maximums or {}).items()]
    for key, bound, floor in bounds:
        value = summary.get(key)
        need = f">= {bound}" if floor else f"<= {bound}"
        if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
            problems.append(f"{key}: not computed (needs {need})")
        elif (value < bound) if floor else (value > bound):
            problems.append(f"{key} = {value:.4f}, needs {need}")
    return problems


def summary_table(suite: str, summary: Mapping[str, Any]) -> Table:
    table = Table("metric", "value", title=f"newsrag eval {suite}")
    for key, value in summary.items():
        if isinstance(value, bool) or (value is not None and not isinstance(value, (int, float))):
            continue
        if value is None:
            shown = "–"
        elif isinstance(value, int):
            shown = str(value)
        else:
            shown = f"{value:.4f}" if abs(value) < 1000 else f"{value:,.0f}"
        table.add_row(key, shown)
    return table


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Any]:
    """A rich progress bar on stderr; yields a ``(done, total, label)`` callback.

    Without a terminal (CI logs) it prints a plain line every ~5% instead.
    """
    if not enabled:
        started = time.perf_counter()

        def line(done: int, total: int, label: str = "") -> None:
            if done and total and (done % max(1, total // 20) == 0 or done == total):
                took = time.perf_counter() - started
                print(f"[{label or 'eval'}] {done}/{total} ({took:.0f}s)", file=sys.stderr)

        yield line
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    task = bar.add_task("loading", total=None)

    def step(done: int, total: int, label: str = "") -> None:
        bar.update(task, completed=done, total=total, description=label or "eval")

    with bar:
        yield step


def _env() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@dataclass(frozen=True)
class _Shared:
    """The options every QA suite takes, gathered so each command hands them on in one line."""

    limit: int | None
    skip: int
    model: str | None
    retrieval_only: bool
    out_dir: Path | None
    fail_under: str | None
    judge_config: Path | None
    baseline: bool = False

    def config(self, suite: str, progress: Any) -> Any:
        from eval.suites.common import RunConfig

        return RunConfig(
            out_dir=self.out_dir or Path("eval-out") / suite,
            limit=self.limit,
            skip=self.skip,
            model=self.model,
            retrieval_only=self.retrieval_only,
            progress=progress,
            judge_config=self.judge_config,
            baseline=self.baseline,
        )


def _fail(exc: Exception) -> NoReturn:
    console.print(f"[bold red]error:[/] {exc}", highlight=False)
    raise typer.Exit(2) from None


def _finish(suite: str, summary: Mapping[str, Any], out_dir: Path, fail_under: str | None) -> None:
    out.print(summary_table(suite, summary))
    out.print(f"wrote {out_dir}/results.jsonl, summary.json, report.md")
    _gate(summary, fail_under)


def _gate(summary: Mapping[str, Any], fail_under: str | None) -> None:
    """Exit 1, naming every missed bound, when the summary misses the gate."""
    problems = failures(summary, *parse_gate(fail_under))
    if problems:
        for p in problems:
            console.print(f"[bold red]gate failed:[/] {p}", highlight=False)
        raise typer.Exit(1)


def _run(suite: str, fn: Any, shared: _Shared, **kw: Any) -> None:
    _env()
    parse_thresholds(shared.fail_under)  # reject a malformed gate before the long run
    from rag.errors import NewsragError

    with progress_bar(sys.stderr.isatty()) as step:
        cfg = shared.config(suite, step)
        try:
            result = fn(cfg, **kw)
        except (NewsragError, FileNotFoundError, ValueError) as exc:
            _fail(exc)
    _finish(suite, result.summary, result.out_dir, shared.fail_under)


def qa_suite(fn: Any) -> Any:
    """A QA suite's command: ``fn(shared, **own_options)`` gets the options every QA suite
    takes (``--limit``, ``--skip``, ``--model``, ``--retrieval-only``, ``--out``, ``--fail-under``,
    ``--judge-config``) gathered in ``_Shared``, after its own; written here once."""
    own = list(inspect.signature(fn, eval_str=True).parameters.values())[1:]
    shared = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=kind)
        for name, kind, default in (
            ("limit", Limit, None),
            ("skip", Skip, 0),
            ("model", Model, None),
            ("retrieval_only", RetrievalOnly, False),
            ("out_dir", OutDir, None),
            ("fail_under", FailUnder, None),
            ("judge_config", JudgeConfig, None),
        )
    ]
    names = [p.name for p in shared]

    def command(**options: Any) -> None:
        fn(_Shared(*(options.pop(name) for name in names)), **options)

    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + shared
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__name__, command.__doc__ = fn.__name__, fn.__doc__
    return command


@app.command()
@qa_suite
def sample(
    shared: _Shared,
    set_path: Annotated[
        Path | None, typer.Option("--set", help="Gold set JSONL (default: eval/sets/sample.jsonl).")
    ] = None,
    articles: Annotated[
        Path | None, typer.Option("--articles", help="Articles to ingest (default: data/sample).")
    ] = None,
    baseline: Annotated[
        bool,
        typer.Option(
            "--baseline",
            help="Also answer with LlamaIndex's CitationQueryEngine (same model, same store) "
            "and report its correct / wrong / refused beside ours.",
        ),
    ] = False,
) -> None:
    """Hand-written questions over the bundled articles: correct / wrong / refused against
    gold key facts first, then faithfulness, citations, refusals."""
    from eval.suites import sample as suite

    shared = replace(shared, baseline=baseline)
    _run("sample", suite.run, shared, set_path=set_path, articles=articles)


@app.command()
@qa_suite
def multihop(
    shared: _Shared,
    corpus: Corpus = None,
    queries: Queries = None,
    answerable_only: Annotated[
        bool,
        typer.Option(
            "--answerable-only",
            help="Leave out the null queries (before --skip and --limit): --limit 60 asks the"
            " first 60 answerable ones.",
        ),
    ] = False,
) -> None:
    """MultiHop-RAG: official Hits@k / MRR / MAP retrieval, and answer accuracy."""
    from eval.suites import multihop as suite

    _run(
        "multihop",
        suite.run,
        shared,
        corpus=corpus,
        queries=queries,
        answerable_only=answerable_only,
    )


@app.command()
@qa_suite
def rgb(
    shared: _Shared,
    file: RGBFile = None,
    page_dates: Annotated[
        bool,
        typer.Option(
            "--page-dates",
            help="Read a snippet's leading page date as its published date (a stress variant).",
        ),
    ] = False,
) -> None:
    """RGB: accuracy, negative rejection, counterfactual robustness (one collection per item)."""
    from eval.suites import rgb as suite

    _run("rgb", suite.run, shared, path=file, page_dates=page_dates)


@app.command()
def ragtruth(
    data_dir: Annotated[
        Path | None, typer.Argument(help="RAGTruth folder (default: ../shared/datasets/ragtruth).")
    ] = None,
    checker: Annotated[
        str, typer.Option(help="Which checker to grade: verifier (rag.verify) or judge.")
    ] = "judge",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Responses per task.")] = None,
    model: Annotated[
        str | None, typer.Option("--model", help="The judge's LLM (registry name).")
    ] = None,
    retrieval_only: Annotated[
        bool, typer.Option("--retrieval-only", help="Not applicable: ignored.", hidden=True)
    ] = False,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Judge without its LLM step.")] = False,
    split: Annotated[str, typer.Option(help="test, tune or all.")] = "test",
    out_dir: OutDir = None,
    fail_under: FailUnder = None,
    judge_config: JudgeConfig = None,
    tune: Annotated[
        bool,
        typer.Option(
            "--tune",
            help="Refit the judge's weights and thresholds on the tune split and write "
            "OUT/judge_config.json (load it with --judge-config) instead of grading.",
        ),
    ] = False,
    llm_limit: Annotated[
        int, typer.Option("--llm-limit", min=1, help="With --tune: responses per task for the LLM.")
    ] = 30,
) -> None:
    """RAGTruth: does a checker find the labelled hallucinations? (eval.suites.ragtruth)"""
    _env()
    parse_thresholds(fail_under)  # reject a malformed gate before the long run
    if checker not in ("verifier", "judge"):
        raise typer.BadParameter("use verifier or judge", param_hint="--checker")
    from eval.suites import ragtruth as suite
    from rag.errors import NewsragError

    out_dir = out_dir or Path("eval-out") / "ragtruth"
    if tune:
        tuned: dict[str, Any] = {"use_llm": not no_llm, "limit": limit, "llm_limit": llm_limit}
        if model:
            tuned["llm_model"] = model
        try:
            config = suite.tune(data_dir, out_dir / "judge_config.json", **tuned)
        except (NewsragError, FileNotFoundError, RuntimeError, ValueError) as exc:
            _fail(exc)
        out.print_json(config.to_json())
        out.print(f"wrote {out_dir / 'judge_config.json'}")
        return
    kwargs: dict[str, Any] = {"split": split, "use_llm": not no_llm, "config_path": judge_config}
    if model:
        kwargs["llm_model"] = model
    try:
        summary = suite.run(data_dir, out_dir, limit, checker, True, **kwargs)
    except (NewsragError, FileNotFoundError, RuntimeError, ValueError) as exc:
        _fail(exc)
    _finish("ragtruth", summary, out_dir, fail_under)


@app.command()
def pairs(
    articles: Annotated[
        Path | None, typer.Option("--articles", help="Articles (default: data/sample).")
    ] = None,
    out_dir: OutDir = None,
    fail_under: FailUnder = None,
) -> None:
    """Self-test of the judge and the verifier: (correct, corrupted) claim pairs made from the
    articles by swapping actors, moving numbers, negating and changing who is quoted; each
    checker must support the first and reject the second."""
    _env()
    parse_gate(fail_under)  # reject a malformed gate before the run
    import json

    from eval import pairs as selftest
    from eval.judge import build_judge
    from eval.suites import sample
    from rag.embeddings import build_embedder
    from rag.settings import Settings

    folder = articles or sample.default_articles()
    made = selftest.make_pairs(selftest.load_texts(folder))
    if not made:
        _fail(ValueError(f"No claim pairs could be made from the .txt articles in {folder}."))
    result = selftest.run_selftest(made, build_judge(), build_embedder(Settings()))
    summary: dict[str, Any] = {"n_pairs": result["n_pairs"]}
    for checker in ("judge", "verifier"):
        summary[f"{checker}_accuracy"] = result[checker]["accuracy"]
        for kind, value in result[checker]["by_kind"].items():
            summary[f"{checker}.{kind}"] = value
    out_dir = out_dir or Path("eval-out") / "pairs"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (out_dir / "results.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    out.print(summary_table("pairs", summary))
    out.print(f"wrote {out_dir}/summary.json, results.json")
    _gate(summary, fail_under)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m eval``."""
    app(args=list(argv) if argv is not None else None, prog_name="python -m eval")
