"""Measure the triage model on text it was not trained on: ``python -m triage.evaluate``.

An *evaluation copy* of the model is trained exactly like the shipped one
but without the held-out splits (:mod:`triage.datasets` says which), and
measured on them next to the naive baseline of the goals table: TF-IDF
(words + characters) and logistic regression trained on ``../shared/data``
alone, computed in the same run on the same splits. The shipped model has
seen these splits, so it is not what is measured here.

Prints per-label precision / recall / F1 for spam, sentiment, toxicity and
intent, then the goals table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage.classifier import Classification, MessageInput, load_model
from triage.datasets import LABELS, Corpus, Row, default_data_dir, load_corpus
from triage.metrics import f1_of, macro_f1, macro_recall, per_label, ranking_auc
from triage.train import train


@dataclass(frozen=True, slots=True)
class Split:
    """A held-out split: which rows, which task, how it is scored."""

    name: str
    task: str
    rows: list[Row]


def held_out(corpus: Corpus) -> dict[str, Split]:
    def pick(task: str, test: Callable[[Row], bool]) -> list[Row]:
        return [r for r in corpus.rows if r.holdout and task in r.labels and test(r)]

    return {
        "spam_video": Split(
            "spam_video", "spam", pick("spam", lambda r: r.source.startswith("youtube"))
        ),
        "spam_bots": Split("spam_bots", "spam", pick("spam", lambda r: r.source == "bots")),
        "sentiment": Split(
            "sentiment", "sentiment", pick("sentiment", lambda r: r.source.startswith("sentiment"))
        ),
        "offensive": Split("offensive", "toxic", pick("toxic", lambda r: r.source == "offensive")),
        "intent": Split("intent", "intent", pick("intent", lambda r: r.source == "fan")),
    }


def _truth(split: Split) -> list[str]:
    names = LABELS[split.task]
    return [names[r.labels[split.task]] for r in split.rows]


def _predicted(split: Split, results: Sequence[Classification]) -> list[str]:
    if split.task == "spam":
        return ["spam" if c.spam else "ham" for c in results]
    if split.task == "toxic":
        return ["toxic" if c.toxic else "ok" for c in results]
    return [str(getattr(c, split.task)) for c in results]


def measure(task: str, truth: Sequence[str], predicted: Sequence[str]) -> float:
    """The goals table's measure for a task: spam F1, sentiment macro-recall, else macro-F1."""
    labels = LABELS[task]
    if task == "spam":
        return f1_of(truth, predicted, "spam")
    if task == "sentiment":
        return macro_recall(truth, predicted, labels)
    return macro_f1(truth, predicted, labels)


