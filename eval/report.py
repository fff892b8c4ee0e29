"""Write a suite's results: ``results.jsonl``, ``summary.json``, ``report.md`` and PNG plots.

One module for every suite's files: the QA suites (sample, multihop, rgb) write a summary
table, a per-category table and score, category and latency plots (``write_outputs``);
RAGTruth, which grades checkers rather than answers, writes its F1 table beside the baselines
and the published figures (``write_ragtruth``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval import metrics

TASKS = ("qa", "summary", "data2txt")


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def write_results(out_dir: Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """One JSON object a line, one line per graded response."""
    path = out_dir / "results.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, default=_json_default, ensure_ascii=False) + "\n")
    return path


def write_summary(out_dir: Path, summary: Mapping[str, Any]) -> Path:
    """summary.json in the summary's own order: what a reader cares about first."""
    path = out_dir / "summary.json"
    path.write_text(json.dumps(summary, indent=2, default=_json_default), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# The QA suites (sample, multihop, rgb): summary and category tables, plots


@dataclass
class SuiteResult:
    suite: str
    summary: dict[str, Any]
    rows: list[dict[str, Any]]
    out_dir: Path


def _value(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def summary_markdown(summary: Mapping[str, Any]) -> str:
    lines = ["| metric | value |", "|---|---:|"]
    for key, value in summary.items():
        if isinstance(value, (int, float)) or value is None:
            lines.append(f"| {key} | {_value(value)} |")
    return "\n".join(lines)


def _suite_plots(
    out_dir: Path,
    distributions: Mapping[str, Sequence[float]],
    categories: Mapping[str, Mapping[str, float | None]],
    latencies: Sequence[float],
    suite: str,
) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names: list[str] = []
    dists = {k: [float(v) for v in vals] for k, vals in distributions.items() if vals}
    if dists:
        fig, axes = plt.subplots(1, len(dists), figsize=(4 * len(dists), 3), squeeze=False)
        for ax, (label, vals) in zip(axes[0], dists.items(), strict=True):
            lo, hi = min(0.0, min(vals)), max(1.0, max(vals))
            ax.hist(vals, bins=20, range=(lo, hi), color="tab:blue", alpha=0.8)
            ax.set_title(label, fontsize=9)
            ax.set_ylabel("count")
        fig.suptitle(f"{suite}: score distributions", fontsize=10)
        fig.tight_layout()
        fig.savefig(out_dir / "scores.png", dpi=100)
        plt.close(fig)
        names.append("scores.png")
    cats = {c: m for c, m in categories.items() if m}
    metric_names = sorted({k for m in cats.values() for k, v in m.items() if v is not None})
    if cats and metric_names:
        fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(cats) * len(metric_names) ** 0.5), 3.5))
        width = 0.8 / len(metric_names)
        labels = list(cats)
        for k, metric in enumerate(metric_names):
            xs = [i + k * width for i in range(len(labels))]
            ys = [cats[c].get(metric) or 0.0 for c in labels]
            ax.bar(xs, ys, width, label=metric)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(labels))], labels, rotation=30)
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.set_title(f"{suite}: per category", fontsize=10)
        fig.tight_layout()
        fig.savefig(out_dir / "categories.png", dpi=100)
        plt.close(fig)
        names.append("categories.png")
    if latencies:
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.hist(latencies, bins=20, color="tab:orange", alpha=0.8)
        p50 = metrics.percentile(latencies, 50)
        ax.axvline(p50, color="black", linestyle="--", label=f"p50 {p50:.1f}s")
        ax.set_xlabel("seconds per question")
        ax.set_ylabel("count")
        ax.legend(fontsize=7)
        ax.set_title(f"{suite}: latency", fontsize=10)
        fig.tight_layout()
        fig.savefig(out_dir / "latency.png", dpi=100)
        plt.close(fig)
        names.append("latency.png")
    return names


def category_table(categories: Mapping[str, Mapping[str, float | None]]) -> str:
    metric_names = sorted({k for m in categories.values() for k in m})
    if not metric_names:
        return ""
    lines = [
        "| category | " + " | ".join(metric_names) + " |",
        "|---|" + "---:|" * len(metric_names),
    ]
    for cat, m in categories.items():
        lines.append(f"| {cat} | " + " | ".join(_value(m.get(k)) for k in metric_names) + " |")
    return "\n".join(lines)


