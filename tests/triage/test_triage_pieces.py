"""Word-piece vectors: BERT's split, weighted means, and models with and without them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from triage.artifact import ArtifactError, read_artifact, write_artifact
from triage.classifier import MessageInput, Model
from triage.pieces import PieceVectors, load_source
from triage.text import normalise_text


def _tiny() -> PieceVectors:
    pieces = ["gut", "##ted", "##s", "great", "show", "!", "the"]
    vectors = np.array(
        [[100, 0], [0, 100], [50, 50], [-100, 0], [0, -100], [10, 10], [127, 127]], dtype=np.int8
    )
    return PieceVectors(pieces, vectors, np.array([0.01, 0.01], np.float32), np.ones(7, np.float32))


def test_words_split_into_the_longest_known_pieces_and_unknown_words_into_none() -> None:
    tiny = _tiny()
    names = lambda norm: [tiny.pieces[i] for i in tiny.ids(norm)]  # noqa: E731
    assert names("gutted!") == ["gut", "##ted", "!"]
    assert names("guts show") == ["gut", "##s", "show"]
    assert names("gutxyz great") == ["great"]  # "##xyz" is no piece: the word is dropped
    assert names("x" * 200) == []


def test_a_message_is_the_weighted_mean_of_its_pieces_normalised() -> None:
    tiny = _tiny()
    rows = tiny.embed(["gut", "gutted", "", "zzz"])
    assert rows[0] == pytest.approx([1.0, 0.0])
    assert rows[1] == pytest.approx([2**-0.5, 2**-0.5])
    assert rows[2].tolist() == [0.0, 0.0] and rows[3].tolist() == [0.0, 0.0]
    # A piece that is everywhere in the corpus ("the") counts for little.
    weighted = tiny.with_weights_from(["the show"] * 50 + ["gut"])
    assert weighted.weight[tiny.index["the"]] < 0.1 < weighted.weight[tiny.index["gut"]]
    [mixed] = weighted.embed(["the gut"])
    assert mixed[0] > 0.9


def test_the_shipped_table_splits_like_bert_and_places_related_words_together() -> None:
    source = load_source()
    assert len(source.pieces) == 30522 and source.dim == 128
    split = [source.pieces[i] for i in source.ids(normalise_text("Gutted!!"))]
    assert split == ["gut", "##ted", "!", "!"]
    gig, concert, invoice = source.embed(["gig tonight", "concert tonight", "invoice attached"])
    assert float(gig @ concert) > float(gig @ invoice)


def test_a_model_without_word_pieces_still_loads_and_classifies(tmp_path: Path) -> None:
    shipped = read_artifact(_shipped_dir())
    assert "piece_vectors" in shipped.arrays
    # An older model: same heads, no piece arrays, weights cut to the columns it knows.
    arrays = {k: v for k, v in shipped.arrays.items() if not k.startswith("piece_")}
    dim = shipped.arrays["piece_vectors"].shape[1]
    arrays["weights"] = shipped.arrays["weights"][:-dim]
    if "full_weights" in arrays:  # the full reading's feature rows shrink alike
        arrays["full_weights"] = shipped.arrays["full_weights"][:-dim]
    vocab = {k: v for k, v in shipped.vocab.items() if k != "pieces"}
    write_artifact(tmp_path, shipped.manifest, vocab, arrays)
    old = Model(read_artifact(tmp_path))
    assert old.featuriser.pieces is None
    [c] = old.classify([MessageInput("my ticket never arrived, order 4410")])
    assert c.intent == "support"


def test_only_the_sentiment_and_safety_heads_read_the_word_pieces(model: Model) -> None:
    columns = model.featuriser.meaning_columns()
    for task, head in model.heads.items():
        block = model.weights[columns, head.start : head.stop]
        assert bool(np.any(block)) == (task in ("sentiment", "safety")), task


def test_piece_arrays_of_the_wrong_type_are_refused(tmp_path: Path) -> None:
    shipped = read_artifact(_shipped_dir())
    arrays = dict(shipped.arrays)
    arrays["piece_vectors"] = arrays["piece_vectors"].astype(np.float32)
    with pytest.raises(ArtifactError, match="piece_vectors"):
        write_artifact(tmp_path, shipped.manifest, shipped.vocab, arrays)


def _shipped_dir() -> Path:
    from triage.train import MODEL_DIR

    return MODEL_DIR
