"""The pretrained-encoder probe measures what an encoder's vectors add.

The real encoders need torch and a model package the project does not depend
on; these tests give the probe a stand-in encoder whose vectors know the
answer, so a probe that dropped the encoder's block (or scored the wrong
rows) would show no gain and fail.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from triage.datasets import Row
from triage.evaluate import Split
from triage.probe import Probe, remembering

WORDS = ["la", "di", "da", "tra", "lo", "mi", "fa", "so", "re", "do", "ti", "pa", "ku", "ne", "zo"]


def _rows(n: int, seed: int, *, holdout: bool) -> list[Row]:
    rng = random.Random(seed)
    rows = []
    for k in range(n):
        text = " ".join(rng.choice(WORDS) for _ in range(6)) + f" #{seed}-{k}"
        label = rng.randrange(3)
        rows.append(Row(text, "", "sentiment:extra", {"sentiment": label}, holdout=holdout))
    return rows


def _oracle(rows: Sequence[Row]) -> dict[str, int]:
    return {r.text: r.labels["sentiment"] for r in rows}


def test_an_encoder_that_knows_the_sentiment_lifts_held_out_and_cross_validated_scores() -> None:
    train, test = _rows(300, 1, holdout=False), _rows(120, 2, holdout=True)
    truth = _oracle(train + test)
    calls: list[int] = []

    def encode(texts: Sequence[str]) -> np.ndarray:
        calls.append(len(texts))
        return np.eye(3, dtype=np.float32)[[truth[t] for t in texts]]

    probe = Probe(train, {"sentiment": Split("sentiment", "sentiment", test)}, ("sentiment",))
    cached = remembering(encode)
    scores = {s.alpha: s.held_out for s in probe.held_out_scores(cached, [0.0, 2.0])}
    # Random words carry no sentiment: chance is about a third.
    assert scores[0.0] < 0.5
    assert scores[2.0] > 0.95
    cv = probe.sentiment_cv(cached, [0.0, 2.0], folds=3)
    assert np.mean(cv[0.0]) < 0.5 < 0.95 < min(cv[2.0])
    # Each distinct text went through the (slow) encoder once.
    assert sum(calls) == len(train) + len(test)


def test_remembering_keeps_the_callers_order_and_repeats() -> None:
    cached = remembering(lambda texts: np.array([[len(t)] for t in texts], dtype=np.float32))
    assert cached(["ccc", "a", "ccc"]).ravel().tolist() == [3.0, 1.0, 3.0]
    assert cached(["bb", "a"]).ravel().tolist() == [2.0, 1.0]