def write_outputs(
    suite: str,
    out_dir: Path,
    rows: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
    *,
    categories: Mapping[str, Mapping[str, float | None]] | None = None,
    distributions: Mapping[str, Sequence[float]] | None = None,
    notes: Sequence[str] = (),
    examples: Sequence[str] = (),
) -> SuiteResult:
    """results.jsonl, summary.json and report.md (summary table, category table, plots).

    The latency plot shows the rows' ``latency_s``, the one timing every suite records.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_results(out_dir, rows)
    write_summary(out_dir, summary)
    latencies = [r["latency_s"] for r in rows if "latency_s" in r]
    plots = _suite_plots(out_dir, distributions or {}, categories or {}, latencies, suite)
    lines = [f"# newsrag eval: {suite}", ""]
    lines += [f"- {n}" for n in notes]
    lines += ["", "## Summary", "", summary_markdown(summary), ""]
    table = category_table(categories or {})
    if table:
        lines += ["## Per category", "", table, ""]
    if plots:
        lines += ["## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    if examples:
        lines += ["## Examples", "", *examples, ""]
    (out_dir / "report.md").write_text("\n".join(lines), encoding="utf-8")
    return SuiteResult(suite, dict(summary), list(rows), out_dir)


def clean_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Round floats for readability; keep None for undefined metrics."""
    out: dict[str, Any] = {}
    for k, v in summary.items():
        out[k] = round(v, 4) if isinstance(v, float) and not math.isnan(v) else v
    return out


# ---------------------------------------------------------------------------------------------
# RAGTruth: a checker against labelled hallucinations


