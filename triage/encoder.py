"""The full reading: a pretrained sentence encoder, run on onnxruntime.

The linear heads read n-grams: fast (thousands of messages a second) but
blind to a phrasing the training rows never used ("is there any chance
you'd do a set at ours in May" is a booking without the word). A sentence
encoder places a message by meaning. This one is all-MiniLM-L6-v2 (see
``pretrained/NOTICE.md``), exported once to ONNX and quantised to int8 by
:mod:`triage.export_encoder`; at run time it needs only onnxruntime and
tokenizers, no torch, and reads about a hundred short messages a second on
two cores. That is why it is spent where it pays: live messages get it,
a bulk import is first sorted by the linear heads alone and refined later.

Messages are sorted by length and batched so that short ones are not
padded to the length of a long email; texts are cut at :data:`MAX_TOKENS`
word pieces (the opening of a long email carries its purpose).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

PRETRAINED = Path(__file__).resolve().parent / "pretrained"
MODEL_FILE = PRETRAINED / "minilm-int8.onnx"
TOKENIZER_FILE = PRETRAINED / "minilm-tokenizer.json"
DIM = 384
MAX_TOKENS = 96
BATCH = 32


class EncoderUnavailable(RuntimeError):
    """The encoder's files or libraries are missing: callers fall back to the fast reading."""


class Encoder:
    """all-MiniLM-L6-v2 sentence vectors (mean of the token outputs, unit length)."""

    def __init__(
        self,
        model_file: Path = MODEL_FILE,
        tokenizer_file: Path = TOKENIZER_FILE,
        threads: int | None = None,
    ) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:  # pragma: no cover - both are dependencies
            raise EncoderUnavailable(
                f"the encoder needs onnxruntime and tokenizers: {exc}"
            ) from exc
        if not model_file.is_file() or not tokenizer_file.is_file():
            raise EncoderUnavailable(f"encoder files missing in {model_file.parent}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()
        self._tokenizer = tokenizer
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length vector per text (zeros for an empty text), in the given order."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        with self._lock:  # the tokenizer's truncation state is shared
            # Lone surrogates (broken emoji from some networks) cannot be tokenised.
            clean = [str(t).encode("utf-8", "replace").decode("utf-8") for t in texts]
            encodings = self._tokenizer.encode_batch(clean)
        ids = [e.ids for e in encodings]
        order = sorted(range(len(ids)), key=lambda k: len(ids[k]))
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            width = max(len(ids[k]) for k in chunk)
            input_ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, k in enumerate(chunk):
                input_ids[row, : len(ids[k])] = ids[k]
                mask[row, : len(ids[k])] = 1
            feeds: dict[str, Any] = {"input_ids": input_ids, "attention_mask": mask}
            if "token_type_ids" in self._inputs:
                feeds["token_type_ids"] = np.zeros_like(input_ids)
            (hidden,) = self._session.run(["last_hidden_state"], feeds)
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[chunk] = pooled / np.maximum(norms, 1e-9)
        return out


_shared: Encoder | None = None
_shared_lock = threading.Lock()


def shared_encoder() -> Encoder:
    """One encoder per process (the session holds ~25 MB and its thread pool)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Encoder()
        return _shared


def model_digest(model_file: Path = MODEL_FILE) -> str:
    """The encoder file's SHA-256: heads trained on one encoder's vectors need that encoder."""
    return hashlib.sha256(model_file.read_bytes()).hexdigest()


def default_cache_dir() -> Path:
    env = os.environ.get("UNPLUGGED_ENCODER_CACHE")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "unplugged"


def encode_cached(
    texts: Sequence[str], encoder: Encoder | None = None, cache_dir: Path | None = None
) -> np.ndarray:
    """:meth:`Encoder.encode`, remembering vectors on disk by text.

    Training reads the same tens of thousands of rows at every retrain; the
    encoder needs minutes for them, the cache a second. Keyed by the encoder
    file's digest, so a new export never reuses old vectors. A cache that
    cannot be read or written is ignored (the vectors are only recomputed).
    """
    encoder = encoder or shared_encoder()
    folder = cache_dir or default_cache_dir()
    path = folder / f"minilm-{model_digest()[:16]}.npz"
    keys = [
        hashlib.sha1(str(t).encode("utf-8", "replace"), usedforsecurity=False).digest()
        for t in texts
    ]
    known: dict[bytes, np.ndarray] = {}
    try:
        with np.load(path, allow_pickle=False) as stored:
            known = dict(zip((bytes(k) for k in stored["keys"]), stored["vectors"], strict=True))
    except (OSError, ValueError, KeyError):
        known = {}
    missing = sorted({k for k in keys if k not in known})
    if missing:
        first = {k: i for i, k in reversed(list(enumerate(keys)))}
        vectors = encoder.encode([texts[first[k]] for k in missing])
        known.update(zip(missing, vectors.astype(np.float16), strict=True))
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npz")
            np.savez(
                tmp,
                keys=np.array(list(known), dtype="S20"),
                vectors=np.stack(list(known.values())).astype(np.float16),
            )
            tmp.replace(path)
        except OSError:
            pass
    return np.stack([known[k] for k in keys]).astype(np.float32)
