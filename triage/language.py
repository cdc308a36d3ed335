"""Which language a message is in, for display, filters and reply drafts.

py3langid ships its model inside the package (numpy arrays in an xz file, no
pickle) and reads a message in well under a millisecond; it is loaded on the
first message that needs it, so batches whose messages all carry a language
from the network never pay for it.

A batch (:func:`detect_many`) is read by :class:`BatchDetector`: py3langid's
byte automaton walked for every message of the batch at once with numpy, one
byte position per step, instead of byte by byte in Python for each message,
and the naive Bayes scores as one sparse product. It answers exactly as
py3langid's own one-message reading with the same favouring does (a test
holds it to that on every training message) at about four times the speed, which matters for ``classify --fast``, where
detection was the largest single cost.

Fan messages are short and py3langid, trained on longer text, spreads its
belief over 97 languages: "omg love u" comes out Danish. The artist's inbox is
mostly in a few languages, so the probabilities of those are multiplied by
:data:`PRIOR_BOOST` before choosing; anything still unsure is ``und``. Those are
the six languages the rest of triage reads (safety rules, glosses, lexicon
lists): on the independent fan messages, favouring Portuguese and Italian too
found 641 of 690 languages instead of 634 (Portuguese 109 of 115 instead of
101, no longer taken for Galician or Spanish).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from triage.text import THREE_LETTERS_RE, replace_urls

CORE = ("en", "fr", "es", "de", "pt", "it")
PRIOR_BOOST = 6.0
MIN_CONFIDENCE = 0.35

_lock = threading.Lock()
_identifier: Any = None


def _get_identifier() -> Any:
    global _identifier
    with _lock:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _identifier


def normalise_code(code: str | None) -> str | None:
    """An ISO 639-1 code from what a network sent ("en-GB", "EN", "und")."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-", 1)[0]
    if len(base) == 2 and base.isalpha():
        return base
    return None


_MAX_CHARS = 400  # the opening of a long email says its language well enough


def _sample(text: str) -> str | None:
    """What detection reads of ``text``, or None when there is too little to tell."""
    sample = replace_urls(text[:_MAX_CHARS], " ")
    if THREE_LETTERS_RE.search(sample) is None:
        return None
    return sample


def detect(text: str) -> str:
    """ISO 639-1 code of ``text``, or ``und`` when there is too little to tell."""
    return detect_many([text], [None])[0]


