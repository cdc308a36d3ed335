"""The loader reads only model files the project wrote."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from triage.artifact import ARRAYS, MANIFEST, VOCAB, ArtifactError, _sha256, read_artifact, sign
from triage.classifier import SHIPPED_MODEL, Model, load_model


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(SHIPPED_MODEL, target)
    return target


def test_a_faithful_copy_loads(copy: Path) -> None:
    assert Model(read_artifact(copy)).version == load_model().version


def test_altered_weights_are_refused(copy: Path) -> None:
    data = bytearray((copy / ARRAYS).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / ARRAYS).write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="does not match the manifest"):
        read_artifact(copy)


def test_altered_vocabulary_is_refused(copy: Path) -> None:
    vocab = json.loads((copy / VOCAB).read_text(encoding="utf-8"))
    vocab["lexicon"]["wonderful"] = -4.0
    (copy / VOCAB).write_text(json.dumps(vocab), encoding="utf-8")
    with pytest.raises(ArtifactError, match="does not match the manifest"):
        read_artifact(copy)


def test_pickled_arrays_are_refused_even_with_matching_hashes(copy: Path) -> None:
    """A foreign file whose author also rewrote the hashes still cannot run code."""
    buffer = io.BytesIO()
    with np.load(copy / ARRAYS, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["idf"] = np.array([{"not": "numbers"}], dtype=object)
    np.savez(buffer, **arrays)
    (copy / ARRAYS).write_bytes(buffer.getvalue())
    manifest = json.loads((copy / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"][ARRAYS] = _sha256(copy / ARRAYS)
    (copy / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ArtifactError):
        read_artifact(copy)


def test_unknown_format_and_missing_files_are_refused(copy: Path, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="missing"):
        read_artifact(tmp_path / "nowhere")
    manifest = json.loads((copy / MANIFEST).read_text(encoding="utf-8"))
    manifest["format"] = "something-else/9"
    (copy / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ArtifactError, match="unknown model format"):
        read_artifact(copy)


def test_wrong_shapes_are_refused(copy: Path) -> None:
    with np.load(copy / ARRAYS, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["weights"] = arrays["weights"][:-10]
    with zipfile.ZipFile(copy / ARRAYS, "w") as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w") as handle:
                np.lib.format.write_array(handle, array, allow_pickle=False)
    manifest = json.loads((copy / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"][ARRAYS] = _sha256(copy / ARRAYS)
    (copy / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ArtifactError, match="weights do not match"):
        Model(read_artifact(copy))


def test_signed_models_need_the_right_key(copy: Path) -> None:
    key = b"workspace-secret"
    manifest = json.loads((copy / MANIFEST).read_text(encoding="utf-8"))
    with pytest.raises(ArtifactError, match="signature"):
        read_artifact(copy, key=key)  # unsigned
    manifest["signature"] = sign(manifest, key)
    (copy / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert read_artifact(copy, key=key).manifest["version"] == manifest["version"]
    with pytest.raises(ArtifactError, match="signature"):
        read_artifact(copy, key=b"another-key")
    manifest["version"] = "20990101-deadbeef"  # a signed field changed afterwards
    (copy / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ArtifactError, match="signature"):
        read_artifact(copy, key=key)
