"""Metric helpers on tiny hand-computed cases."""

from __future__ import annotations

import math

import pytest

from eval import metrics


def test_precision_recall_f1_counts() -> None:
    prf = metrics.precision_recall_f1([True, True, False, False], [True, False, True, False])
    assert (prf.tp, prf.fp, prf.fn) == (1, 1, 1)
    assert prf.precision == pytest.approx(0.5)
    assert prf.recall == pytest.approx(0.5)
    assert prf.f1 == pytest.approx(0.5)


def test_f1_all_positive_prediction_matches_base_rate_formula() -> None:
    gold = [True] * 3 + [False] * 7
    prf = metrics.precision_recall_f1(gold, [True] * 10)
    assert prf.precision == pytest.approx(0.3)
    assert prf.recall == 1.0
    assert prf.f1 == pytest.approx(2 * 0.3 / 1.3)


def test_no_positive_predictions_gives_zero_not_error() -> None:
    prf = metrics.precision_recall_f1([True, False], [False, False])
    assert prf.precision == 0.0 and prf.recall == 0.0 and prf.f1 == 0.0


def test_length_mismatch_raises() -> None:
    with pytest.raises(ValueError):
        metrics.precision_recall_f1([True], [True, False])


def test_span_overlap_and_merge() -> None:
    assert metrics.merge_spans([(5, 10), (0, 3), (8, 12)]) == [(0, 3), (5, 12)]
    assert metrics.span_overlap([(0, 10)], [(5, 15)]) == 5
    assert metrics.span_overlap([(0, 10), (20, 30)], [(5, 25)]) == 10
    assert metrics.span_overlap([(0, 5)], [(5, 10)]) == 0
    # overlapping gold labels are not double counted
    assert metrics.span_overlap([(0, 10)], [(0, 10), (2, 8)]) == 10


def test_span_f1_micro_average() -> None:
    counts = [metrics.span_counts([(0, 10)], [(5, 15)]), metrics.span_counts([], [(0, 10)])]
    prf = metrics.span_f1(counts)
    assert prf.precision == pytest.approx(5 / 10)
    assert prf.recall == pytest.approx(5 / 20)
    assert prf.f1 == pytest.approx(2 * 0.5 * 0.25 / 0.75)


def test_auroc_perfect_random_and_ties() -> None:
    assert metrics.auroc([False, False, True, True], [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert metrics.auroc([False, False, True, True], [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert metrics.auroc([False, True], [0.5, 0.5]) == 0.5
    # one positive above one of two negatives
    assert metrics.auroc([False, True, False], [0.1, 0.5, 0.9]) == pytest.approx(0.5)
    assert metrics.auroc([True, True], [0.1, 0.2]) is None


def test_auroc_matches_sklearn() -> None:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    gold = [True, False, True, True, False, False, True, False]
    scores = [0.9, 0.4, 0.4, 0.7, 0.1, 0.8, 0.3, 0.3]
    assert metrics.auroc(gold, scores) == pytest.approx(sklearn_metrics.roc_auc_score(gold, scores))


def test_percentile() -> None:
    assert metrics.percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert metrics.percentile([5], 95) == 5
    assert metrics.percentile([3, 1, 2], 0) == 1
    assert math.isnan(metrics.percentile([], 50))
    with pytest.raises(ValueError):
        metrics.percentile([1], 101)


def test_best_threshold_separates_and_keeps_predictions() -> None:
    gold = [False, False, True, True]
    scores = [0.1, 0.3, 0.6, 0.9]
    cut, f1 = metrics.best_threshold(gold, scores)
    assert f1 == 1.0
    assert 0.3 < cut <= 0.6
    assert [s >= cut for s in scores] == gold