def naive_baseline(corpus: Corpus, splits: dict[str, Split]) -> dict[str, float]:
    """The goals table's naive baseline, trained on ``../shared/data`` alone."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    def fit_predict(task: str, sources: tuple[str, ...], split: Split) -> list[str]:
        rows = [
            r
            for r in corpus.rows
            if not r.holdout and task in r.labels and r.source.split(":")[0] in sources
        ]
        model = make_pipeline(
            make_union(
                TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2),
                TfidfVectorizer(
                    sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 5), min_df=2
                ),
            ),
            LogisticRegression(max_iter=2000),
        )
        model.fit([r.text for r in rows], [r.labels[task] for r in rows])
        names = LABELS[task]
        return [names[int(k)] for k in model.predict([r.text for r in split.rows])]

    out: dict[str, float] = {}
    spam_pred = {
        name: fit_predict("spam", ("youtube", "sms"), splits[name])
        for name in ("spam_video", "spam_bots")
    }
    for name, pred in spam_pred.items():
        out[name] = measure(splits[name].task, _truth(splits[name]), pred)
    out["sentiment"] = measure(
        "sentiment",
        _truth(splits["sentiment"]),
        fit_predict("sentiment", ("sentiment",), splits["sentiment"]),
    )
    out["offensive"] = measure(
        "toxic",
        _truth(splits["offensive"]),
        fit_predict("toxic", ("offensive",), splits["offensive"]),
    )
    return out


GOALS = (
    ("spam_video", "spam F1, YouTube video never seen (LMFAO)", 0.97),
    ("spam_bots", "spam F1, bots hiding in the author name (own held-out)", 0.60),
    ("sentiment", "sentiment macro-recall, held-out SemEval-2017 test tweets", 0.70),
    ("offensive", "offensive macro-F1, OffensEval val tweets", 0.78),
    ("intent", "intent macro-F1, fan messages EN/FR/ES/DE (own held-out)", 0.80),
    ("priority", "priority ranking AUC, urgent/high above normal/low", 0.90),
)


def _print_labels(
    title: str, truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str], out: Any
) -> None:
    print(f"\n{title}", file=out)
    print(f"  {'label':<12}{'precision':>10}{'recall':>8}{'f1':>8}{'n':>7}", file=out)
    for s in per_label(truth, predicted, labels):
        print(
            f"  {s.label:<12}{s.precision:>10.3f}{s.recall:>8.3f}{s.f1:>8.3f}{s.support:>7}",
            file=out,
        )


def evaluate(
    data_dir: Path | None = None,
    model_dir: Path | None = None,
    *,
    retrain: bool = True,
    baseline: bool = True,
    out: Any = sys.stdout,
) -> dict[str, float]:
    """Train (unless ``retrain`` is false) and measure the evaluation copy."""
    data_dir = data_dir or default_data_dir()
    with tempfile.TemporaryDirectory() as tmp:
        target = model_dir or Path(tmp) / "eval-model"
        started = time.monotonic()
        if retrain or not (target / "manifest.json").exists():
            train(data_dir, None, target, eval_copy=True)
            print(f"trained the evaluation copy in {time.monotonic() - started:.0f}s", file=out)
        model = load_model(target)
        corpus = load_corpus(data_dir)
        splits = held_out(corpus)
        scores: dict[str, float] = {}
        for name, split in splits.items():
            results = model.classify([MessageInput(r.text, r.author) for r in split.rows])
            truth, predicted = _truth(split), _predicted(split, results)
            scores[name] = measure(split.task, truth, predicted)
            _print_labels(
                f"{name} ({len(split.rows)} held-out rows)",
                truth,
                predicted,
                LABELS[split.task],
                out,
            )
            if name == "intent":
                for lang in ("en", "fr", "es", "de"):
                    idx = [i for i, r in enumerate(split.rows) if r.lang == lang]
                    if idx:
                        lang_score = macro_f1(
                            [truth[i] for i in idx], [predicted[i] for i in idx], LABELS["intent"]
                        )
                        print(f"  intent macro-F1 [{lang}]: {lang_score:.3f}", file=out)
                priorities = [r.labels.get("priority") for r in split.rows]
                urgent = [
                    LABELS["priority"][p] in ("urgent", "high") for p in priorities if p is not None
                ]
                ranked = [
                    c.priority_score
                    for c, p in zip(results, priorities, strict=True)
                    if p is not None
                ]
                scores["priority"] = ranking_auc(ranked, urgent)
        naive = naive_baseline(corpus, splits) if baseline else {}
    print("\n| measure | naive baseline | this model | goal |", file=out)
    print("|---|---|---|---|", file=out)
    for key, title, goal in GOALS:
        base = f"{naive[key]:.3f}" if key in naive else "-"
        print(f"| {title} | {base} | {scores[key]:.3f} | >= {goal:.2f} |", file=out)
    scores.update({f"naive_{k}": v for k, v in naive.items()})
    return scores


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m triage.evaluate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--data", type=Path, default=None, help="labelled sets (default ../shared/data)"
    )
    parser.add_argument(
        "--model-dir", type=Path, default=None, help="where to keep the evaluation copy"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the evaluation copy in --model-dir"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive baseline")
    args = parser.parse_args(argv)
    evaluate(args.data, args.model_dir, retrain=not args.reuse, baseline=not args.no_baseline)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
