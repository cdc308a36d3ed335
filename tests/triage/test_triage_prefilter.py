"""The literal prefilter may only skip what its pattern would not have matched."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage import reasons, safety
from triage.prefilter import Prefiltered, required_literals
from triage.text import normalise_text

FILTERED = {
    "safety": safety._ANY_SAFETY,
    "scam": safety._SCAM,
    "lure": safety._ANY_LURE,
    "harmless": safety._HARMLESS,
    "must see": reasons._ANY_MUST_SEE,
    "time cue": reasons._TIME_CUE,
}


def test_a_pattern_needs_one_of_its_plain_strings() -> None:
    assert required_literals(re.compile(r"\bkil+ (?:you|u|ya)\b")) == {"kil"}
    assert required_literals(re.compile(r"\bfollow(?:ed|ing) (?:me|us) home\b")) == {
        "followed",
        "following",
    }
    # Python's parser shares the opening "p" of the three; the filter joins it back.
    assert required_literals(re.compile(r"\b(?:pics?|photos?|pictures?) of\b")) == {
        "pic",
        "photo",
        "picture",
    }
    assert required_literals(re.compile(r"knife|(?:gun|blade)s? (?:out|drawn)")) == {
        "knife",
        "gun",
        "blade",
    }


def test_an_alternative_without_plain_text_means_no_prefilter() -> None:
    assert required_literals(re.compile(r"\bdanger\b|\w+ \d+")) is None
    assert required_literals(re.compile(r"(?:stalk)?\w+")) is None
    assert Prefiltered(re.compile(r"\w+ \d+")).search("room 12") is not None


def test_flags_the_prefilter_does_not_read_turn_it_off() -> None:
    assert required_literals(re.compile("hotel", re.IGNORECASE)) is None
    pattern = Prefiltered(re.compile("(?i:hotel)|room"))
    assert pattern.search("HOTEL lobby") is not None


def test_optional_and_lookahead_text_is_never_required() -> None:
    literals = required_literals(re.compile(r"\bvou me matar\b(?! de rir)|(?:very )?scary place"))
    assert literals is not None
    assert not any("rir" in literal or "very" in literal for literal in literals)


@pytest.mark.parametrize("name", sorted(FILTERED))
def test_the_rules_answer_every_training_message_as_before(name: str, own_texts: list[str]) -> None:
    rule = FILTERED[name]
    assert rule.prefilter is not None, f"{name}: every alternative should need some text"
    checked = 0
    for text in own_texts:
        norm = normalise_text(text)
        plain = rule.pattern.search(norm)
        filtered = rule.search(norm)
        assert (plain is None) == (filtered is None), (name, norm[:80])
        if plain is not None and filtered is not None:
            assert plain.span() == filtered.span()
        checked += 1
    assert checked > 5_000


_WORDS = st.sampled_from(
    [
        "i",
        "know",
        "where",
        "you",
        "sleep",
        "kill",
        "u",
        "ya",
        "follow",
        "followed",
        "me",
        "home",
        "hotel",
        "room",
        "pics",
        "of",
        "her",
        "house",
        "gun",
        "knife",
        "can't",
        "breathe",
        "crush",
        "barrier",
        "tonight",
        "demain",
        "je",
        "sais",
        "ou",
        "tu",
        "dors",
        "te",
        "voy",
        "a",
        "matar",
        "ich",
        "weiss",
        "wo",
        "du",
        "wohnst",
        "visa",
        "fee",
        "pay",
        "passport",
        "western",
        "union",
        "won",
        "prize",
        "dead",
        "to",
        "me",
        "dying",
        "of",
        "laughter",
        "the",
        "a",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=12))
def test_the_rules_answer_word_salads_as_before(words: list[str]) -> None:
    norm = " ".join(words)
    for rule in FILTERED.values():
        assert (rule.search(norm) is None) == (rule.pattern.search(norm) is None)
        if isinstance(rule, Prefiltered):
            assert rule.sub(" ", norm) == rule.pattern.sub(" ", norm)
