"""Classify fan messages in batches with the shipped (or a workspace's) model.

>>> model = load_model()
>>> [c.intent for c in model.classify([MessageInput("Can you play our festival on June 3?")])]
['booking']

Everything a batch needs is computed once for the whole batch: features,
one sparse-dense product for all five heads, then per-message reasons only
where they apply. Importing this module does not import scikit-learn, Flask
or SQLAlchemy, so the command line starts fast.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from triage import language, reasons, safety
from triage.artifact import Artifact, ArtifactError, read_artifact
from triage.features import FeatureConfig, Featuriser, Vocabulary
from triage.gloss import Glossary
from triage.lexicon import LanguageWords, LexiconError
from triage.pieces import PieceVectors
from triage.priority import INTENT_BASE, PRESSING, PriorityContext, score_priority
from triage.text import clean_markup, normalise_text

SHIPPED_MODEL = Path(__file__).resolve().parent / "model"
CHUNK = 4096  # messages featurised at once: bounds memory, keeps numpy busy
MAX_TEXT_CHARS = 5000  # longer texts (pasted emails) are read up to here
MAX_AUTHOR_CHARS = 200
# The safety head alone (no rule matched) pages someone only when it is this sure:
# at its F1-tuned threshold it flagged a dozen of the sandbox's 2,000 ordinary
# messages (long heartfelt emails, "keeps me going at 4am"); at 0.7, none.
SAFETY_HEAD_FLOOR = 0.7
# ... or when it finds danger more likely than not and the urgency head, which learned
# from priority labels and not from the safety rows, calls the message pressing: two
# readings agreeing. On the quiet dangers (never trained on) this found 15 more of 240
# people in danger for 5 more of 360 harmless messages taken for danger; missing
# someone in danger costs more than a teammate reading a dark message that was fine.
SAFETY_HEAD_CORROBORATED = 0.5

__all__ = [
    "ArtifactError",
    "Classification",
    "MessageInput",
    "Model",
    "PriorityContext",
    "load_model",
]


def head_finds_danger(p_danger: float, urgency: float, threshold: float) -> bool:
    """Whether the safety head alone (no rule matched) should page someone: sure of
    it on its own, or more likely than not with the urgency head calling it pressing."""
    return p_danger >= max(threshold, SAFETY_HEAD_FLOOR) or (
        p_danger >= SAFETY_HEAD_CORROBORATED and urgency >= PRESSING
    )


@dataclass(frozen=True, slots=True)
class MessageInput:
    text: str
    author: str = ""
    network: str | None = None
    lang: str | None = None


@dataclass(slots=True)
class Classification:
    spam: bool
    spam_score: float
    sentiment: str
    toxic: bool
    toxicity_score: float
    intent: str
    intent_score: float
    lang: str
    priority: str
    priority_score: int
    reasons: list[str]
    model_version: str
    # The model's estimate of how pressing the message is *for its intent*:
    # 0.5 as usual, 1.0 one priority step above, 0.0 one below. Learned from
    # priority labels and corrections; an input of score_priority.
    urgency: float = 0.5
    # A time-critical word found in the message ("tonight"), if any.
    time_cue: str | None = None
    sentiment_scores: dict[str, float] = field(default_factory=dict)
    # The intent head's probability for each intent: priority weighs each intent's
    # base by it (:func:`triage.priority.intent_base`), and the inbox keeps it for
    # recomputing priority as the fan waits.
    intent_scores: dict[str, float] = field(default_factory=dict)
    # Someone may be in danger: the category in words ("threat", "stalking",
    # "self-harm", ...). Such a message is never spam and always urgent.
    safety: str | None = None
    # An advance-fee scam or phishing: spam, with its own reason.
    scam: bool = False
    # "full": the sentence encoder refined intent, sentiment, urgency and safety;
    # "fast": the linear heads alone (a bulk import, before its refinement job).
    reading: str = "fast"

    def to_json(self) -> dict[str, Any]:
        return {
            "spam": self.spam,
            "spam_score": self.spam_score,
            "sentiment": self.sentiment,
            "toxic": self.toxic,
            "toxicity_score": self.toxicity_score,
            "intent": self.intent,
            "intent_score": self.intent_score,
            "lang": self.lang,
            "priority": self.priority,
            "priority_score": self.priority_score,
            "reasons": list(self.reasons),
            "model_version": self.model_version,
            "urgency": self.urgency,
            "time_cue": self.time_cue,
            "sentiment_scores": dict(self.sentiment_scores),
            "intent_scores": dict(self.intent_scores),
            "safety": self.safety,
            "scam": self.scam,
            "reading": self.reading,
        }


@dataclass(frozen=True, slots=True)
class Head:
    task: str
    labels: tuple[str, ...]
    binary: bool
    start: int
    stop: int
    threshold: float


def _heads(manifest: dict[str, Any], width: int) -> dict[str, Head]:
    heads: dict[str, Head] = {}
    for raw in manifest.get("heads", []):
        head = Head(
            task=str(raw["task"]),
            labels=tuple(str(x) for x in raw["labels"]),
            binary=raw["kind"] == "binary",
            start=int(raw["start"]),
            stop=int(raw["stop"]),
            threshold=float(raw.get("threshold", 0.5)),
        )
        expected = 1 if head.binary else len(head.labels)
        if not 0 <= head.start < head.stop <= width or head.stop - head.start != expected:
            raise ArtifactError(f"head {head.task} has bad columns")
        heads[head.task] = head
    missing = {"spam", "sentiment", "toxic", "intent", "urgency"} - set(heads)
    if missing:
        raise ArtifactError(f"model lacks heads: {sorted(missing)}")
    return heads


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))


def _pieces(vocab: dict[str, Any], arrays: dict[str, np.ndarray]) -> PieceVectors | None:
    """The model's word-piece vectors, if it was trained with them."""
    if "piece_vectors" not in arrays:
        return None
    pieces = vocab.get("pieces")
    if not isinstance(pieces, list) or not all(isinstance(p, str) for p in pieces):
        raise ArtifactError("word pieces malformed")
    if "piece_scale" not in arrays or "piece_weight" not in arrays:
        raise ArtifactError("word-piece arrays incomplete")
    return PieceVectors(
        pieces, arrays["piece_vectors"], arrays["piece_scale"], arrays["piece_weight"]
    )


