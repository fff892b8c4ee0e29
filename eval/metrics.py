"""Metric helpers shared by the suites, in plain Python so they are easy to test and trust."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 as fractions in [0, 1], with the counts they came from."""

    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int


def _safe_div(num: float, den: float) -> float:
    return num / den if den else 0.0


def f1_from_counts(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    """(precision, recall, F1); an empty denominator counts as 0 rather than raising."""
    precision = _safe_div(tp, tp + fp)
    recall = _safe_div(tp, tp + fn)
    return precision, recall, _safe_div(2 * precision * recall, precision + recall)


def precision_recall_f1(y_true: Sequence[bool], y_pred: Sequence[bool]) -> PRF:
    """Binary detection scores where ``True`` is the positive (hallucinated) class."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"length mismatch: {len(y_true)} labels, {len(y_pred)} predictions")
    tp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t and p)
    fp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if p and not t)
    fn = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t and not p)
    precision, recall, f1 = f1_from_counts(tp, fp, fn)
    return PRF(precision, recall, f1, tp, fp, fn)


Span = tuple[int, int]


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping spans, so overlapping labels are not counted twice."""
    out: list[list[int]] = []
    for start, end in sorted((s, e) for s, e in spans if e > s):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def span_length(spans: Iterable[Span]) -> int:
    return sum(e - s for s, e in merge_spans(spans))


def span_overlap(pred: Iterable[Span], gold: Iterable[Span]) -> int:
    """Number of characters covered by both span sets."""
    p, g = merge_spans(pred), merge_spans(gold)
    i = j = total = 0
    while i < len(p) and j < len(g):
        lo, hi = max(p[i][0], g[j][0]), min(p[i][1], g[j][1])
        total += max(0, hi - lo)
        if p[i][1] < g[j][1]:
            i += 1
        else:
            j += 1
    return total


@dataclass(frozen=True)
class SpanCounts:
    """Character counts for micro-averaged span scores across many responses."""

    overlap: int = 0
    predicted: int = 0
    gold: int = 0

    def __add__(self, other: SpanCounts) -> SpanCounts:
        return SpanCounts(
            self.overlap + other.overlap, self.predicted + other.predicted, self.gold + other.gold
        )


def span_counts(pred: Iterable[Span], gold: Iterable[Span]) -> SpanCounts:
    pred, gold = list(pred), list(gold)
    return SpanCounts(span_overlap(pred, gold), span_length(pred), span_length(gold))


def span_f1(counts: Iterable[SpanCounts]) -> PRF:
    """Character-level precision/recall/F1 summed over responses (micro average)."""
    total = sum(counts, SpanCounts())
    precision, recall, f1 = f1_from_counts(
        total.overlap, total.predicted - total.overlap, total.gold - total.overlap
    )
    return PRF(
        precision,
        recall,
        f1,
        total.overlap,
        total.predicted - total.overlap,
        total.gold - total.overlap,
    )


def auroc(y_true: Sequence[bool], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve (ties count half); None when only one class is present."""
    if len(y_true) != len(scores):
        raise ValueError("length mismatch")
    pairs = sorted(zip(scores, y_true, strict=True), key=lambda x: x[0])
    n_pos = sum(1 for _, t in pairs if t)
    n_neg = len(pairs) - n_pos
    if n_pos == 0 or n_neg == 0:
        return None
    rank_sum, i = 0.0, 0
    while i < len(pairs):
        j = i
        while j + 1 < len(pairs) and pairs[j + 1][0] == pairs[i][0]:
            j += 1
        mid_rank = (i + j) / 2 + 1  # 1-based average rank of the tie group
        rank_sum += mid_rank * sum(1 for k in range(i, j + 1) if pairs[k][1])
        i = j + 1
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, ``q`` in [0, 100]; NaN for no values."""
    if not 0 <= q <= 100:
        raise ValueError("q must be within [0, 100]")
    if not values:
        return math.nan
    data = sorted(values)
    pos = (len(data) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def best_threshold(y_true: Sequence[bool], scores: Sequence[float]) -> tuple[float, float]:
    """The score cut (flag when score >= cut) with the best F1 on these items, and that F1.

    Used only on the tuning split: among cuts with equal F1 the middle one is kept, so the
    choice does not sit on the edge of a single item.
    """
    cuts = sorted(set(scores))
    if not cuts:
        return 0.5, 0.0
    results = []
    for cut in cuts:
        pred = [s >= cut for s in scores]
        results.append((precision_recall_f1(y_true, pred).f1, cut))
    best = max(f for f, _ in results)
    tied = [c for f, c in results if f >= best - 1e-12]
    # Midpoint between the chosen cut and the next lower score, to not sit on one item.
    cut = tied[len(tied) // 2]
    lower = [s for s in cuts if s < cut]
    return (cut + lower[-1]) / 2 if lower else cut, best
