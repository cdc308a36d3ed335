"""English glosses for the meaning readers: word lists, what is glossed, and models that carry them."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.artifact import ArtifactError, read_artifact, write_artifact
from triage.classifier import MessageInput, Model
from triage.gloss import LANGS, Glossary, GlossaryError, load_source, parse_table
from triage.text import normalise_text

SHIPPED = Path(__file__).resolve().parents[2] / "triage" / "model"


def _tiny() -> Glossary:
    return Glossary(
        {
            "fr": {"je": "i", "sais": "know", "ou": "where", "tu": "you", "dors": "sleep"},
            "de": {"weiss": "know", "wo": "where", "ich": "i", "die": "the"},
        }
    )


def test_known_words_of_the_message_language_become_english_and_the_rest_stays() -> None:
    tiny = _tiny()
    assert tiny.norms([normalise_text("Je sais où tu dors, Léa")], ["fr"]) == [
        "i know where you sleep , lea"
    ]
    assert tiny.tokens(["ich", "weiss", "es"], "de") == ["i", "know", "es"]


def test_english_and_unsure_messages_are_read_as_written() -> None:
    tiny = _tiny()
    norms = ["i could die for this song", "die tickets"]
    assert tiny.norms(norms, ["en", "und"]) == norms
    texts = ["I could DIE for this song", "die Tickets"]
    assert tiny.encoder_texts(texts, norms, ["en", "und"]) == texts
    # A glossed language: the encoder reads the gloss, not the original words.
    assert tiny.encoder_texts(["Je sais"], ["i know"], ["fr"]) == ["i know"]


def test_word_list_keys_are_folded_like_messages_and_the_first_entry_wins() -> None:
    table = parse_table(["Où\twhere", "ou\tor", "", "Weiß\tKnow"])
    assert table == {"ou": "where", "weiss": "know"}


@pytest.mark.parametrize(
    "line",
    [
        "no tab here",
        "deux mots\ttwo words",
        "l'hotel\tthe hotel",
        "x\t",
        "mot\tone two three four five",
    ],
)
def test_a_word_list_line_that_is_not_one_word_and_a_short_gloss_is_refused(line: str) -> None:
    with pytest.raises(GlossaryError, match=r"fr\.tsv:2"):
        parse_table(["ok\tfine", line], "fr.tsv")


def test_the_shipped_word_lists_cover_every_glossed_language() -> None:
    glossary = load_source()
    assert set(glossary.tables) == set(LANGS)
    for lang, table in glossary.tables.items():
        assert len(table) >= 1500, lang
    # The words that say danger, money and time are in every list.
    for lang, words in {
        "fr": ("sais", "hotel", "billets", "demain", "mourir"),
        "es": ("se", "hotel", "entradas", "manana", "morir"),
        "de": ("weiss", "hotel", "karten", "morgen", "sterben"),
        "pt": ("sei", "hotel", "ingressos", "amanha", "morrer"),
        "it": ("so", "albergo", "biglietti", "domani", "morire"),
    }.items():
        missing = [w for w in words if w not in glossary.tables[lang]]
        assert not missing, (lang, missing)


def test_the_shipped_model_carries_its_glossary_and_reads_it(model: Model) -> None:
    assert model.glossary is not None
    assert model.glossary.tables == load_source().tables
    fr = model.glossary.norms([normalise_text("je sais où tu dors")], ["fr"])[0]
    assert "know" in fr.split() and "sais" not in fr.split()


def test_a_model_without_a_glossary_reads_every_language_as_written(tmp_path: Path) -> None:
    shipped = read_artifact(SHIPPED)
    vocab = {k: v for k, v in shipped.vocab.items() if k != "gloss"}
    write_artifact(tmp_path, shipped.manifest, vocab, shipped.arrays)
    old = Model(read_artifact(tmp_path))
    assert old.glossary is None
    [c] = old.classify([MessageInput("mon billet n'est jamais arrivé, commande 4410")], fast=True)
    assert c.lang == "fr"


def test_a_malformed_glossary_in_a_model_is_refused(tmp_path: Path) -> None:
    shipped = read_artifact(SHIPPED)
    write_artifact(
        tmp_path, shipped.manifest, {**shipped.vocab, "gloss": {"fr": ["sais"]}}, shipped.arrays
    )
    with pytest.raises(ArtifactError, match="glossary"):
        Model(read_artifact(tmp_path))
