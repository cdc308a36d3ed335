"""The model on disk: JSON and numpy arrays, checked before use, never pickles.

A model directory holds three files:

* ``manifest.json``: format, version, feature settings, the heads (labels,
  columns, thresholds), training notes, and the SHA-256 of the two others;
* ``vocab.json``: the word vocabulary and the sentiment lexicon;
* ``arrays.npz``: bucket ids, idf, weights and biases (and the word-piece
  vectors, when the model reads them), read with
  ``allow_pickle=False`` so that no file can make the loader run code.

:func:`read_artifact` refuses a directory whose files do not match the
manifest's hashes (a partial copy, a hand edit, a swapped file) or whose
arrays have the wrong type or shape. With a ``key`` (per-workspace models
stored by the server), the manifest must also carry an HMAC-SHA256 made with
that key, so a file written by anyone else is refused as well.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "unplugged-triage/1"
MANIFEST = "manifest.json"
VOCAB = "vocab.json"
ARRAYS = "arrays.npz"
# Far above the shipped model's size; a bigger file is refused unread.
MAX_FILE_BYTES = 64 * 1024 * 1024

ARRAY_DTYPES = {
    "char_buckets": np.int32,
    "author_buckets": np.int32,
    "idf": np.float32,
    "weights": np.float16,
    "bias": np.float32,
}
# Present when the model reads word-piece vectors (triage.pieces).
OPTIONAL_ARRAY_DTYPES = {
    "piece_vectors": np.int8,
    "piece_scale": np.float32,
    "piece_weight": np.float32,
    # Present when the model has the full reading (triage.encoder).
    "full_weights": np.float16,
    "encoder_weights": np.float32,
    "full_bias": np.float32,
}


class ArtifactError(ValueError):
    """The model files are missing, altered, unsigned or malformed."""


@dataclass(slots=True)
class Artifact:
    manifest: dict[str, Any]
    vocab: dict[str, Any]
    arrays: dict[str, np.ndarray]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _canonical(manifest: Mapping[str, Any]) -> bytes:
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign(manifest: Mapping[str, Any], key: bytes) -> str:
    return hmac.new(key, _canonical(manifest), hashlib.sha256).hexdigest()


def write_artifact(
    out_dir: Path,
    manifest: dict[str, Any],
    vocab: Mapping[str, Any],
    arrays: Mapping[str, np.ndarray],
    key: bytes | None = None,
) -> dict[str, Any]:
    """Write the three files; fills in hashes (and signature) and returns the manifest.

    Files are written to a temporary directory beside ``out_dir`` and moved
    in one by one, manifest last, so a reader never sees new arrays with an
    old manifest that would pass the hash check.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, dtype in ARRAY_DTYPES.items():
        if name not in arrays or arrays[name].dtype != dtype:
            raise ArtifactError(f"array {name} must be {np.dtype(dtype).name}")
    for name, dtype in OPTIONAL_ARRAY_DTYPES.items():
        if name in arrays and arrays[name].dtype != dtype:
            raise ArtifactError(f"array {name} must be {np.dtype(dtype).name}")
    with tempfile.TemporaryDirectory(dir=out_dir.parent) as tmp:
        staging = Path(tmp)
        (staging / VOCAB).write_text(
            json.dumps(vocab, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
        )
        with (staging / ARRAYS).open("wb") as handle:
            np.savez_compressed(handle, allow_pickle=False, **arrays)
        manifest = dict(manifest)
        manifest["format"] = FORMAT
        manifest["files"] = {VOCAB: _sha256(staging / VOCAB), ARRAYS: _sha256(staging / ARRAYS)}
        if key is not None:
            manifest["signature"] = sign(manifest, key)
        else:
            manifest.pop("signature", None)
        (staging / MANIFEST).write_text(
            json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8"
        )
        for name in (VOCAB, ARRAYS, MANIFEST):
            os.replace(staging / name, out_dir / name)
    return manifest


def _read_json(path: Path) -> dict[str, Any]:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ArtifactError(f"{path.name} is too large")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path.name} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ArtifactError(f"{path.name} is not a JSON object")
    return data


def read_artifact(model_dir: Path, key: bytes | None = None) -> Artifact:
    """Read and verify a model directory; raises :class:`ArtifactError`."""
    try:
        manifest = _read_json(model_dir / MANIFEST)
        if manifest.get("format") != FORMAT:
            raise ArtifactError(f"unknown model format {manifest.get('format')!r}")
        if key is not None:
            signature = manifest.get("signature")
            if not isinstance(signature, str) or not hmac.compare_digest(
                signature, sign(manifest, key)
            ):
                raise ArtifactError("model signature is missing or wrong")
        files = manifest.get("files")
        if not isinstance(files, dict) or set(files) != {VOCAB, ARRAYS}:
            raise ArtifactError("manifest does not list the model files")
        for name, expected in files.items():
            path = model_dir / name
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ArtifactError(f"{name} is too large")
            if not hmac.compare_digest(_sha256(path), str(expected)):
                raise ArtifactError(f"{name} does not match the manifest (altered or foreign file)")
        vocab = _read_json(model_dir / VOCAB)
        arrays: dict[str, np.ndarray] = {}
        with np.load(model_dir / ARRAYS, allow_pickle=False) as data:
            for name, dtype in {**ARRAY_DTYPES, **OPTIONAL_ARRAY_DTYPES}.items():
                if name not in data.files:
                    if name in OPTIONAL_ARRAY_DTYPES:
                        continue
                    raise ArtifactError(f"array {name} is missing")
                array = data[name]
                if array.dtype != dtype:
                    raise ArtifactError(
                        f"array {name} has type {array.dtype}, expected {np.dtype(dtype).name}"
                    )
                arrays[name] = array
    except FileNotFoundError as exc:
        raise ArtifactError(f"model file missing: {Path(exc.filename or '').name}") from exc
    except (OSError, ValueError) as exc:
        if isinstance(exc, ArtifactError):
            raise
        raise ArtifactError(f"model files unreadable: {exc}") from exc
    return Artifact(manifest, vocab, arrays)
