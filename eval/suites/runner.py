"""The one run loop of the QA suites (sample, multihop, rgb).

Why one loop: every suite must build the same way (a throw-away store, one loaded embedder
and LLM for the whole run), record an engine error on its item's row and go on, grade every
answer with the same independent judge in one batch, and write the same three files. Each
suite only says what is particular to it, through ``Suite``: its items, the corpus they are
asked against, how one item is asked and scored, and how rows add up.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from eval import report
from eval.suites import common

if TYPE_CHECKING:
    from eval.judge import Judge
    from rag.engine import Answer


class Suite(Protocol):
    """What a QA suite tells the runner. One instance serves one run (it may keep the run's
    store and counters on itself between the calls, which come in this order)."""

    name: str
    # Settings the suite's stores need beyond a fresh data dir (e.g. a reference date).
    overrides: Mapping[str, Any]

    def items(self) -> Sequence[Any]:
        """What to ask, in order (``--limit`` already applied); raises when inputs are
        missing, before any model is loaded."""
        ...

    def corpus(self, models: common.Models, root: Path) -> None:
        """Ingest what the items are asked against (under ``root``, a temporary folder), or
        get ready to make one store per item."""
        ...

    def row(self, item: Any) -> dict[str, Any]:
        """The item's result row before it is asked: ids and gold fields."""
        ...

    def score(self, item: Any, row: dict[str, Any], keep: Callable[[Answer], None]) -> None:
        """Ask one item and put its answer and grades on ``row``; hand the Answer to ``keep``
        as soon as there is one (the judge grades it even when a later step of the item
        fails). An engine error is written to the row by the runner, and the run goes on."""
        ...

    def label(self, item: Any) -> str:
        """What the progress line says while this item runs."""
        ...

    def finish(self, rows: list[dict[str, Any]]) -> None:
        """After the judge: grades that need its verdicts, counts for the report, and closing
        the store (the temporary folder goes next)."""
        ...

    def summarise(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """The flat summary, what a reader cares about first."""
        ...

    def report(
        self, rows: Sequence[dict[str, Any]], summary: Mapping[str, Any], judge: Judge
    ) -> dict[str, Any]:
        """``report.write_outputs``'s keyword arguments: notes, categories, distributions,
        examples."""
        ...


def run_suite(suite: Suite, cfg: common.RunConfig) -> report.SuiteResult:
    """Run ``suite``: ingest, ask every item, judge, summarise, write the three files."""
    started = time.perf_counter()
    items = suite.items()
    rows: list[dict[str, Any]] = []
    answers: list[Answer | None] = []
    with tempfile.TemporaryDirectory(prefix=f"newsrag-eval-{suite.name}-") as tmp:
        root = Path(tmp)
        models = common.build_models(cfg, root / "store", **suite.overrides)
        suite.corpus(models, root)
        judge = common.build_judge(cfg, models)
        cfg.tick(0, len(items), suite.name)
        for n, item in enumerate(items, 1):
            row = suite.row(item)
            kept: list[Answer] = []
            with common.recording_errors(row):
                suite.score(item, row, kept.append)
            answers.append(kept[-1] if kept else None)
            rows.append(row)
            cfg.tick(n, len(items), suite.label(item))
        common.attach_judgements(judge, rows, answers)
        suite.finish(rows)
    summary = suite.summarise(rows)
    summary["seconds_total"] = time.perf_counter() - started
    summary = report.clean_summary(summary)
    return report.write_outputs(
        suite.name, cfg.out_dir, rows, summary, **suite.report(rows, summary, judge)
    )
