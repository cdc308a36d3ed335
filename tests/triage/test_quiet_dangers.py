"""The quiet dangers are an evaluation set: never trained on, scored as the safety class."""

from __future__ import annotations

from triage.classifier import Classification, head_finds_danger
from triage.datasets import OWN_DATA, fan_row, load_corpus, load_quiet_dangers, text_key
from triage.evaluate import quiet_scores
from triage.train import training_rows


def _read(priority: str, safety: str | None) -> Classification:
    return Classification(
        spam=False,
        spam_score=0.0,
        sentiment="neutral",
        toxic=False,
        toxicity_score=0.0,
        intent="booking" if safety is None else "other",
        intent_score=0.9,
        lang="en",
        priority=priority,
        priority_score=95 if priority == "urgent" else 40,
        reasons=[],
        model_version="test",
        safety=safety,
    )


def test_the_quiet_dangers_hold_both_dangers_and_look_alikes_in_six_languages() -> None:
    records = load_quiet_dangers()
    assert len(records) >= 600
    dangers = [r for r in records if r["safety"]]
    assert len(dangers) >= 200
    assert all(r["priority"] == "urgent" for r in dangers)
    assert {str(r["lang"]) for r in dangers} == {"en", "fr", "es", "de", "pt", "it"}


def test_the_quiet_dangers_are_never_training_rows_even_when_a_training_file_holds_one() -> None:
    records = load_quiet_dangers()
    quiet = {text_key(str(r["text"])) for r in records}
    corpus = load_corpus(OWN_DATA / "no-public-sets-here")
    # A writer of training text happens to write the same message.
    corpus.add(fan_row(dict(records[0]), "voices", holdout=False))
    assert text_key(corpus.rows[-1].text) in quiet
    rows = training_rows(corpus, eval_copy=False, max_rows_per_source=None, seed=0)
    assert rows
    assert not [r.text for r in rows if text_key(r.text) in quiet]


def test_a_danger_counts_only_when_it_is_urgent_as_a_danger_and_a_named_look_alike_is_an_alarm() -> (
    None
):
    records = [
        {"text": "a", "lang": "en", "safety": True},
        {"text": "b", "lang": "en", "safety": True},  # urgent, but read as a booking
        {"text": "c", "lang": "it", "safety": True},  # named, yet not urgent (an old model)
        {"text": "d", "lang": "it", "safety": False},
        {"text": "e", "lang": "it", "safety": False},
    ]
    results = [
        _read("urgent", "threat"),
        _read("urgent", None),
        _read("normal", "threat"),
        _read("urgent", "may be in danger"),
        _read("low", None),
    ]
    scores = quiet_scores(results, records)
    assert (scores.danger_urgent, scores.danger_total) == (1, 3)
    assert (scores.false_alarms, scores.harmless_total) == (1, 2)
    assert scores.by_language == {"en": (1, 2), "it": (0, 1)}


def test_the_safety_head_pages_alone_when_sure_or_at_even_odds_when_the_message_is_pressing() -> (
    None
):
    assert head_finds_danger(0.75, urgency=0.5, threshold=0.4)
    assert head_finds_danger(0.55, urgency=0.8, threshold=0.4)
    assert not head_finds_danger(0.55, urgency=0.5, threshold=0.4)  # unsure and not pressing
    assert not head_finds_danger(0.45, urgency=1.0, threshold=0.4)  # pressing, but unlikely danger
    assert not head_finds_danger(0.75, urgency=0.5, threshold=0.8)  # below the head's own threshold
