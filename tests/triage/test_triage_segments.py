"""Fan segmentation rules and the engagement score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from triage.segments import FanStats, engagement_score, industry_evidence, segment_fan

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def stats(**fields: object) -> FanStats:
    base: dict[str, object] = {
        "message_count": 5,
        "first_seen": NOW - timedelta(days=200),
        "last_seen": NOW - timedelta(days=5),
        "conversations": 3,
        "artist_replies": 1,
        "avg_sentiment": 0.2,
        "networks": ("instagram",),
    }
    base.update(fields)
    return FanStats(**base)  # type: ignore[arg-type]


def test_first_message_is_new() -> None:
    result = segment_fan(
        stats(message_count=1, conversations=1, first_seen=NOW, last_seen=NOW), NOW
    )
    assert result.segment == "new"
    assert result.reasons == ["first message, first seen today"]


def test_a_few_conversations_make_a_regular() -> None:
    assert segment_fan(stats(), NOW).segment == "regular"


def test_frequent_positive_answered_fan_is_a_superfan() -> None:
    fan = stats(
        message_count=40,
        first_seen=NOW - timedelta(days=120),
        last_seen=NOW - timedelta(days=1),
        conversations=10,
        artist_replies=8,
        avg_sentiment=0.8,
        networks=("instagram", "youtube", "x"),
    )
    result = segment_fan(fan, NOW)
    assert result.segment == "superfan"
    assert "on 3 networks" in result.reasons
    assert result.engagement >= 70


def test_silent_regular_is_lapsed() -> None:
    result = segment_fan(stats(last_seen=NOW - timedelta(days=120)), NOW)
    assert result.segment == "lapsed"
    assert "silent for 120 days" in result.reasons[0]


def test_one_booking_like_question_from_a_fan_does_not_make_a_contact() -> None:
    # "¿cómo no os conocía antes?? ¿por dónde empiezo?" read once as a booking.
    assert segment_fan(stats(industry_messages=1), NOW).segment != "industry"
    first = stats(message_count=1, conversations=1, industry_messages=1)
    assert segment_fan(first, NOW).segment == "new"


def test_repeated_business_messages_make_an_industry_contact() -> None:
    result = segment_fan(stats(message_count=4, industry_messages=3), NOW)
    assert result.segment == "industry"
    assert result.reasons == ["3 booking, press or collaboration messages"]


def test_business_messages_among_many_fan_messages_are_not_enough() -> None:
    assert segment_fan(stats(message_count=30, industry_messages=2), NOW).segment != "industry"


def test_a_venue_address_makes_a_contact_from_the_first_message() -> None:
    evidence = industry_evidence([("email", "prog@letrabendo-club.fr", "Julie M.", "")])
    assert evidence == "writes from letrabendo-club.fr"
    result = segment_fan(stats(message_count=1, industry_evidence=evidence), NOW)
    assert result.segment == "industry"
    assert result.reasons == [evidence]


def test_a_booking_address_at_a_venue_domain_is_evidence_but_webmail_is_not() -> None:
    assert industry_evidence([("email", "booking@salle-pleyel.com", "", "")])
    assert industry_evidence([("email", "booking.fan99@gmail.com", "", "")]) is None
    assert industry_evidence([("email", "marie.dupont@orange.fr", "Marie", "")]) is None


def test_a_profile_that_says_festival_or_radio_is_evidence() -> None:
    assert industry_evidence([("instagram", "fiberfib", "FIB Festival Benicàssim", "")])
    assert industry_evidence([("x", "jo", "Jo", "host @ Radio Nova, music nerd")])
    assert industry_evidence([("bluesky", "jo.bsky.social", "Jo 🌻", "I love cats")]) is None


def test_a_fan_who_loves_concerts_is_not_a_contact() -> None:
    fan = ("instagram", "touraddict", "Tour Addict 🎟️", "I live for concerts, shows and club nights")
    assert industry_evidence([fan]) is None


def test_one_spam_message_or_an_emoji_name_is_not_a_bot() -> None:
    # A grieving fan whose one message the spam head misread.
    one = stats(message_count=1, conversations=1, spam_share=1.0)
    assert segment_fan(one, NOW).segment == "new"


def test_mostly_spam_is_a_bot_even_if_also_industry() -> None:
    result = segment_fan(stats(spam_share=0.8, industry_messages=2), NOW)
    assert result.segment == "bot"
    assert result.reasons == ["4 of 5 messages are spam"]


def test_a_teammates_mark_wins_over_every_rule_and_says_who() -> None:
    marked = stats(spam_share=0.8, marked="industry", marked_by="Sam")
    result = segment_fan(marked, NOW)
    assert result.segment == "industry"
    assert result.reasons == ["set by Sam"]


def test_one_insult_is_not_a_troll_but_repeated_abuse_is() -> None:
    assert (
        segment_fan(stats(message_count=2, toxic_share=0.5, conversations=1), NOW).segment
        != "troll"
    )
    assert segment_fan(stats(message_count=10, toxic_share=0.4), NOW).segment == "troll"


def test_engagement_rewards_recency_reciprocity_and_warmth() -> None:
    base = engagement_score(stats(), NOW)
    assert engagement_score(stats(last_seen=NOW - timedelta(days=80)), NOW) < base
    assert engagement_score(stats(artist_replies=3), NOW) > base
    assert engagement_score(stats(avg_sentiment=-0.9), NOW) < base
    assert engagement_score(stats(spam_share=0.4), NOW) < base


def test_engagement_is_bounded() -> None:
    assert engagement_score(stats(message_count=0, last_seen=None), NOW) == 0.0
    extreme = stats(
        message_count=10_000,
        conversations=1,
        artist_replies=50,
        avg_sentiment=5.0,
        networks="abcdefg",
    )
    assert 0.0 <= engagement_score(extreme, NOW) <= 100.0


def test_naive_datetimes_are_read_as_utc() -> None:
    naive = stats(first_seen=datetime(2025, 11, 1), last_seen=datetime(2026, 5, 30))
    assert segment_fan(naive, NOW).segment == "regular"
