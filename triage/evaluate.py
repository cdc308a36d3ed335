"""Measure the triage model on text it was not trained on: ``python -m triage.evaluate``.

An *evaluation copy* of the model is trained exactly like the shipped one
but without the held-out splits (:mod:`triage.datasets` says which), and
measured on them next to the naive baseline of the goals table: TF-IDF
(words + characters) and logistic regression trained on ``../shared/data``
alone, computed in the same run on the same splits. The shipped model has
seen these splits, so it is not what is measured here.

Prints per-label precision / recall / F1 for spam, sentiment, toxicity and
intent, then the goals table, then, per reading (full and fast), the
independent fan messages' table and the quiet dangers' counts: messages never
trained on (``data/independent/``, ``data/quiet/``).
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
from triage.datasets import (
    LABELS,
    Corpus,
    Row,
    default_data_dir,
    load_corpus,
    load_independent,
    load_quiet_dangers,
)
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


def naive_predict(
    corpus: Corpus, task: str, sources: tuple[str, ...], texts: Sequence[str]
) -> list[str]:
    """The naive baseline's labels for ``texts``: TF-IDF (words + characters) and logistic
    regression, trained on the corpus rows of ``sources`` that are not held out."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    rows = [
        r
        for r in corpus.rows
        if not r.holdout and task in r.labels and r.source.split(":")[0] in sources
    ]
    model = make_pipeline(
        make_union(
            TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2),
            TfidfVectorizer(sublinear_tf=True, analyzer="char_wb", ngram_range=(2, 5), min_df=2),
        ),
        LogisticRegression(max_iter=2000),
    )
    model.fit([r.text for r in rows], [r.labels[task] for r in rows])
    return [LABELS[task][int(k)] for k in model.predict(list(texts))]


def naive_baseline(corpus: Corpus, splits: dict[str, Split]) -> dict[str, float]:
    """The goals table's naive baseline, trained on ``../shared/data`` alone."""

    def fit_predict(task: str, sources: tuple[str, ...], split: Split) -> list[str]:
        return naive_predict(corpus, task, sources, [r.text for r in split.rows])

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


@dataclass(frozen=True, slots=True)
class IndependentScores:
    """The independent set's figures (see :func:`independent_scores`)."""

    n: int
    intent_macro_f1: float
    spam_f1: float
    sentiment_macro_recall: float
    negative_recall: float
    urgent_recall: float
    priority_auc: float
    safety_total: int
    safety_urgent: int
    must_see_total: int
    must_see_urgent_or_high: int
    scam_total: int
    scam_found: int
    naive: dict[str, float]

    def table(self) -> list[tuple[str, float, float | None, float]]:
        """(measure, this model, naive baseline, goal) rows for the printed table."""
        return [
            ("intent macro-F1", self.intent_macro_f1, self.naive.get("intent"), 0.80),
            ("spam F1", self.spam_f1, self.naive.get("spam"), 0.75),
            (
                "sentiment macro-recall",
                self.sentiment_macro_recall,
                self.naive.get("sentiment"),
                0.70,
            ),
            ("negative-sentiment recall", self.negative_recall, self.naive.get("negative"), 0.70),
            ("urgent recall (urgent or high)", self.urgent_recall, None, 1.0),
            ("priority AUC, urgent/high above normal/low", self.priority_auc, None, 0.93),
        ]


