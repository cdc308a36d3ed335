"""The full reading: the int8 sentence encoder, its cache, and the fast/full split."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from triage import encoder as enc
from triage.classifier import MessageInput, Model, load_model
from triage.cli import run_classify


def test_sentence_vectors_place_messages_by_meaning_not_by_shared_words() -> None:
    lost, never_came, prices = enc.shared_encoder().encode(
        [
            "i lost my ticket",
            "my ticket never arrived and the show is tonight",
            "ticket prices are too high",
        ]
    )
    assert np.linalg.norm(lost) == pytest.approx(1.0, abs=1e-4)
    # All three say "ticket"; the first means the second.
    assert float(lost @ never_came) > float(lost @ prices) + 0.1


def test_vectors_do_not_depend_on_the_batch_or_its_order() -> None:
    texts = ["short", "a much longer message about a lost ticket and the doors at eight", ""]
    together = enc.shared_encoder().encode(texts)
    alone = np.stack([enc.shared_encoder().encode([t])[0] for t in texts])
    assert together == pytest.approx(alone, abs=2e-3)


class _Counting:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.seen += texts
        return np.full((len(texts), enc.DIM), 0.5, dtype=np.float32)


def test_the_cache_reads_each_text_once_across_calls(tmp_path: Path) -> None:
    counting = _Counting()
    first = enc.encode_cached(["a", "b", "a"], counting, tmp_path)  # type: ignore[arg-type]
    again = enc.encode_cached(["b", "c"], counting, tmp_path)  # type: ignore[arg-type]
    assert counting.seen == ["a", "b", "c"]
    assert first.shape == (3, enc.DIM) and again.shape == (2, enc.DIM)


def test_an_unwritable_cache_only_costs_time(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    counting = _Counting()
    vectors = enc.encode_cached(["a"], counting, blocked)  # type: ignore[arg-type]
    assert vectors.shape == (1, enc.DIM) and counting.seen == ["a"]


def test_the_shipped_model_reads_in_full_unless_asked_to_be_fast(model: Model) -> None:
    assert model.reads_full
    message = [MessageInput("is there any chance you'd do a set at ours in may? we pay well")]
    (full,) = model.classify(message)
    (fast,) = model.classify(message, fast=True)
    assert (full.reading, fast.reading) == ("full", "fast")
    assert full.model_version == fast.model_version


def test_the_full_reading_changes_what_the_encoded_heads_say(model: Model) -> None:
    texts = [
        "is there any chance you'd do a set at ours in may? we pay well",
        "honestly the sound at the back was so muddy i left early",
        "you guys literally got me through the worst year of my life",
        "where do i find the setlist from saturday",
    ]
    inputs = [MessageInput(t) for t in texts]
    full = model.classify(inputs)
    fast = model.classify(inputs, fast=True)
    assert [c.intent_score for c in full] != [c.intent_score for c in fast]
    assert [c.sentiment_scores for c in full] != [c.sentiment_scores for c in fast]


def test_a_model_trained_on_another_encoder_falls_back_to_the_fast_reading(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "model"
    shutil.copytree(Path(enc.__file__).parent / "model", folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert "full_heads" in manifest
    model = load_model(folder)
    assert model.full is not None
    model.full.encoder_sha256 = "0" * 64
    model.full._available = None
    assert not model.reads_full
    (result,) = model.classify([MessageInput("can you play our festival?")])
    assert result.reading == "fast"


def test_classify_fast_on_the_command_line_says_which_reading(model: Model) -> None:
    stdin = io.StringIO('{"text": "my tickets never came"}\n')
    fast_out, full_out = io.StringIO(), io.StringIO()
    run_classify(stdin, fast_out, model, fast=True)
    stdin.seek(0)
    run_classify(stdin, full_out, model)
    assert json.loads(fast_out.getvalue())["reading"] == "fast"
    assert json.loads(full_out.getvalue())["reading"] == "full"


def test_the_shipped_encoder_computes_its_products_in_float() -> None:
    """accuracy_level 1 on every MatMulNBits node: int8 arithmetic (level 4) read the
    bench's messages a third slower on a two-core AVX2 machine for the same vectors."""
    data = enc.MODEL_FILE.read_bytes()
    # AttributeProto: name (field 1, 14 bytes) then i (field 3, varint 1).
    in_float = data.count(b"\x0a\x0eaccuracy_level\x18\x01")
    assert in_float == data.count(b"accuracy_level") == 36
