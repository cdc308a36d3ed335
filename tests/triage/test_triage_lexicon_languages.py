"""The lexicon's own lists for French, Spanish, German, Portuguese and Italian."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from triage.artifact import ArtifactError, read_artifact, write_artifact
from triage.classifier import MessageInput, Model, load_model
from triage.features import (
    LANGUAGE_LEXICON_NAMES,
    FeatureConfig,
    Featuriser,
    build_vocabulary,
)
from triage.gloss import load_source
from triage.lexicon import (
    LEXICON_LANGS,
    LanguageWords,
    LexiconError,
    LexiconScorer,
    hide_false_friends,
    load_language_words,
    parse_language_words,
)
from triage.text import normalise_text
from triage.train import train

SHIPPED = Path(__file__).resolve().parents[2] / "triage" / "model"
SHARED = {"great": 3.1, "war": -2.9, "die": -2.9, "sad": -2.1, "love": 3.2}


def _scorer(languages: dict[str, LanguageWords]) -> LexiconScorer:
    return LexiconScorer(SHARED, languages)


def _compound(scorer: LexiconScorer, text: str, lang: str | None) -> float:
    return scorer.features(normalise_text(text), lang)[2]


def test_a_list_line_is_a_folded_word_and_a_value_negation_or_contrast() -> None:
    words = parse_language_words(
        ["# comment", "péssimo\t-3.1", "pessimo\t2.0", "não\tNEG", "mas\tBUT", ""], "pt.tsv"
    )
    assert words.words == {"pessimo": -3.1}  # folded alike: the first line wins
    assert words.negations == {"nao"} and words.contrasts == {"mas"}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("bello", "expected 'word<TAB>value'"),
        ("molto bello\t2.0", "expected 'word<TAB>value'"),
        ("bello\tgood", "is not a number"),
        ("bellissimo\t4.5", "outside -4..4"),
    ],
)
def test_a_malformed_list_line_names_its_place(line: str, message: str) -> None:
    with pytest.raises(LexiconError, match=message) as raised:
        parse_language_words(["grazie\t2.0", line], "it.tsv")
    assert "it.tsv:2" in str(raised.value)


def test_a_message_is_scored_with_its_own_language_list_first() -> None:
    pt = parse_language_words(["péssimo\t-3.1", "não\tNEG", "mas\tBUT"])
    scorer = _scorer({"pt": pt})
    assert _compound(scorer, "o show foi péssimo", "pt") < -0.5
    assert _compound(scorer, "o show foi péssimo", "en") == 0.0
    # Its negations and contrast words count, and English words still do.
    assert _compound(scorer, "não foi péssimo", "pt") > _compound(scorer, "foi péssimo", "pt")
    assert _compound(scorer, "péssimo som mas great show", "pt") > 0


def test_english_words_that_are_another_word_of_the_language_are_not_read_in_it() -> None:
    de = parse_language_words(["super\t2.7", "nicht\tNEG"])
    pt = parse_language_words(["ótimo\t3.0", "não\tNEG"])
    glosses = {"de": {"war": "was", "die": "the", "super": "super"}, "pt": {"no": "in the"}}
    languages = hide_false_friends({"de": de, "pt": pt}, SHARED, glosses)
    assert {"war", "die"} <= languages["de"].hides
    scorer = _scorer(languages)
    assert _compound(scorer, "das war super, die band auch", "de") > 0.5
    assert _compound(scorer, "the war was sad", "en") < 0
    # Portuguese "no" is "in the", not a negation: "ótimo no palco" stays good.
    assert "no" in languages["pt"].hides
    assert _compound(scorer, "ótimo no palco", "pt") == _compound(scorer, "ótimo palco", "pt")


def test_a_loanword_glossed_with_the_same_feeling_is_still_read() -> None:
    fr = parse_language_words(["génial\t3.0"])
    languages = hide_false_friends({"fr": fr}, SHARED, {"fr": {"love": "love it"}})
    assert "love" not in languages["fr"].hides


def test_every_shipped_list_is_large_with_negations_and_contrasts() -> None:
    languages = load_language_words()
    assert set(languages) == set(LEXICON_LANGS)
    for lang, words in languages.items():
        positive = sum(v > 0 for v in words.words.values())
        negative = sum(v < 0 for v in words.words.values())
        assert positive > 700 and negative > 700, lang
        assert len(words.negations) >= 8 and words.contrasts, lang
    hidden = hide_false_friends(languages, SHARED, load_source().source)
    assert "war" in hidden["de"].hides  # German "was"


def test_the_shipped_model_carries_the_lists_it_was_trained_with() -> None:
    model = Model(read_artifact(SHIPPED))
    languages = model.featuriser.lexicon.languages
    assert set(languages) == set(LEXICON_LANGS)
    assert languages["it"].words.get("delusione", 0) < 0
    assert LanguageWords.from_json(languages["it"].to_json()) == languages["it"]


def test_malformed_language_lists_in_a_model_are_refused(tmp_path: Path) -> None:
    shipped = read_artifact(SHIPPED)
    bad = {
        **shipped.vocab,
        "lexicons": {"it": {"words": ["bello"], "negations": [], "contrasts": []}},
    }
    write_artifact(tmp_path, shipped.manifest, bad, shipped.arrays)
    with pytest.raises(ArtifactError, match="language lexicons"):
        Model(read_artifact(tmp_path))


def test_sums_read_with_the_language_list_have_columns_of_their_own() -> None:
    texts = ["loved the show", "o show foi péssimo"]
    pt = {"pt": parse_language_words(["péssimo\t-3.1"])}
    old = FeatureConfig()
    new = FeatureConfig(language_lexicon=True)
    vocabulary = build_vocabulary(texts, ["a", "b"], new)
    before = Featuriser(vocabulary, old, {"loved": 3.0})
    after = Featuriser(vocabulary, new, {"loved": 3.0}, languages=pt)
    assert after.n_columns == before.n_columns + len(LANGUAGE_LEXICON_NAMES)
    dense = after.transform(texts, ["a", "b"], langs=["en", "pt"]).to_csr().toarray()
    shared, by_language = after.lexicon_columns(False), after.lexicon_columns(True)
    # English reads the same sums both ways; Portuguese finds "péssimo" only in its list.
    np.testing.assert_array_equal(dense[0, shared], dense[0, by_language])
    assert dense[1, by_language].any() and not dense[1, shared].any()
    np.testing.assert_array_equal(
        dense[:, : by_language.start],
        before.transform(texts, ["a", "b"]).to_csr().toarray()[:, : before.scratch],
    )  # every column a model without the lists had is unchanged


@pytest.mark.slow
def test_a_model_trained_without_the_lists_loads_and_reads_as_before(
    data_dir: Path, tmp_path: Path
) -> None:
    """Workspace models trained before the lists existed have neither the lists nor
    their columns; they keep loading, and read every message with the shared lexicon."""
    train(
        data_dir,
        None,
        tmp_path,
        max_rows_per_source=100,
        tune_thresholds=False,
        use_language_words=False,
    )
    assert "lexicons" not in read_artifact(tmp_path).vocab
    model = load_model(tmp_path)
    assert not model.featuriser.config.language_lexicon
    assert not model.featuriser.lexicon.languages
    [c] = model.classify([MessageInput("o show de ontem foi péssimo, que decepção")], fast=True)
    assert c.lang == "pt"
