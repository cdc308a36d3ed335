"""Language detection: the batch reader answers as py3langid's one-message reader does."""

from __future__ import annotations

import pytest

from triage import language
from triage.text import LETTER_RE, URL_RE, replace_urls


def _one_at_a_time(text: str) -> str:
    """The reference: py3langid's public ``rank`` for one message, with the
    favouring of the six languages and the same cut-offs, as detection read a
    message before batches were walked at once."""
    sample = URL_RE.sub(" ", text[:400])
    if len(LETTER_RE.findall(sample)) < 3:
        return "und"
    best, best_score, total = "und", 0.0, 0.0
    for code, prob in language._get_identifier().rank(sample):
        score = prob * language.PRIOR_BOOST if code in language.CORE else prob
        total += score
        if score > best_score:
            best, best_score = code, score
    if total <= 0 or best_score / total < language.MIN_CONFIDENCE:
        return "und"
    return best


def test_the_batch_reader_answers_every_training_message_as_one_at_a_time(
    own_texts: list[str],
) -> None:
    texts = own_texts
    assert len(texts) > 5_000
    one_by_one = [_one_at_a_time(text) for text in texts]
    assert language.detect_many(texts, [None] * len(texts)) == one_by_one
    assert len(set(one_by_one)) > 6  # the sets hold all six languages and a few others


EDGES = [
    "",
    "   ",
    "123 456 !!!",
    "🔥🔥🔥",
    "ok",
    "https://example.com/tickets?id=4",
    "LOVE THIS SONG SO MUCH",
    "omg love u",
    "Obrigado pelo show de ontem, foi incrível demais",
    "Grazie mille per il concerto di ieri sera, siete stati fantastici",
    "¿Cuándo sacáis el disco nuevo? www.tienda.es no carga",
    "Wir möchten euch für unser Festival im August buchen",
    "merci pour hier soir, on a adoré 😍 http://t.co/abc",
    "x" * 5_000,
    "日本からです。ライブ最高でした",
]


@pytest.mark.parametrize("text", EDGES)
def test_the_batch_reader_matches_one_at_a_time_on_awkward_messages(text: str) -> None:
    assert language.detect(text) == _one_at_a_time(text)


def test_a_batch_of_awkward_messages_is_read_in_any_order_alike() -> None:
    expected = [_one_at_a_time(text) for text in EDGES]
    assert language.detect_many(EDGES, [None] * len(EDGES)) == expected
    reversed_edges = EDGES[::-1]
    assert language.detect_many(reversed_edges, [None] * len(EDGES)) == expected[::-1]


def test_short_messages_in_the_six_languages_are_recognised() -> None:
    found = language.detect_many(
        [
            "thank you so much for last night's show",
            "Obrigado pelo show de ontem, foi incrível demais",
            "Grazie mille per il concerto di ieri sera, siete stati fantastici",
            "Wir möchten euch für unser Festival im August buchen",
            "merci pour hier soir, on a adoré",
            "¿Cuándo sacáis el disco nuevo?",
            "123 !!!",
        ],
        [None] * 7,
    )
    assert found == ["en", "pt", "it", "de", "fr", "es", "und"]


def test_a_language_the_network_gives_wins_and_a_malformed_one_is_detected() -> None:
    texts = ["merci pour hier soir, on a adoré", "merci pour hier soir, on a adoré", "hola"]
    assert language.detect_many(texts, ["en-GB", "und", "ES"]) == ["en", "fr", "es"]


def test_one_language_per_text_is_required() -> None:
    with pytest.raises(ValueError):
        language.detect_many(["a", "b"], [None])


@pytest.mark.parametrize(
    "text",
    [
        "see https://x.com/a and www.shop.de",
        "tickets at band.bandcamp.com/merch now",
        "bit.ly/3abc or HTTP://LOUD.NET",
        "no link here. just dots... and a/slash",
        "mail me: ana@label.co thanks",
        "",
    ],
)
def test_links_are_replaced_exactly_as_the_full_pattern_does(text: str) -> None:
    assert replace_urls(text, " httpurl ") == URL_RE.sub(" httpurl ", text)
