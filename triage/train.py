"""Train the triage model: ``python -m triage.train``.

One featuriser, five linear heads (spam, sentiment, toxicity, intent,
urgency), each a logistic regression on the rows that teach it, weighted by
source. Linear models on n-grams are not the most accurate readers of text,
but they train in minutes on two cores, classify thousands of messages a
second, fit in a few megabytes, and can be retrained per workspace from the
team's corrections without a GPU.

Per-workspace retraining calls :func:`train` with the workspace's corrections
(``{"text", "author"?, "intent"?, "spam"?, "priority"?, "sentiment"?,
"toxic"?}``); each weighs :data:`CORRECTION_WEIGHT` ordinary rows, so a
corrected message is classified the corrected way by the next model.

``--eval-copy`` leaves out the held-out splits (see
:mod:`triage.datasets`); :mod:`triage.evaluate` trains such a copy
to measure the model on text it never saw.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from triage import language
from triage.artifact import write_artifact
from triage.datasets import (
    HEAD_LABELS,
    INTENTS,
    PRIORITIES,
    Corpus,
    Row,
    corrections_rows,
    default_data_dir,
    evaluation_texts,
    load_corpus,
    read_jsonl,
    text_key,
)
from triage.features import FeatureConfig, Featuriser, build_vocabulary
from triage.gloss import load_source as load_glossary
from triage.lexicon import build_lexicon, hide_false_friends, load_language_words
from triage.pieces import load_source
from triage.priority import urgency_offset
from triage.text import normalise_text

MODEL_DIR = Path(__file__).resolve().parent / "model"
CORRECTION_WEIGHT = 20.0
# Heads that also get a full reading: the same features plus the sentence encoder's
# vector of the message (triage/encoder.py), times ENCODER_ALPHA. Spam and toxicity
# do not: the encoder places messages by topic, and a link to one's own channel or
# an insult shares its topic with harmless comments (``python -m triage.probe``).
ENCODED_TASKS = ("intent", "sentiment", "urgency", "safety")
ENCODER_ALPHA = 1.0


@dataclass(frozen=True, slots=True)
class HeadSpec:
    """How one head is trained.

    ``sources`` weighs each source (a row's source, or its part before ":");
    sources not listed do not teach this head. ``tune`` names the measure a
    decision threshold is chosen for, by cross-validation on the training
    rows of ``tune_sources`` (binary heads only).
    """

    task: str
    sources: dict[str, float]
    C: float
    class_weight: str | None = None
    tune: str | None = None
    tune_sources: tuple[str, ...] = ()
    # Only spam reads the author's name: for the other heads a name says
    # little, and in the project's own examples it would say too much.
    uses_author: bool = False
    # Only sentiment reads the word-piece vectors: 5-fold cross-validation
    # on the SemEval tweets gains about +0.01 macro-recall with them; spam and
    # offensive lose a little (``python -m triage.probe``).
    uses_meaning: bool = False
    # Sentiment reads the lexicon's sums with each message's language list first
    # (triage/lexicons/) instead of the shared lexicon's alone. Its weights for them
    # are learned mostly from English tweets and then serve every language; the
    # other heads read as they did before the lists (their public figures held
    # only that way).
    uses_language_lexicon: bool = False

    @property
    def labels(self) -> tuple[str, ...]:
        return HEAD_LABELS[self.task]

    @property
    def teaches(self) -> str:
        """The row label this head learns from (urgency is derived from priority)."""
        return "priority" if self.task == "urgency" else self.task

    @property
    def binary(self) -> bool:
        return len(self.labels) == 2

    def weight_of(self, row: Row) -> float:
        if row.source == "correction":
            return row.weight
        weight = self.sources.get(row.source)
        if weight is None:
            weight = self.sources.get(row.source.split(":", 1)[0], 0.0)
        return weight * row.weight


# "voices" are fan messages written by people, not templates (data/voices/): few,
# but they read like the inbox, so they weigh more than a template row.
HEADS: tuple[HeadSpec, ...] = (
    HeadSpec(
        "spam",
        {"youtube": 1.0, "sms": 0.3, "bots": 1.0, "fan": 0.3, "voices": 2.0},
        C=10.0,
        tune="f1",
        tune_sources=("youtube",),
        uses_author=True,
    ),
    HeadSpec(
        "sentiment",
        {"sentiment": 1.0, "fan": 0.5, "voices": 2.0},
        C=0.5,
        class_weight="balanced",
        uses_meaning=True,
        uses_language_lexicon=True,
    ),
    HeadSpec(
        "toxic",
        {"offensive": 1.0, "davidson": 0.2, "fan": 1.0, "voices": 2.0},
        C=1.0,
        tune="macro_f1",
        tune_sources=("offensive",),
    ),
    HeadSpec("intent", {"fan": 1.0, "tweet-acts": 0.1, "voices": 3.0}, C=30.0),
    # Trained after intent: a priority-only correction is read against the
    # intent the new model gives the message.
    # Balanced: "as usual" is most rows, and a timid head never moves a score.
    HeadSpec("urgency", {"fan": 1.0, "voices": 3.0}, C=10.0, class_weight="balanced"),
    # Someone may be in danger. The rules in triage/safety.py name the common
    # cases; this head catches the phrasings they do not. Its threshold is
    # chosen for F1 on the voices by cross-validation. "safety" (quiet dangers and
    # harmless look-alikes, data/safety/) teaches this head alone: the other heads
    # fell below their public figures on it. The public emotion tweets are its
    # dark-but-harmless negatives (277 alarms on unseen public tweets without them, 8 with).
    HeadSpec(
        "safety",
        {"voices": 1.0, "fan": 0.3, "safety": 1.0, "emotion": 0.3},
        C=3.0,
        class_weight="balanced",
        tune="f1",
        tune_sources=("voices",),
        uses_meaning=True,
    ),
)


@dataclass(slots=True)
class ModelInfo:
    """What a training run produced, for the model-versions table and logs."""

    version: str
    path: str
    created_at: str
    eval_copy: bool
    rows: dict[str, int] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    corrections_used: int = 0
    corrections_rejected: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = float(np.sum((pred == 1) & (y == 1)))
    fp = float(np.sum((pred == 1) & (y == 0)))
    fn = float(np.sum((pred == 0) & (y == 1)))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    return (_f1(y, pred) + _f1(1 - y, 1 - pred)) / 2


MEASURES: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {"f1": _f1, "macro_f1": _macro_f1}


def _fit(spec: HeadSpec, X: sp.csr_matrix, y: np.ndarray, w: np.ndarray, seed: int) -> Any:
    from sklearn.linear_model import LogisticRegression

    if spec.binary:
        model = LogisticRegression(
            C=spec.C,
            class_weight=spec.class_weight,
            solver="liblinear",
            max_iter=2000,
            random_state=seed,
        )
    else:
        model = LogisticRegression(
            C=spec.C,
            class_weight=spec.class_weight,
            solver="lbfgs",
            max_iter=3000,
            random_state=seed,
        )
    model.fit(X, y, sample_weight=w)
    return model


def _tune_threshold(
    spec: HeadSpec, X: sp.csr_matrix, y: np.ndarray, w: np.ndarray, rows: Sequence[Row], seed: int
) -> float:
    """The threshold that maximises the head's measure on out-of-fold predictions."""
    assert spec.tune is not None
    measure = MEASURES[spec.tune]
    target = np.array([r.source.split(":", 1)[0] in spec.tune_sources for r in rows])
    folds = np.random.default_rng(seed).integers(0, 3, size=len(rows))
    oof = np.zeros(len(rows))
    for fold in range(3):
        test = folds == fold
        model = _fit(spec, X[~test], y[~test], w[~test], seed)
        oof[test] = model.predict_proba(X[test])[:, 1]
    candidates = np.arange(0.15, 0.86, 0.025)
    scores = [measure(y[target], (oof[target] >= t).astype(int)) for t in candidates]
    return float(round(candidates[int(np.argmax(scores))], 3))


def _subsample(rows: list[Row], per_source: int, seed: int) -> list[Row]:
    by_source: dict[str, list[Row]] = {}
    for row in rows:
        by_source.setdefault(row.source, []).append(row)
    # reproducible sampling (bandit B311)
    rng = random.Random(seed)  # nosec B311
    out: list[Row] = []
    for source in sorted(by_source):
        group = by_source[source]
        rng.shuffle(group)
        out += group[:per_source]
    return out


def training_rows(
    corpus: Corpus, *, eval_copy: bool, max_rows_per_source: int | None, seed: int
) -> list[Row]:
    """The rows a model learns from: never a message kept for evaluation (see datasets)."""
    unseen = evaluation_texts()
    rows = [
        r
        for r in corpus.rows
        if not (eval_copy and r.holdout) and (not unseen or text_key(r.text) not in unseen)
    ]
    if max_rows_per_source is not None:
        rows = _subsample(rows, max_rows_per_source, seed)
    return rows


def train(
    data_dir: Path | None = None,
    corrections: list[dict[str, Any]] | None = None,
    out_dir: Path | None = None,
    *,
    eval_copy: bool = False,
    max_rows_per_source: int | None = None,
    tune_thresholds: bool = True,
    use_pieces: bool = True,
    use_encoder: bool = False,
    use_gloss: bool = True,
    use_language_words: bool = True,
    key: bytes | None = None,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
    step: Callable[[str, dict[str, int]], None] | None = None,
) -> ModelInfo:
    """Train every head and write the model to ``out_dir``; returns its :class:`ModelInfo`.

    ``max_rows_per_source`` trains on a sample (tests, quick checks);
    ``key`` signs the manifest (see :mod:`triage.artifact`);
    ``use_pieces=False`` leaves the word-piece vectors out (comparisons);
    ``use_encoder=True`` also trains the full reading of :data:`ENCODED_TASKS`
    (the sentence encoder's vectors, cached on disk; minutes the first time);
    ``use_gloss=False`` lets the meaning readers see the other languages as
    written instead of as an English gloss (comparisons; see :mod:`triage.gloss`);
    ``use_language_words=False`` scores every message with the shared lexicon
    alone, without the per-language lists (comparisons; see :mod:`triage.lexicon`).
    ``step`` is told each stage as it starts (``read``, ``features``, ``head``,
    ``check``, ``save``, with its figures) so a caller can show a retraining's
    progress live; ``log`` is for people reading a terminal.
    """
    started = time.monotonic()
    say = log or (lambda _msg: None)
    mark = step or (lambda _name, _figures: None)
    data_dir = data_dir or default_data_dir()
    out_dir = out_dir or MODEL_DIR
    corpus = load_corpus(data_dir)
    rows = training_rows(
        corpus, eval_copy=eval_copy, max_rows_per_source=max_rows_per_source, seed=seed
    )
    fixes, rejected = corrections_rows(corrections or [], CORRECTION_WEIGHT)
    rows += fixes
    say(f"{len(rows)} training rows ({len(fixes)} corrections, {rejected} rejected)")
    mark("features", {"num": len(rows), "corrections": len(fixes)})

    lexicon = build_lexicon()
    texts, authors = [r.text for r in rows], [r.author for r in rows]
    norms = [normalise_text(t) for t in texts]
    # Read once: the meaning readers' glosses, and the senses that tell the lexicon's false friends.
    glosses = load_glossary()
    # An empty glossary (no word lists) is falsy: the meaning readers then read as written.
    glossary = (glosses or None) if use_gloss and (use_pieces or use_encoder) else None
    languages = (
        hide_false_friends(load_language_words(), lexicon, glosses.source)
        if use_language_words
        else {}
    )
    config = FeatureConfig(language_lexicon=bool(languages))
    meaning: Sequence[str] = norms
    readable: Sequence[str] = texts
    langs = language.detect_many(texts, [r.lang or None for r in rows])
    if glossary is not None:
        meaning, readable = glossary.readings(texts, norms, langs)
    vocabulary = build_vocabulary(texts, authors, config)
    pieces = load_source().with_weights_from(meaning) if use_pieces else None
    featuriser = Featuriser(vocabulary, config, lexicon, pieces, languages)
    X = featuriser.transform(texts, authors, norms, meaning, langs).to_csr()
    say(f"features: {X.shape[1]} columns, {time.monotonic() - started:.0f}s")
    n_words, n_chars, n_authors = vocabulary.sizes
    author_columns = slice(n_words + n_chars, n_words + n_chars + n_authors)
    views: dict[tuple[bool, bool, bool], sp.csr_matrix] = {}

    def columns_for(spec: HeadSpec) -> sp.csr_matrix:
        """X without the blocks this head does not read (their weights stay 0)."""
        wanted = (spec.uses_author, spec.uses_meaning, spec.uses_language_lexicon)
        if wanted not in views:
            keep = np.ones(X.shape[1], dtype=np.float32)
            if not spec.uses_author:
                keep[author_columns] = 0.0
            if not spec.uses_meaning:
                keep[featuriser.meaning_columns()] = 0.0
            # A head reads one set of lexicon sums, never both.
            if featuriser.config.language_lexicon:
                keep[featuriser.lexicon_columns(not spec.uses_language_lexicon)] = 0.0
            views[wanted] = (X @ sp.diags(keep)).tocsr()
        return views[wanted]

    encoded = _encoded_rows(rows, readable, say) if use_encoder else None
    full_blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    full_heads: list[dict[str, Any]] = []
    weight_blocks: list[np.ndarray] = []
    bias_blocks: list[np.ndarray] = []
    heads: list[dict[str, Any]] = []
    info = ModelInfo("", str(out_dir), "", eval_copy)
    column = 0
    intent_model: Any = None
    for number, spec in enumerate(HEADS, start=1):
        mark("head", {"num": number, "total": len(HEADS)})
        index, w = head_rows(spec, rows)
        Xh = columns_for(spec)[index]
        if spec.task == "urgency":
            y = _urgency_labels([rows[i] for i in index], intent_model, Xh)
        else:
            y = np.array([rows[i].labels[spec.task] for i in index])
        present = sorted(set(y.tolist()))
        if len(present) < 2:
            raise ValueError(f"{spec.task}: training data has only one class")
        model = _fit(spec, Xh, y, w, seed)
        if spec.task == "intent":
            intent_model = model
        coef, bias = _expand(model, spec)
        threshold = 0.5
        if spec.binary and spec.tune and tune_thresholds:
            mark("check", {"num": number, "total": len(HEADS)})
            threshold = _tune_threshold(spec, Xh, y, w, [rows[i] for i in index], seed)
        width = coef.shape[1]
        heads.append(
            {
                "task": spec.task,
                "labels": list(spec.labels),
                "kind": "binary" if spec.binary else "softmax",
                "start": column,
                "stop": column + width,
                "threshold": threshold,
            }
        )
        column += width
        weight_blocks.append(coef)
        bias_blocks.append(bias)
        if encoded is not None and spec.task in ENCODED_TASKS:
            E = sp.csr_matrix(ENCODER_ALPHA * encoded[index])
            full = _fit(spec, sp.hstack([Xh, E]).tocsr(), y, w, seed)
            full_coef, full_bias = _expand(full, spec)
            start = sum(b[0].shape[1] for b in full_blocks)
            full_heads.append({"task": spec.task, "start": start, "stop": start + width})
            split = Xh.shape[1]
            full_blocks.append((full_coef[:split], full_coef[split:] * ENCODER_ALPHA, full_bias))
        info.rows[spec.task] = len(index)
        info.thresholds[spec.task] = threshold
        say(
            f"{spec.task}: {len(index)} rows, threshold {threshold}, {time.monotonic() - started:.0f}s"
        )

    mark("save", {})
    weights = np.hstack(weight_blocks)
    # The scratch column (unknown n-grams, idf 0) must score nothing.
    weights[featuriser.scratch] = 0.0
    arrays: dict[str, np.ndarray] = {
        "char_buckets": vocabulary.char_buckets.astype(np.int32),
        "author_buckets": vocabulary.author_buckets.astype(np.int32),
        "idf": vocabulary.idf.astype(np.float32),
        "weights": weights.astype(np.float16),
        "bias": np.concatenate(bias_blocks).astype(np.float32),
    }
    vocab: dict[str, Any] = {"words": vocabulary.words, "lexicon": lexicon}
    if languages:
        vocab["lexicons"] = {lang: words.to_json() for lang, words in languages.items()}
    if full_blocks:
        full_weights = np.hstack([b[0] for b in full_blocks])
        full_weights[featuriser.scratch] = 0.0
        arrays["full_weights"] = full_weights.astype(np.float16)
        arrays["encoder_weights"] = np.hstack([b[1] for b in full_blocks]).astype(np.float32)
        arrays["full_bias"] = np.concatenate([b[2] for b in full_blocks]).astype(np.float32)
    if pieces is not None:
        arrays["piece_vectors"] = pieces.vectors
        arrays["piece_scale"] = pieces.scale
        arrays["piece_weight"] = pieces.weight
        vocab["pieces"] = pieces.pieces
    if glossary is not None:
        vocab["gloss"] = glossary.to_json()
    digest = hashlib.sha256(arrays["weights"].tobytes())
    digest.update(arrays["bias"].tobytes())
    if pieces is not None:
        digest.update(pieces.weight.tobytes())
        digest.update(pieces.vectors.tobytes())
    if full_blocks:
        digest.update(arrays["full_weights"].tobytes())
        digest.update(arrays["encoder_weights"].tobytes())
    digest.update(json.dumps(vocab, sort_keys=True).encode())
    created = datetime.now(UTC)
    version = f"{created:%Y%m%d}-{digest.hexdigest()[:8]}"
    manifest: dict[str, Any] = {
        "version": version,
        "created_at": created.isoformat(timespec="seconds"),
        "features": config.to_json(),
        "heads": heads,
        **(
            {"full_heads": full_heads, "encoder": {"sha256": _encoder_digest()}}
            if full_heads
            else {}
        ),
        "training": {
            "eval_copy": eval_copy,
            "rows": info.rows,
            "corrections": len(fixes),
            "sample_per_source": max_rows_per_source,
        },
    }
    write_artifact(out_dir, manifest, vocab, arrays, key=key)
    info.version = version
    info.created_at = str(manifest["created_at"])
    info.corrections_used = len(fixes)
    info.corrections_rejected = rejected
    info.skipped = dict(corpus.skipped)
    info.seconds = round(time.monotonic() - started, 1)
    return info


def _encoder_digest() -> str:
    from triage.encoder import model_digest

    return model_digest()


def _encoded_rows(
    rows: Sequence[Row], readable: Sequence[str], say: Callable[[str], None]
) -> np.ndarray:
    """The encoder's vector of every row an encoded head learns from (zeros elsewhere);
    ``readable`` is each row's text as the encoder reads it (glossed or not)."""
    from triage.encoder import DIM, encode_cached

    wanted = sorted(
        {int(i) for spec in HEADS if spec.task in ENCODED_TASKS for i in head_rows(spec, rows)[0]}
    )
    started = time.monotonic()
    out = np.zeros((len(rows), DIM), dtype=np.float32)
    if wanted:
        out[wanted] = encode_cached([readable[i] for i in wanted])
    say(f"encoder: {len(wanted)} rows read in {time.monotonic() - started:.0f}s")
    return out


def head_rows(spec: HeadSpec, rows: Sequence[Row]) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the rows that teach ``spec`` and their weights (rows weighted 0 left out)."""
    picked = [(i, spec.weight_of(r)) for i, r in enumerate(rows) if spec.teaches in r.labels]
    picked = [(i, w) for i, w in picked if w > 0]
    index = np.array([i for i, _ in picked], dtype=np.int64)
    return index, np.array([w for _, w in picked], dtype=np.float64)


def _urgency_labels(rows: Sequence[Row], intent_model: Any, X: sp.csr_matrix) -> np.ndarray:
    """0/1/2 (lower/usual/higher): each row's priority against its intent's usual one."""
    if intent_model is None:
        raise ValueError("the intent head must be trained before the urgency head")
    predicted = intent_model.predict(X)
    out = []
    for row, guess in zip(rows, predicted, strict=True):
        intent = INTENTS[row.labels.get("intent", int(guess))]
        out.append(urgency_offset(intent, PRIORITIES[row.labels["priority"]]) + 1)
    return np.array(out)


def _expand(model: Any, spec: HeadSpec) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients as (n_features, width), with a column for every label.

    A binary head keeps sklearn's single logit column. A softmax head whose
    training rows lacked a class (possible in a small sample) gets a column
    that never wins.
    """
    coef = np.asarray(model.coef_, dtype=np.float64)
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    if spec.binary:
        return coef.T, intercept
    full = np.zeros((coef.shape[1], len(spec.labels)))
    bias = np.full(len(spec.labels), -30.0)
    for k, label in enumerate(model.classes_):
        full[:, int(label)] = coef[k]
        bias[int(label)] = intercept[k]
    return full, bias


def read_corrections(path: Path) -> list[dict[str, Any]]:
    return [dict(record) for record in read_jsonl(path) if record]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m triage.train", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--data", type=Path, default=None, help="labelled sets (default ../shared/data)"
    )
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help="model directory to write")
    parser.add_argument("--extra", type=Path, default=None, help="corrections as JSON Lines")
    parser.add_argument("--eval-copy", action="store_true", help="leave the held-out splits out")
    parser.add_argument("--sample", type=int, default=None, help="at most N rows per source")
    parser.add_argument(
        "--fast-only", action="store_true", help="no full reading (no sentence encoder)"
    )
    parser.add_argument(
        "--no-gloss", action="store_true", help="no English gloss of the other languages"
    )
    parser.add_argument(
        "--no-language-words",
        action="store_true",
        help="no per-language sentiment lists, the shared lexicon alone",
    )
    args = parser.parse_args(argv)
    corrections = read_corrections(args.extra) if args.extra else None
    info = train(
        args.data,
        corrections,
        args.out,
        eval_copy=args.eval_copy,
        max_rows_per_source=args.sample,
        use_encoder=not args.fast_only,
        use_gloss=not args.no_gloss,
        use_language_words=not args.no_language_words,
        log=lambda msg: print(msg, file=sys.stderr, flush=True),
    )
    print(json.dumps(info.to_json(), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