def _glossary(vocab: dict[str, Any]) -> Glossary | None:
    """The model's English glosses, if it was trained with them (see :mod:`triage.gloss`)."""
    raw = vocab.get("gloss")
    if raw is None:
        return None
    if not isinstance(raw, dict) or not all(
        isinstance(lang, str)
        and isinstance(table, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in table.items())
        for lang, table in raw.items()
    ):
        raise ArtifactError("glossary malformed")
    return Glossary(raw)


def _language_words(vocab: dict[str, Any]) -> dict[str, LanguageWords]:
    """The lexicon's per-language lists, if the model was trained with them."""
    raw = vocab.get("lexicons")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ArtifactError("language lexicons malformed")
    try:
        return {str(lang): LanguageWords.from_json(words) for lang, words in raw.items()}
    except (KeyError, TypeError, LexiconError) as exc:
        raise ArtifactError(f"language lexicons malformed: {exc}") from exc


class Model:
    """A loaded, verified model. Thread-safe: classification keeps no state."""

    def __init__(self, artifact: Artifact) -> None:
        manifest, vocab, arrays = artifact.manifest, artifact.vocab, artifact.arrays
        version = manifest.get("version")
        if not isinstance(version, str) or not 0 < len(version) <= 32:
            raise ArtifactError("model version missing or too long")
        self.version = version
        self.manifest = manifest
        words = vocab.get("words")
        lexicon = vocab.get("lexicon")
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ArtifactError("vocabulary words malformed")
        if not isinstance(lexicon, dict) or not all(
            isinstance(v, int | float) for v in lexicon.values()
        ):
            raise ArtifactError("lexicon malformed")
        try:
            config = FeatureConfig.from_json(dict(manifest["features"]))
            vocabulary = Vocabulary(
                words, arrays["char_buckets"], arrays["author_buckets"], arrays["idf"]
            )
            if (
                arrays["char_buckets"].size
                and (
                    arrays["char_buckets"].min() < 0
                    or arrays["char_buckets"].max() >= 1 << config.char_bits
                )
            ) or (
                arrays["author_buckets"].size
                and (
                    arrays["author_buckets"].min() < 0
                    or arrays["author_buckets"].max() >= 1 << config.author_bits
                )
            ):
                raise ArtifactError("bucket ids out of range")
            self.featuriser = Featuriser(
                vocabulary,
                config,
                {str(k): float(v) for k, v in lexicon.items()},
                _pieces(vocab, arrays),
                _language_words(vocab),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ArtifactError):
                raise
            raise ArtifactError(f"model settings malformed: {exc}") from exc
        weights = arrays["weights"]
        bias = arrays["bias"]
        if (
            weights.ndim != 2
            or weights.shape[0] != self.featuriser.n_columns
            or bias.shape != (weights.shape[1],)
        ):
            raise ArtifactError("weights do not match the vocabulary")
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.heads = _heads(manifest, weights.shape[1])
        urgency_labels = self.heads["urgency"].labels
        if set(urgency_labels) != {"lower", "usual", "higher"}:
            raise ArtifactError("urgency head has unknown labels")
        # urgency = (1 + P(higher) - P(lower)) / 2
        self.urgency_values = np.array(
            [{"lower": 0.0, "usual": 0.5, "higher": 1.0}[u] for u in urgency_labels],
            dtype=np.float32,
        )
        if set(self.heads["intent"].labels) - set(INTENT_BASE):
            raise ArtifactError("model knows intents that priority does not")
        self.full = _full_reading(manifest, arrays, self.heads, self.featuriser.n_columns)
        self.glossary = _glossary(vocab)

    @property
    def reads_full(self) -> bool:
        """Whether this model has the full reading and the encoder it was trained with."""
        return self.full is not None and self.full.available()

    def classify(
        self, items: Sequence[MessageInput], *, fast: bool = False
    ) -> list[Classification]:
        """Classify ``items``. ``fast`` skips the sentence encoder (bulk work: about
        twenty times quicker, a little less accurate; see ``Classification.reading``)."""
        full = None if fast or not self.reads_full else self.full
        out: list[Classification] = []
        for start in range(0, len(items), CHUNK):
            out += self._classify_chunk(items[start : start + CHUNK], full)
        return out

    def _classify_chunk(
        self, items: Sequence[MessageInput], full: FullReading | None
    ) -> list[Classification]:
        if not items:
            return []
        texts = [clean_markup(str(m.text)[:MAX_TEXT_CHARS]) for m in items]
        authors = [str(m.author or "")[:MAX_AUTHOR_CHARS] for m in items]
        norms = [normalise_text(t) for t in texts]
        langs = language.detect_many(texts, [m.lang for m in items])
        # The meaning readers (word pieces, encoder) read other languages as an English gloss.
        meaning: list[str] | None = None
        readable: Sequence[str] = texts
        if self.glossary is not None:
            meaning, readable = self.glossary.readings(texts, norms, langs)
        batch = self.featuriser.transform(texts, authors, norms, meaning, langs)
        logits = batch.dot(self.weights) + self.bias
        if full is not None:
            full.refine(logits, batch, readable)
        h = self.heads

        def head_probs(task: str) -> np.ndarray:
            head = h[task]
            part = logits[:, head.start : head.stop]
            return _sigmoid(part[:, 0]) if head.binary else _softmax(part.copy())

        spam_p = head_probs("spam")
        toxic_p = head_probs("toxic")
        sentiment_p = head_probs("sentiment")
        intent_p = head_probs("intent")
        urgency = head_probs("urgency") @ self.urgency_values
        # Models trained before the safety head existed still load: the rules alone decide.
        danger_p = head_probs("safety") if "safety" in h else None
        is_spam = spam_p >= h["spam"].threshold
        is_toxic = toxic_p >= h["toxic"].threshold
        sentiment_i = sentiment_p.argmax(axis=1)
        intent_i = intent_p.argmax(axis=1)

        sentiments = h["sentiment"].labels
        intents = h["intent"].labels
        results: list[Classification] = []
        for row, norm in enumerate(norms):
            intent = intents[intent_i[row]]
            found: list[str] = []
            danger = safety.safety_category(norm)
            if (
                danger is None
                and danger_p is not None
                and not is_spam[row]
                and head_finds_danger(
                    float(danger_p[row]), float(urgency[row]), h["safety"].threshold
                )
            ):
                danger = reasons.MAY_BE_IN_DANGER
            scam = danger is None and safety.is_scam(norm)
            cue = reasons.time_cue(norm)
            # A real offer (a fee and a date) is never spam, nor is someone in danger,
            # nor a time-critical case (a same-week replacement slot, a fan at the door).
            spam = scam or (
                bool(is_spam[row])
                and danger is None
                and cue not in reasons.NEVER_SPAM
                and not safety.looks_like_real_offer(norm, scam=False)
            )
            if danger is not None:
                found.append(reasons.say(reasons.SAFETY, danger=danger))
            elif scam:
                found.append(reasons.SCAM)
            elif spam:
                found.append(reasons.spam_reason(norm, authors[row]))
            elif intent == "support":
                found += reasons.support_reasons(norm)
            if is_toxic[row]:
                found.append(reasons.ABUSIVE)
            result = Classification(
                spam=spam,
                spam_score=round(float(spam_p[row]), 4),
                sentiment=sentiments[sentiment_i[row]],
                toxic=bool(is_toxic[row]),
                toxicity_score=round(float(toxic_p[row]), 4),
                intent=intent,
                intent_score=round(float(intent_p[row, intent_i[row]]), 4),
                lang=langs[row],
                priority="normal",
                priority_score=0,
                reasons=[],
                model_version=self.version,
                urgency=round(float(urgency[row]), 4),
                time_cue=cue,
                sentiment_scores={
                    label: round(float(sentiment_p[row, k]), 4)
                    for k, label in enumerate(sentiments)
                },
                intent_scores={
                    label: round(float(intent_p[row, k]), 4) for k, label in enumerate(intents)
                },
                safety=danger,
                scam=scam,
                reading="fast" if full is None else "full",
            )
            priority, score, why = score_priority(result)
            result.priority, result.priority_score = priority, score
            if not result.spam and intent in reasons.INTENT_WORDS:
                found.insert(0, reasons.INTENT_WORDS[intent])
            result.reasons = list(
                dict.fromkeys(
                    found
                    + [
                        w
                        for w in why
                        if w not in (reasons.SPAM, reasons.ABUSIVE) and w not in found
                    ]
                )
            )
            results.append(result)
        return results


