"""The measures of the goals table, in plain numpy (no scikit-learn needed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class LabelScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


def per_label(
    truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> list[LabelScore]:
    y = np.asarray(truth, dtype=object)
    p = np.asarray(predicted, dtype=object)
    out: list[LabelScore] = []
    for label in labels:
        tp = int(np.sum((p == label) & (y == label)))
        fp = int(np.sum((p == label) & (y != label)))
        fn = int(np.sum((p != label) & (y == label)))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append(LabelScore(label, precision, recall, f1, tp + fn))
    return out


def macro_f1(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> float:
    scores = [s.f1 for s in per_label(truth, predicted, labels) if s.support]
    return float(np.mean(scores)) if scores else 0.0


def macro_recall(truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> float:
    scores = [s.recall for s in per_label(truth, predicted, labels) if s.support]
    return float(np.mean(scores)) if scores else 0.0


def f1_of(truth: Sequence[str], predicted: Sequence[str], label: str) -> float:
    return per_label(truth, predicted, [label])[0].f1


def ranking_auc(scores: Sequence[float], positive: Sequence[bool]) -> float:
    """P(a random positive scores above a random negative), ties counting half."""
    s = np.asarray(scores, dtype=np.float64)
    pos = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if not n_pos or not n_neg:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_scores = s[order]
    # Average ranks over ties (1-based), then the Mann-Whitney U statistic.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    for start, count in zip(first, counts, strict=True):
        ranks[order[start : start + count]] = start + (count + 1) / 2.0
    u = ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))