def independent_scores(
    results: Sequence[Classification], records: Sequence[dict[str, Any]], naive: dict[str, float]
) -> IndependentScores:
    """Score classifications of the independent set against its labels."""
    intents = [str(r["intent"]) for r in records]
    intent_pred = [c.intent for c in results]
    spam = ["spam" if r.get("spam") else "ham" for r in records]
    spam_pred = ["spam" if c.spam else "ham" for c in results]
    sentiments = [str(r["sentiment"]) for r in records]
    sentiment_pred = [c.sentiment for c in results]
    negatives = [i for i, s in enumerate(sentiments) if s == "negative"]
    priorities = [str(r["priority"]) for r in records]
    pressing = [p in ("urgent", "high") for p in priorities]
    urgent = [i for i, p in enumerate(priorities) if p == "urgent"]
    safety = [i for i, r in enumerate(records) if r.get("safety")]
    scams = [i for i, r in enumerate(records) if r.get("scam")]
    return IndependentScores(
        n=len(records),
        intent_macro_f1=macro_f1(intents, intent_pred, LABELS["intent"]),
        spam_f1=f1_of(spam, spam_pred, "spam"),
        sentiment_macro_recall=macro_recall(sentiments, sentiment_pred, LABELS["sentiment"]),
        negative_recall=sum(sentiment_pred[i] == "negative" for i in negatives)
        / max(1, len(negatives)),
        urgent_recall=sum(results[i].priority in ("urgent", "high") for i in urgent)
        / max(1, len(urgent)),
        priority_auc=ranking_auc([c.priority_score for c in results], pressing),
        safety_total=len(safety),
        safety_urgent=sum(results[i].priority == "urgent" for i in safety),
        must_see_total=len(urgent),
        must_see_urgent_or_high=sum(results[i].priority in ("urgent", "high") for i in urgent),
        scam_total=len(scams),
        scam_found=sum(results[i].scam for i in scams),
        naive=naive,
    )


def naive_independent(corpus: Corpus, records: Sequence[dict[str, Any]]) -> dict[str, float]:
    """The naive baseline on the independent set: TF-IDF + logistic regression per task,
    trained on the same sources as the model's heads (templates, public sets, voices)."""

    texts = [str(r["text"]) for r in records]

    def fit_predict(task: str, sources: tuple[str, ...]) -> list[str]:
        return naive_predict(corpus, task, sources, texts)

    intent_pred = fit_predict("intent", ("fan", "voices"))
    spam_pred = fit_predict("spam", ("youtube", "sms", "fan", "voices"))
    sentiment_pred = fit_predict("sentiment", ("sentiment", "fan", "voices"))
    sentiments = [str(r["sentiment"]) for r in records]
    negatives = [i for i, s in enumerate(sentiments) if s == "negative"]
    return {
        "intent": macro_f1([str(r["intent"]) for r in records], intent_pred, LABELS["intent"]),
        "spam": f1_of(["spam" if r.get("spam") else "ham" for r in records], spam_pred, "spam"),
        "sentiment": macro_recall(sentiments, sentiment_pred, LABELS["sentiment"]),
        "negative": sum(sentiment_pred[i] == "negative" for i in negatives)
        / max(1, len(negatives)),
    }


@dataclass(frozen=True, slots=True)
class QuietScores:
    """The quiet dangers' figures: how many people in danger were ranked urgent, and how
    many harmless messages that sound dark were taken for danger (see :func:`quiet_scores`)."""

    harmless_total: int
    false_alarms: int
    by_language: dict[str, tuple[int, int]]  # lang -> (danger ranked urgent, danger total)

    @property
    def danger_urgent(self) -> int:
        return sum(found for found, _ in self.by_language.values())

    @property
    def danger_total(self) -> int:
        return sum(total for _, total in self.by_language.values())


def quiet_scores(
    results: Sequence[Classification], records: Sequence[dict[str, Any]]
) -> QuietScores:
    """Score classifications of the quiet dangers against their ``safety`` labels.

    A danger counts as found only when it is ranked urgent *as a danger* (a threat read as an
    urgent booking was not understood); a false alarm is a harmless message named a danger.
    """
    found: dict[str, list[int]] = {}
    false_alarms = harmless = 0
    for c, r in zip(results, records, strict=True):
        if r["safety"]:
            tally = found.setdefault(str(r.get("lang") or "?"), [0, 0])
            tally[0] += c.priority == "urgent" and c.safety is not None
            tally[1] += 1
        else:
            harmless += 1
            false_alarms += c.safety is not None
    return QuietScores(
        harmless_total=harmless,
        false_alarms=false_alarms,
        by_language={lang: (t[0], t[1]) for lang, t in sorted(found.items())},
    )