def _pct(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{100 * float(value):.1f}"


def _fmt(value: Any) -> str:
    return "–" if value is None else f"{float(value):.1f}"


def markdown_table(summary: Mapping[str, Any], published: Mapping[str, Mapping[str, Any]]) -> str:
    """Rows: this checker, the two baselines on the same items, then the published figures."""
    header = (
        "| checker | QA F1 | Summary F1 | Data2txt F1 | overall F1 | span F1 | AUROC |\n"
        "|---|---:|---:|---:|---:|---:|---:|"
    )
    name = "judge" if summary.get("checker") == "judge" else str(summary.get("checker"))
    if summary.get("checker") == "judge":
        name += f" (LLM: {summary['llm_model']})" if summary.get("use_llm") else " (no LLM)"
    lines = [header]
    lines.append(
        f"| **{name}** | {_pct(summary.get('qa.response_f1'))} | "
        f"{_pct(summary.get('summary.response_f1'))} | {_pct(summary.get('data2txt.response_f1'))}"
        f" | {_pct(summary.get('response_f1'))} | {_pct(summary.get('span_f1'))} | "
        f"{_pct(summary.get('auroc'))} |"
    )
    for base, label in (
        ("baseline_all_hallucinated", "baseline: flag everything"),
        ("baseline_word_overlap", "baseline: word overlap"),
    ):
        lines.append(
            f"| {label} | {_pct(summary.get(f'{base}.qa.response_f1'))} | "
            f"{_pct(summary.get(f'{base}.summary.response_f1'))} | "
            f"{_pct(summary.get(f'{base}.data2txt.response_f1'))} | "
            f"{_pct(summary.get(f'{base}.response_f1'))} | – | "
            f"{_pct(summary.get(f'{base}.auroc'))} |"
        )
    for label, fig in published.items():
        lines.append(
            f"| published: {label} (full test set) | {_fmt(fig.get('qa'))} | "
            f"{_fmt(fig.get('summary'))} | {_fmt(fig.get('data2txt'))} | "
            f"{_fmt(fig.get('overall'))} | {_fmt(fig.get('span'))} | – |"
        )
    return "\n".join(lines)


def _ragtruth_plots(
    out_dir: Path,
    rows: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
    published: Mapping[str, Mapping[str, Any]],
) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names: list[str] = []
    # 1. Response F1 per task beside baselines and published figures.
    series = {
        "this checker": [summary.get(f"{t}.response_f1") for t in TASKS],
        "flag everything": [
            summary.get(f"baseline_all_hallucinated.{t}.response_f1") for t in TASKS
        ],
        "word overlap": [summary.get(f"baseline_word_overlap.{t}.response_f1") for t in TASKS],
    }
    for label, fig in published.items():
        series[label] = [(fig.get(t) or 0) / 100 for t in TASKS]
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(series)
    for k, (label, vals) in enumerate(series.items()):
        xs = [i + k * width for i in range(len(TASKS))]
        ax.bar(xs, [100 * (v or 0) for v in vals], width, label=label)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(TASKS))], list(TASKS))
    ax.set_ylabel("response-level F1 (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("RAGTruth response-level F1")
    fig.tight_layout()
    fig.savefig(out_dir / "f1_by_task.png", dpi=110)
    plt.close(fig)
    names.append("f1_by_task.png")
    # 2. Score distributions by gold label.
    scored = [r for r in rows if r.get("score") is not None]
    if scored:
        fig, axes = plt.subplots(1, len(TASKS), figsize=(10, 3), sharey=True)
        for ax, task in zip(axes, TASKS, strict=True):
            for gold, colour in ((False, "tab:green"), (True, "tab:red")):
                vals = [
                    float(r["score"])
                    for r in scored
                    if r["task"] == task and bool(r["gold"]) == gold
                ]
                ax.hist(
                    vals,
                    bins=20,
                    range=(0, 1),
                    alpha=0.6,
                    color=colour,
                    label="hallucinated" if gold else "faithful",
                )
            ax.set_title(task)
            ax.set_xlabel("hallucination score")
        axes[0].legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(out_dir / "score_hist.png", dpi=110)
        plt.close(fig)
        names.append("score_hist.png")
    return names


def report_markdown(
    summary: Mapping[str, Any],
    published: Mapping[str, Mapping[str, Any]],
    plots: Sequence[str],
    suite: str = "ragtruth",
) -> str:
    """A markdown report a person can read without the JSON."""
    split = summary.get("split", "test")
    held_out = (
        "These figures are on the **held-out `test` split**: weights and thresholds were fitted "
        "only on the `tune` split (a fixed sha256 hash of `task:source_id`), so no graded item "
        "was seen while tuning."
        if split == "test"
        else f"These figures are on the `{split}` split, which includes tuning items: they are "
        "optimistic. Report the `test` split."
    )
    secs = summary.get("seconds_total") or 0.0
    n = summary.get("n_responses") or 0
    lines = [
        f"# {suite} — faithfulness checker report",
        "",
        held_out,
        "",
        f"- checker: `{summary.get('checker')}`; LLM step: "
        f"{summary.get('llm_model') if summary.get('use_llm') else 'off'}",
        f"- responses graded: {n} ({summary.get('n_hallucinated')} labelled hallucinated); "
        + ", ".join(f"{t}: {summary.get(f'{t}.n_responses')}" for t in TASKS),
        f"- time: {secs:.0f} s in total, {secs / max(n, 1):.2f} s per response on average "
        f"(p50 {summary.get('seconds_per_response_p50', 0):.2f} s, "
        f"p95 {summary.get('seconds_per_response_p95', 0):.2f} s)",
        "",
        "Response-level F1 in percent (hallucinated = any labelled span). Baselines run on the "
        "same items; their thresholds were fitted on the `tune` split too. Published rows are "
        "from the paper on the full test set, which is poorer in hallucinations than this "
        "sample, so compare with care.",
        "",
        markdown_table(summary, published),
        "",
        "| task | precision | recall | F1 | span F1 | AUROC |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for task in TASKS:
        lines.append(
            f"| {task} | {_pct(summary.get(f'{task}.response_precision'))} | "
            f"{_pct(summary.get(f'{task}.response_recall'))} | "
            f"{_pct(summary.get(f'{task}.response_f1'))} | {_pct(summary.get(f'{task}.span_f1'))}"
            f" | {_pct(summary.get(f'{task}.auroc'))} |"
        )
    lines += [
        "",
        f"Span-level: precision {_pct(summary.get('span_precision'))}, recall "
        f"{_pct(summary.get('span_recall'))}, F1 {_pct(summary.get('span_f1'))} (characters of "
        "predicted unsupported spans against labelled spans, summed over responses).",
        "",
    ]
    if summary.get("limit"):
        lines.append(
            f"Smoke run: at most {summary['limit']} responses per task, so these figures are noisy."
        )
        lines.append("")
    if summary.get("use_llm"):
        lines.append(
            f"The LLM read {summary.get('n_llm_responses', 0)} of {n} responses "
            "(only the most suspicious claims of each answer are sent to it)."
        )
        lines.append("")
    for note in summary.get("notes") or []:
        lines.append(f"- {note}")
    if summary.get("notes"):
        lines.append("")
    lines += [f"![{p}]({p})" for p in plots]
    return "\n".join(lines) + "\n"


def write_ragtruth(
    out_dir: Path,
    rows: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
    published: Mapping[str, Mapping[str, Any]],
    suite: str = "ragtruth",
) -> Path:
    """All three files and the plots; returns the report path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_results(out_dir, rows)
    write_summary(out_dir, summary)
    plots = _ragtruth_plots(out_dir, rows, summary, published)
    path = out_dir / "report.md"
    path.write_text(report_markdown(summary, published, plots, suite), encoding="utf-8")
    return path
