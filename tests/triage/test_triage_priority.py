"""Priority rules: what the team reads first, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from triage.priority import PriorityContext, priority_for, score_priority


@dataclass
class Fake:
    """The fields score_priority reads, with a neutral model opinion."""

    intent: str = "other"
    intent_score: float = 0.9
    spam: bool = False
    toxic: bool = False
    sentiment: str = "neutral"
    urgency: float = 0.5
    time_cue: str | None = None
    safety: str | None = None
    intent_scores: dict[str, float] | None = None


def score(**fields: Any) -> int:
    return score_priority(Fake(**fields))[1]


@pytest.mark.parametrize("business", ["booking", "support", "press"])
def test_business_comes_before_a_question(business: str) -> None:
    assert score(intent=business) > score(intent="question")


def test_question_comes_before_a_compliment() -> None:
    assert score(intent="question") > score(intent="praise")
    assert score(intent="question") > score(intent="other")


def test_learned_urgency_moves_the_score() -> None:
    assert score(intent="question", urgency=0.9) > score(intent="question", urgency=0.2)


def test_time_critical_booking_is_urgent() -> None:
    priority, value, reasons = score_priority(
        Fake(intent="booking", urgency=0.9, time_cue="tonight")
    )
    assert priority == "urgent"
    assert value >= 80
    assert "time-critical: 'tonight'" in reasons


def test_spam_is_always_low_whatever_the_context() -> None:
    ctx = PriorityContext(
        segment="superfan", waiting_hours=200, unanswered_question=True, industry=True
    )
    priority, value, reasons = score_priority(Fake(intent="booking", spam=True, urgency=1.0), ctx)
    assert priority == "low"
    assert value <= 5
    assert reasons == ["spam"]


def test_abuse_is_capped_low() -> None:
    priority, value, reasons = score_priority(Fake(intent="complaint", toxic=True, urgency=0.9))
    assert priority == "low"
    assert value <= 20
    assert reasons[0] == "abusive language"


def test_context_reasons_are_words() -> None:
    ctx = PriorityContext(segment="superfan", waiting_hours=50, unanswered_question=True)
    _, boosted, reasons = score_priority(Fake(intent="question"), ctx)
    assert boosted > score(intent="question")
    assert "superfan" in reasons
    assert "waiting 2 days" in reasons
    assert "question still unanswered" in reasons


def test_industry_contact_outranks_the_same_message_from_a_new_fan() -> None:
    industry = score_priority(Fake(intent="collab"), PriorityContext(industry=True))[1]
    new = score_priority(Fake(intent="collab"), PriorityContext(segment="new"))[1]
    assert industry > new


def test_bots_and_trolls_sink() -> None:
    assert score_priority(Fake(intent="question"), PriorityContext(segment="bot"))[0] == "low"
    assert score_priority(Fake(intent="booking"), PriorityContext(segment="troll"))[0] == "low"


def test_waiting_longer_never_lowers_priority() -> None:
    values = [
        score_priority(Fake(intent="question"), PriorityContext(waiting_hours=h))[1]
        for h in (0, 3, 24, 72, 500)
    ]
    assert values == sorted(values)
    assert all(0 <= v <= 100 for v in values)


def test_an_old_unanswered_question_rises_but_never_above_a_fresh_booking() -> None:
    ctx = PriorityContext(segment="regular", waiting_hours=24 * 13, unanswered_question=True)
    old_question = score_priority(Fake(intent="question"), ctx)
    fresh = [score_priority(Fake(intent=i), PriorityContext())[1] for i in ("booking", "support")]
    assert old_question[0] == "high"
    assert old_question[1] < min(fresh)
    assert "waiting 13 days" in old_question[2]


def test_a_booking_left_waiting_rises_to_the_top_of_high_but_not_to_urgent() -> None:
    fresh = score_priority(Fake(intent="booking"))[1]
    priority, waited, reasons = score_priority(
        Fake(intent="booking"), PriorityContext(waiting_hours=72)
    )
    assert priority == "high" and waited > fresh and "waiting 3 days" in reasons


def test_a_booking_with_a_deadline_is_urgent() -> None:
    priority, _, reasons = score_priority(Fake(intent="booking", time_cue="this week"))
    assert priority == "urgent" and "time-critical: 'this week'" in reasons


def test_a_time_critical_question_can_still_be_urgent() -> None:
    fan = PriorityContext(segment="superfan", waiting_hours=5)
    priority, _, _ = score_priority(Fake(intent="question", urgency=0.95, time_cue="tonight"), fan)
    assert priority == "urgent"


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (100, "urgent"),
        (80, "urgent"),
        (79, "high"),
        (60, "high"),
        (35, "normal"),
        (34, "low"),
        (0, "low"),
    ],
)
def test_thresholds(value: int, name: str) -> None:
    assert priority_for(value) == name


def test_an_urgent_message_always_says_why(  # the urgency head alone, no clock word, no segment
) -> None:
    priority, _, reasons = score_priority(Fake(intent="booking", urgency=1.0))
    assert priority == "urgent" and reasons == ["pressing for a booking"]


# The intent head's reading of a brand's offer it mostly took for chatter.
CHATTER_OR_OFFER = {"other": 0.68, "booking": 0.23, "collab": 0.06, "complaint": 0.03}


def test_an_offer_read_as_chatter_ranks_above_plain_chatter_by_the_probability_it_is_business() -> (
    None
):
    plain = score(intent="other", intent_scores={"other": 0.97, "praise": 0.03})
    maybe_offer = score(intent="other", intent_scores=CHATTER_OR_OFFER)
    assert maybe_offer > plain
    assert maybe_offer < score(intent="booking")


def test_a_time_word_on_a_maybe_offer_counts_by_that_probability_and_is_named_at_even_odds() -> (
    None
):
    without = score(intent="other", intent_scores=CHATTER_OR_OFFER, urgency=0.99)
    priority, value, reasons = score_priority(
        Fake(intent="other", intent_scores=CHATTER_OR_OFFER, urgency=0.99, time_cue="prazo")
    )
    assert value - without == 3  # 10 points times P(booking or collab) = 0.29
    assert priority == "high"
    assert not any(r.startswith("time-critical") for r in reasons)
    assert "pressing for a message" in reasons
    likely_question = {"other": 0.45, "question": 0.40, "booking": 0.15}
    _, _, named = score_priority(
        Fake(intent="other", intent_scores=likely_question, time_cue="tomorrow")
    )
    assert "time-critical: 'tomorrow'" in named


def test_a_corrected_intent_ranks_by_the_correction_not_the_model_s_probabilities() -> None:
    # A teammate said "booking"; the stored probabilities still favour chatter.
    corrected = score(intent="booking", intent_scores=CHATTER_OR_OFFER)
    assert corrected == score(intent="booking")


def test_a_pressing_question_that_may_be_an_offer_is_high_but_never_urgent_without_a_clock() -> (
    None
):
    maybe_booking = {"question": 0.55, "booking": 0.45}
    ctx = PriorityContext(segment="superfan", waiting_hours=300, unanswered_question=True)
    priority, value, _ = score_priority(
        Fake(intent="question", intent_scores=maybe_booking, urgency=1.0), ctx
    )
    assert priority == "high" and value == 79
    with_clock, _, _ = score_priority(
        Fake(intent="question", intent_scores=maybe_booking, urgency=1.0, time_cue="tonight"), ctx
    )
    assert with_clock == "urgent"