class BatchDetector:
    """Languages of many messages at once, on py3langid's own model.

    py3langid walks a byte automaton (``tk_nextmove``: the next state for each
    state's row and byte; ``tk_output``: the feature a state emits, or -1) and
    scores the features' counts with naive Bayes. Here the messages of a batch
    are sorted by length and walked together, one byte position per numpy
    step, so each step costs a few array operations whatever the batch size;
    the counts become one sparse matrix times the feature table. The softmax
    (temperature the square root of the byte length), the folding of aliased
    labels and the favouring of :data:`CORE` follow py3langid's ``_decide``.
    """

    BLOCK = 1024  # messages walked together: bounds the byte matrix and the table slice

    def __init__(self, identifier: Any) -> None:
        self.classes: list[str] = list(identifier.nb_classes)
        self.nextmove = np.frombuffer(identifier.tk_nextmove, dtype=np.uint32)
        self.rowbase = np.asarray(identifier._rowbase, dtype=np.int64)
        self.output = np.asarray(identifier.tk_output, dtype=np.int64)
        self.table = identifier.nb_ptc
        self.prior = np.asarray(identifier.nb_pc, dtype=np.float32)
        self.alias_pairs: list[tuple[int, int]] = list(identifier._alias_pairs)
        self.boost = np.array(
            [PRIOR_BOOST if code in CORE else 1.0 for code in self.classes], dtype=np.float64
        )
        self._encode = identifier._encode

    def detect(self, texts: Sequence[str]) -> list[str]:
        out = ["und"] * len(texts)
        readable: list[tuple[int, bytes]] = []
        for i, text in enumerate(texts):
            sample = _sample(text)
            if sample is not None:
                readable.append((i, self._encode(sample)))
        readable.sort(key=lambda pair: len(pair[1]))
        for start in range(0, len(readable), self.BLOCK):
            block = readable[start : start + self.BLOCK]
            codes = self._decide([data for _, data in block])
            for (i, _), code in zip(block, codes, strict=True):
                out[i] = code
        return out

    def _walk(self, data: list[bytes]) -> sparse.csr_matrix:
        """Feature counts per message (rows) from the automaton, as a sparse matrix."""
        lengths = np.array([len(d) for d in data], dtype=np.int64)
        width = int(lengths.max()) if len(data) else 0
        matrix = np.zeros((len(data), width), dtype=np.uint8)
        for row, d in enumerate(data):
            matrix[row, : len(d)] = np.frombuffer(d, dtype=np.uint8)
        # Longest first, so the messages still being read at step t are a prefix.
        order = np.argsort(-lengths, kind="stable")
        matrix, lengths = matrix[order], lengths[order]
        still = np.searchsorted(-lengths, -np.arange(width), side="left")
        state = np.zeros(len(data), dtype=np.int64)
        rows: list[npt.NDArray[np.int64]] = []
        feats: list[npt.NDArray[np.int64]] = []
        for t in range(width):
            n = int(still[t])
            nxt = self.nextmove[self.rowbase[state[:n]] + matrix[:n, t]].astype(np.int64)
            state[:n] = nxt
            emitted = self.output[nxt]
            hit = np.flatnonzero(emitted >= 0)
            if len(hit):
                rows.append(order[hit])
                feats.append(emitted[hit])
        all_rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
        all_feats = np.concatenate(feats) if feats else np.zeros(0, dtype=np.int64)
        counts = sparse.coo_matrix(
            (np.ones(len(all_rows), dtype=np.float32), (all_rows, all_feats)),
            shape=(len(data), len(self.output)),
        ).tocsr()
        counts.sum_duplicates()
        return counts

    def _decide(self, data: list[bytes]) -> list[str]:
        counts = self._walk(data)
        used = np.unique(counts.indices)
        counts = counts[:, used]
        counts.data = np.log1p(counts.data)
        scores = np.asarray(counts @ self.table[used].astype(np.float32), dtype=np.float32)
        scores += self.prior
        # A message with no feature at all is uniform, as in py3langid.
        scores[np.diff(counts.indptr) == 0] = 0.0
        lengths = np.array([len(d) or 1 for d in data], dtype=np.float64)
        scores *= (1.0 / np.sqrt(lengths)).astype(np.float32)[:, None]
        np.exp(scores - scores.max(axis=1, keepdims=True), out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        for i, j in self.alias_pairs:
            scores[:, i] += scores[:, j]
            scores[:, j] = 0.0
        boosted = scores.astype(np.float64) * self.boost
        best = boosted.argmax(axis=1)
        total = boosted.sum(axis=1)
        sure = (total > 0) & (boosted[np.arange(len(data)), best] >= MIN_CONFIDENCE * total)
        return [
            self.classes[b] if ok else "und"
            for b, ok in zip(best.tolist(), sure.tolist(), strict=True)
        ]


_batch: BatchDetector | None = None


def _get_batch_detector() -> BatchDetector:
    global _batch
    identifier = _get_identifier()
    with _lock:
        if _batch is None:
            _batch = BatchDetector(identifier)
        return _batch


def detect_many(texts: Sequence[str], given: Sequence[str | None]) -> list[str]:
    """Languages for a batch; a valid code from the network wins over detection."""
    if len(given) != len(texts):
        raise ValueError("one language (or None) per text")
    known = [normalise_code(code) for code in given]
    unknown = [i for i, code in enumerate(known) if not code]
    out = [code or "und" for code in known]
    if not unknown:
        return out
    try:
        detector = _get_batch_detector()
    except (ImportError, OSError, ValueError):
        return out
    for i, code in zip(unknown, detector.detect([texts[i] for i in unknown]), strict=True):
        out[i] = code
    return out