class FullReading:
    """The full reading's weights: for each encoded head, features and encoder vector."""

    def __init__(
        self,
        columns: list[tuple[Head, int, int]],
        weights: np.ndarray,
        encoder_weights: np.ndarray,
        bias: np.ndarray,
        encoder_sha256: str,
    ) -> None:
        self.columns = columns  # (head, start, stop) in the full arrays
        self.weights = weights.astype(np.float32)
        self.encoder_weights = encoder_weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self.encoder_sha256 = encoder_sha256
        self._available: bool | None = None

    def available(self) -> bool:
        """The shipped encoder is the one these heads were trained on (checked once)."""
        if self._available is None:
            from triage import encoder

            try:
                self._available = encoder.model_digest() == self.encoder_sha256
            except OSError:
                self._available = False
        return self._available

    def refine(self, logits: np.ndarray, batch: Any, texts: Sequence[str]) -> None:
        """Replace the encoded heads' logits in place by the full reading's."""
        from triage.encoder import shared_encoder

        vectors = shared_encoder().encode(texts)
        full = batch.dot(self.weights) + vectors @ self.encoder_weights + self.bias
        for head, start, stop in self.columns:
            logits[:, head.start : head.stop] = full[:, start:stop]


def _full_reading(
    manifest: dict[str, Any], arrays: dict[str, np.ndarray], heads: dict[str, Head], n_columns: int
) -> FullReading | None:
    """The model's full reading, if it was trained with one (older models have none)."""
    raw = manifest.get("full_heads")
    if not raw:
        return None
    try:
        weights, enc, bias = arrays["full_weights"], arrays["encoder_weights"], arrays["full_bias"]
        sha = str(manifest["encoder"]["sha256"])
        columns: list[tuple[Head, int, int]] = []
        for item in raw:
            head = heads[str(item["task"])]
            start, stop = int(item["start"]), int(item["stop"])
            if not 0 <= start < stop <= bias.shape[0] or stop - start != head.stop - head.start:
                raise ArtifactError(f"full head {head.task} has bad columns")
            columns.append((head, start, stop))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ArtifactError):
            raise
        raise ArtifactError(f"full reading malformed: {exc}") from exc
    if (
        weights.ndim != 2
        or weights.shape != (n_columns, bias.shape[0])
        or enc.ndim != 2
        or enc.shape[1] != bias.shape[0]
    ):
        raise ArtifactError("full reading weights do not match the vocabulary")
    return FullReading(columns, weights, enc, bias, sha)


_cache: dict[tuple[str, bytes | None], Model] = {}
_cache_lock = threading.Lock()


def load_model(path: Path | None = None, key: bytes | None = None) -> Model:
    """The model at ``path`` (default: the shipped one), verified and cached.

    ``$UNPLUGGED_TRIAGE_MODEL`` overrides the default path. With ``key``, the
    model must carry a matching HMAC signature. Raises :class:`ArtifactError`
    for missing, altered or malformed files.
    """
    if path is None:
        env = os.environ.get("UNPLUGGED_TRIAGE_MODEL")
        path = Path(env) if env else SHIPPED_MODEL
    cache_key = (str(path.resolve()), key)
    with _cache_lock:
        cached = _cache.get(cache_key)
        if cached is None:
            cached = Model(read_artifact(path, key=key))
            _cache[cache_key] = cached
        return cached


def clear_cache() -> None:
    """Forget loaded models (after a retrain wrote a new version in place)."""
    with _cache_lock:
        _cache.clear()