def _inputs(records: Sequence[dict[str, Any]]) -> list[MessageInput]:
    """What the classifier reads of an evaluation record: its text and author."""
    return [MessageInput(str(r["text"]), str(r.get("author") or "")) for r in records]


def print_quiet(scores: QuietScores, out: Any) -> None:
    languages = ", ".join(f"{lang} {a}/{b}" for lang, (a, b) in scores.by_language.items())
    print(
        f"quiet dangers (never trained on): someone in danger ranked urgent {scores.danger_urgent}"
        f" of {scores.danger_total} ({languages}); harmless messages that sound dark taken for"
        f" danger {scores.false_alarms} of {scores.harmless_total}",
        file=out,
    )


def print_independent(scores: IndependentScores, out: Any) -> None:
    print(
        f"\nIndependent fan messages ({scores.n}, EN/FR/ES/DE/PT/IT, written apart from the"
        " templates and never trained on)",
        file=out,
    )
    print("| measure | naive baseline | this model | goal |", file=out)
    print("|---|---|---|---|", file=out)
    for title, value, base, goal in scores.table():
        shown = "-" if base is None else f"{base:.3f}"
        print(f"| {title} | {shown} | {value:.3f} | >= {goal:.2f} |", file=out)
    print(
        f"safety messages urgent: {scores.safety_urgent} of {scores.safety_total}; "
        f"must-see (labelled urgent) ranked urgent or high: {scores.must_see_urgent_or_high} of "
        f"{scores.must_see_total}; scams named: {scores.scam_found} of {scores.scam_total}",
        file=out,
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
            train(data_dir, None, target, eval_copy=True, use_encoder=True)
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
        records = load_independent()
        fast_independent = None
        if records:
            inputs = _inputs(records)
            unseen = model.classify(inputs)
            fast_independent = independent_scores(model.classify(inputs, fast=True), records, {})
            _print_labels(
                f"independent intent ({len(records)} rows)",
                [str(r["intent"]) for r in records],
                [c.intent for c in unseen],
                LABELS["intent"],
                out,
            )
            independent = independent_scores(
                unseen, records, naive_independent(corpus, records) if baseline else {}
            )
            scores.update(
                {
                    "independent_intent": independent.intent_macro_f1,
                    "independent_spam": independent.spam_f1,
                    "independent_sentiment": independent.sentiment_macro_recall,
                    "independent_negative": independent.negative_recall,
                    "independent_urgent": independent.urgent_recall,
                    "independent_priority": independent.priority_auc,
                }
            )
        else:
            independent = None
        quiet_records = load_quiet_dangers()
        quiet_inputs = _inputs(quiet_records)
        quiet = quiet_scores(model.classify(quiet_inputs), quiet_records)
        fast_quiet = quiet_scores(model.classify(quiet_inputs, fast=True), quiet_records)
        if quiet.danger_total:
            scores["quiet_danger_urgent"] = quiet.danger_urgent / quiet.danger_total
        if quiet.harmless_total:
            scores["quiet_false_alarms"] = quiet.false_alarms / quiet.harmless_total
    print("\n| measure | naive baseline | this model | goal |", file=out)
    print("|---|---|---|---|", file=out)
    for key, title, goal in GOALS:
        base = f"{naive[key]:.3f}" if key in naive else "-"
        print(f"| {title} | {base} | {scores[key]:.3f} | >= {goal:.2f} |", file=out)
    if independent is not None:
        print(f"\nreading: {'full (sentence encoder)' if model.reads_full else 'fast'}", file=out)
        print_independent(independent, out)
        if quiet_records:
            print_quiet(quiet, out)
    if fast_independent is not None and model.reads_full:
        print("\nreading: fast (linear heads alone, `classify --fast`)", file=out)
        print_independent(fast_independent, out)
        if quiet_records:
            print_quiet(fast_quiet, out)
        scores.update(
            {
                "independent_fast_intent": fast_independent.intent_macro_f1,
                "independent_fast_priority": fast_independent.priority_auc,
            }
        )
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
