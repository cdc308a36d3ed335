"""Learning from the team: a corrected message is classified the corrected way
by the next model. Trained on a small sample of the data to stay quick."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from triage.classifier import MessageInput, load_model
from triage.train import train

SAMPLE = 200  # rows per source
MESSAGE = MessageInput("lol saw your poster at the train station this morning", author="Kim")
PROMO = MessageInput(
    "New single out now, listen here http://smarturl.it/newsingle", author="Label Records"
)
OFFER = MessageInput("We'd like to book you for a private party next year, what is your fee?")


@pytest.fixture(scope="module")
def before(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("before")
    train(data_dir, None, out, max_rows_per_source=SAMPLE, tune_thresholds=False)
    return out


@pytest.mark.slow
def test_corrections_change_the_next_model(data_dir: Path, before: Path, tmp_path: Path) -> None:
    old_message, old_promo = load_model(before).classify([MESSAGE, PROMO])
    new_intent = "press" if old_message.intent != "press" else "collab"
    new_spam = not old_promo.spam
    corrections: list[dict[str, Any]] = [
        {"text": MESSAGE.text, "author": MESSAGE.author, "intent": new_intent},
        {"text": PROMO.text, "author": PROMO.author, "spam": new_spam},
        # A booking, but not as pressing as bookings usually are.
        {"text": OFFER.text, "intent": "booking", "priority": "normal"},
        {"text": "", "intent": "booking"},  # rejected: no text
        {"text": "fine", "intent": "not-an-intent"},  # rejected: unknown label
    ]
    info = train(data_dir, corrections, tmp_path, max_rows_per_source=SAMPLE, tune_thresholds=False)
    assert info.corrections_used == 3
    assert info.corrections_rejected == 2

    after = load_model(tmp_path)
    assert after.version != load_model(before).version
    new_message, new_promo, new_offer = after.classify([MESSAGE, PROMO, OFFER])
    assert new_message.intent == new_intent
    assert new_promo.spam is new_spam
    assert new_offer.intent == "booking"
    assert new_offer.urgency < 0.5  # "less pressing than usual" for a booking
    assert new_offer.priority == "normal"
