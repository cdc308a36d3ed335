"""The measures of the goals table."""

from __future__ import annotations

import math

from triage.metrics import macro_f1, macro_recall, per_label, ranking_auc


def test_ranking_auc_counts_ties_as_half() -> None:
    assert ranking_auc([3, 2, 1], [True, False, False]) == 1.0
    assert ranking_auc([1, 2, 3], [True, False, False]) == 0.0
    assert ranking_auc([5, 5], [True, False]) == 0.5
    assert math.isnan(ranking_auc([1, 2], [True, True]))


def test_per_label_and_macro_scores() -> None:
    truth = ["a", "a", "b", "b"]
    predicted = ["a", "b", "b", "b"]
    a, b = per_label(truth, predicted, ["a", "b"])
    assert (a.precision, a.recall) == (1.0, 0.5)
    assert (b.precision, round(b.recall, 3)) == (2 / 3, 1.0)
    assert macro_recall(truth, predicted, ["a", "b"]) == 0.75
    assert round(macro_f1(truth, predicted, ["a", "b"]), 4) == round((2 / 3 + 0.8) / 2, 4)
