"""The shipped model: it loads, answers in the agreed shape, and reads four languages."""

from __future__ import annotations

import re

import pytest

from triage.classifier import SHIPPED_MODEL, Classification, MessageInput, Model, load_model

INTENT_EXAMPLES = [
    # English
    (
        "Hi, I run a club in Leeds and want to offer you a headline show on 4 October, 1500 GBP guarantee.",
        "booking",
    ),
    (
        "I'm a journalist at a music magazine, could we do a 20 minute interview about the record?",
        "press",
    ),
    (
        "I produce electronic music and would love to do a remix of your single, open to a collab?",
        "collab",
    ),
    ("My tickets never arrived and the show is on Friday, order 5521, please help", "support"),
    ("when are you releasing the album on vinyl?", "question"),
    ("your concert last night was absolutely beautiful, thank you", "praise"),
    # French
    (
        "Bonjour, je suis programmatrice d'un festival à Nantes, seriez-vous disponibles le 12 juillet ? Cachet 2000 €.",
        "booking",
    ),
    ("Je suis journaliste pour un magazine, serait-il possible de vous interviewer ?", "press"),
    ("je n'ai toujours pas reçu mon t-shirt commandé il y a un mois, commande 3391", "support"),
    ("tu viens quand à Lyon ?", "question"),
    # Spanish
    (
        "Hola, organizamos un festival en Valencia y queremos contrataros para el 20 de agosto, ¿cuál es vuestro caché?",
        "booking",
    ),
    ("Soy periodista de una revista musical, ¿te podría hacer una entrevista?", "press"),
    ("me cobraron dos veces las entradas y nadie responde, pedido 8812", "support"),
    ("qué canción más bonita, me encanta tu voz", "praise"),
    # German
    (
        "Hallo, wir veranstalten ein Festival in Leipzig und würden euch gern am 5. Juli buchen. Gage 1800 Euro.",
        "booking",
    ),
    ("Ich bin Journalistin bei einem Musikmagazin, hättest du Zeit für ein Interview?", "press"),
    ("Meine Tickets sind immer noch nicht angekommen, Bestellung 7712", "support"),
    ("wann kommt ihr endlich nach Hamburg?", "question"),
]


def test_loads_the_shipped_artifact(model: Model) -> None:
    assert model is load_model(SHIPPED_MODEL)  # cached
    assert re.fullmatch(r"\d{8}-[0-9a-f]{8}", model.version)
    assert len(model.version) <= 32  # fits messages.classifier_version


@pytest.mark.parametrize(("text", "intent"), INTENT_EXAMPLES)
def test_multilingual_intent(model: Model, text: str, intent: str) -> None:
    (result,) = model.classify([MessageInput(text)])
    assert result.intent == intent


def test_languages(model: Model) -> None:
    texts = [
        "I can't wait to see you in London next week",
        "J'ai adoré le concert d'hier soir, merci pour tout",
        "Me encantó el concierto de anoche, gracias por todo",
        "Das Konzert gestern war unglaublich, danke für alles",
        "🔥🔥🔥",
    ]
    langs = [c.lang for c in model.classify([MessageInput(t) for t in texts])]
    assert langs == ["en", "fr", "es", "de", "und"]


def test_batch_and_single_agree(model: Model) -> None:
    items = [MessageInput(t) for t, _ in INTENT_EXAMPLES]
    batch = model.classify(items)
    single = [model.classify([item])[0] for item in items]
    assert [b.to_json() for b in batch] == [s.to_json() for s in single]


def test_bot_hiding_in_the_author_name(model: Model) -> None:
    bot, fan = model.classify(
        [
            MessageInput("this song is a masterpiece", author="🔞 𝓗𝓸𝓽 𝓰𝓲𝓻𝓵𝓼 ➜ 𝓬𝓱𝓮𝓬𝓴 𝓶𝔂 𝓹𝓻𝓸𝓯𝓲𝓵𝓮 🔞"),
            MessageInput("this song is a masterpiece", author="Emily Carter"),
        ]
    )
    assert bot.spam and not fan.spam
    assert bot.priority == "low"
    assert any("bot-like author name" in r for r in bot.reasons)


def test_text_spam_says_why(model: Model) -> None:
    (result,) = model.classify(
        [MessageInput("Check out my channel and subscribe!! http://bit.ly/free-views")]
    )
    assert result.spam
    assert result.reasons[0].startswith("looks like spam: link")
    assert "'subscribe'" in result.reasons[0]


def test_lost_ticket_reason_and_priority(model: Model) -> None:
    (result,) = model.classify(
        [MessageInput("I lost my ticket for tonight's show, can you resend it? order 4410")]
    )
    assert result.intent == "support"
    assert "mentions a lost ticket" in result.reasons
    assert result.priority in ("urgent", "high")


def test_abuse_is_flagged(model: Model) -> None:
    (result,) = model.classify([MessageInput("you are a talentless idiot, shut the fuck up")])
    assert result.toxic
    assert result.toxicity_score >= 0.5
    assert result.sentiment == "negative"
    assert result.priority == "low"


def test_shape_of_a_classification(model: Model) -> None:
    (result,) = model.classify([MessageInput("", author="")])
    assert isinstance(result, Classification)
    data = result.to_json()
    for key in (
        "spam",
        "spam_score",
        "sentiment",
        "toxic",
        "toxicity_score",
        "intent",
        "intent_score",
        "lang",
        "priority",
        "priority_score",
        "reasons",
        "model_version",
    ):
        assert key in data
    assert 0.0 <= data["spam_score"] <= 1.0
    assert isinstance(data["priority_score"], int) and 0 <= data["priority_score"] <= 100
    assert data["lang"] == "und"


def test_hostile_input_does_not_break_the_batch(model: Model) -> None:
    odd = [
        "\x00\x00 null bytes \x00",
        "lone surrogate \ud800 here",
        "<a href='http://x.io'>link</a> &amp; &#39; <br />" * 50,
        "a" * 100_000,
        "🎶" * 3000,
    ]
    results = model.classify([MessageInput(t, author=t[:300]) for t in odd])
    assert len(results) == len(odd)
