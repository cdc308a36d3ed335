"""Fan segments and engagement, as a pure function of a fan's statistics.

The inbox recomputes these whenever a message arrives; nothing here touches
the database, so the rules can be read and tested on their own.

Segments, checked in this order (the first that applies wins):

(marked)      a teammate chose the segment: it stays until someone changes it.
``bot``       at least :data:`BOT_MIN_SPAM` spam messages and at least half of
              the fan's messages spam (:data:`BOT_SPAM_SHARE`). One spammy
              message, or an emoji in a name, is not enough.
``troll``     at least :data:`TROLL_TOXIC_SHARE` of the messages are abusive,
              and at least :data:`TROLL_MIN_TOXIC` of them (one insult is a bad
              day, not a troll).
``industry``  a consistent signal: :data:`INDUSTRY_MIN_MESSAGES` or more
              booking, press or collaboration messages making up at least
              :data:`INDUSTRY_MIN_SHARE` of what they wrote, or evidence in who
              they are (an address or profile of a venue, label, agency,
              festival or outlet: :func:`industry_evidence`). A fan's one
              booking-like question does not make them a contact.
``lapsed``    was a regular (:data:`REGULAR_MIN_MESSAGES` messages or more) but
              silent for :data:`LAPSED_AFTER_DAYS` days.
``superfan``  engagement of :data:`SUPERFAN_MIN_ENGAGEMENT` or more over at
              least :data:`SUPERFAN_MIN_MESSAGES` messages.
``regular``   :data:`REGULAR_MIN_MESSAGES` messages or more, in at least
              :data:`REGULAR_MIN_CONVERSATIONS` conversations.
``new``       everyone else.

Engagement (0-100) adds four parts, across all networks:

* frequency (up to 35): messages per 30 days of the fan's history,
  log-scaled, 35 at about 8 a month;
* recency (up to 25): halves every :data:`RECENCY_HALF_LIFE_DAYS` days of silence;
* reciprocity (up to 20): share of the fan's conversations the artist
  answered, plus a little for talking on several networks;
* sentiment (up to 20): 10 for neutral, 20 for all-positive, 0 for
  all-negative.

Spam and abuse then take their share away: a fan whose messages are 40%
spam keeps 60% of the score.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from triage import reasons as R
from triage.reasons import set_by

BOT_SPAM_SHARE = 0.5
BOT_MIN_SPAM = 2
INDUSTRY_MIN_MESSAGES = 2
INDUSTRY_MIN_SHARE = 0.5
TROLL_TOXIC_SHARE = 0.3
TROLL_MIN_TOXIC = 2
LAPSED_AFTER_DAYS = 90
REGULAR_MIN_MESSAGES = 3
REGULAR_MIN_CONVERSATIONS = 2
SUPERFAN_MIN_ENGAGEMENT = 70.0
SUPERFAN_MIN_MESSAGES = 10
RECENCY_HALF_LIFE_DAYS = 30.0


@dataclass(frozen=True, slots=True)
class FanStats:
    """What the inbox knows about one fan, over every network.

    ``avg_sentiment`` is the mean of +1 (positive), 0 (neutral) and -1
    (negative) over the fan's messages; ``industry_messages`` counts messages
    classified booking, press or collab.
    """

    message_count: int
    first_seen: datetime | None
    last_seen: datetime | None
    conversations: int = 0
    artist_replies: int = 0
    spam_share: float = 0.0
    toxic_share: float = 0.0
    avg_sentiment: float = 0.0
    industry_messages: int = 0
    networks: Collection[str] = field(default_factory=tuple)
    # Who they are, in words, when it says "industry" (see industry_evidence).
    industry_evidence: str | None = None
    # A teammate's choice of segment, and who made it ("Sam", or "you" as the
    # reader sees it); it wins over every rule below.
    marked: str | None = None
    marked_by: str | None = None


@dataclass(frozen=True, slots=True)
class FanSegment:
    segment: str
    engagement: float
    reasons: list[str]


# Words in an email address that say "works in music", in the six languages: a
# trade address (booking@, presse@) or a venue's, label's or outlet's domain.
_TRADE = re.compile(
    r"\b(?:booking|bookings|booker|promo(?:ter|tion|tions|teur|tora?)?s?|agency|agence|agencia|agentur"
    r"|agenzia|management|mgmt|festival|festivalk?|records|recordings|label|disques|discos|discografica"
    r"|venue|salle|sala|club|klub|teatro|theatre|theater|magazine|magazin|revista|rivista|radio|fm"
    r"|podcast|journalist\w*|journaliste|periodista|giornalista|redaktion|redaccion|redazione"
    r"|press|presse|prensa|stampa|imprensa|programmation|programacion|programmazione|events?"
    r"|evenements?|eventos?|eventi|konzertbuero|konzerte|concerts|conciertos|concerti|shows|tour(?:ing)?)\b",
    re.IGNORECASE,
)
# In a display name or bio fans use many of those words too ("I live for concerts",
# "Tour addict"): only the words that name a trade count there.
_TRADE_NAME = re.compile(
    r"\b(?:booking|bookings|booker|promoter|promoters|promotions|agency|agence|agencia|agentur"
    r"|agenzia|management|mgmt|festival|records|recordings|disques|discografica|venue|magazine"
    r"|radio|podcast|journalist|journaliste|periodista|giornalista|redaktion|redaccion|redazione"
    r"|programmation|programacion|programmazione|konzertbuero)\b",
    re.IGNORECASE,
)
_WEBMAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "hotmail.com",
        "hotmail.fr",
        "outlook.com",
        "live.com",
        "yahoo.com",
        "yahoo.fr",
        "yahoo.es",
        "icloud.com",
        "me.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "proton.me",
        "protonmail.com",
        "libero.it",
        "uol.com.br",
        "bol.com.br",
        "t-online.de",
        "wanadoo.fr",
        "sfr.fr",
    }
)


def industry_evidence(identities: Iterable[tuple[str, str, str, str]]) -> str | None:
    """Words saying this person works in music, from ``(network, handle, name, bio)`` tuples.

    An email from a trade address (``booking@``, ``press@``, or a domain that is
    not webmail and names a venue, label, festival or outlet), or a name or bio
    on any network that says so ("Le Trabendo Booking", "Radio Nova").
    """
    for network, handle, name, bio in identities:
        if network == "email" and "@" in handle:
            local, _, domain = handle.lower().rpartition("@")
            if domain not in _WEBMAIL and (_TRADE.search(local) or _TRADE.search(domain)):
                return R.say(R.WRITES_FROM, domain=domain)
        for words in (name, bio):
            match = _TRADE_NAME.search(words or "")
            if match:
                return R.say(R.PROFILE_SAYS, words=match.group(0))
    return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _days(later: datetime, earlier: datetime) -> float:
    return max(0.0, (_aware(later) - _aware(earlier)).total_seconds() / 86400.0)


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def engagement_score(stats: FanStats, now: datetime) -> float:
    """Engagement 0-100 (see the module docstring for its parts)."""
    count = max(0, stats.message_count)
    if count == 0 or stats.last_seen is None:
        return 0.0
    first = stats.first_seen or stats.last_seen
    span_days = max(_days(stats.last_seen, first), 30.0)
    per_month = count / (span_days / 30.0)
    frequency = 35.0 * _clamp(math.log1p(per_month) / math.log1p(8.0))
    silent = _days(now, stats.last_seen)
    recency = 25.0 * 0.5 ** (silent / RECENCY_HALF_LIFE_DAYS)
    answered = _clamp(stats.artist_replies / stats.conversations) if stats.conversations else 0.0
    breadth = _clamp((len(set(stats.networks)) - 1) / 3.0)
    reciprocity = 15.0 * answered + 5.0 * breadth
    sentiment = 10.0 + 10.0 * _clamp(stats.avg_sentiment, -1.0, 1.0)
    total = frequency + recency + reciprocity + sentiment
    penalty = _clamp(stats.spam_share) + _clamp(stats.toxic_share)
    return round(_clamp(total * (1.0 - _clamp(penalty)), 0.0, 100.0), 1)


def segment_fan(stats: FanStats, now: datetime | None = None) -> FanSegment:
    """The fan's segment, engagement score and the reasons, in words."""
    now = now or datetime.now(UTC)
    engagement = engagement_score(stats, now)
    count = stats.message_count
    toxic_count = round(stats.toxic_share * count)
    silent = _days(now, stats.last_seen) if stats.last_seen else 0.0
    networks = len(set(stats.networks))

    if stats.marked:
        by = set_by(stats.marked_by)
        return FanSegment(stats.marked, engagement, [by])
    spam_count = round(stats.spam_share * count)
    if spam_count >= BOT_MIN_SPAM and stats.spam_share >= BOT_SPAM_SHARE:
        return FanSegment("bot", engagement, [R.say_n(R.SPAM_SHARE, spam_count, total=count)])
    if stats.toxic_share >= TROLL_TOXIC_SHARE and toxic_count >= TROLL_MIN_TOXIC:
        return FanSegment("troll", engagement, [R.say_n(R.ABUSIVE_MESSAGES, toxic_count)])
    if stats.industry_evidence:
        return FanSegment("industry", engagement, [stats.industry_evidence])
    if (
        stats.industry_messages >= INDUSTRY_MIN_MESSAGES
        and stats.industry_messages >= INDUSTRY_MIN_SHARE * count
    ):
        return FanSegment(
            "industry",
            engagement,
            [R.say_n(R.BUSINESS_MESSAGES, stats.industry_messages)],
        )
    if count >= REGULAR_MIN_MESSAGES and silent >= LAPSED_AFTER_DAYS:
        return FanSegment(
            "lapsed",
            engagement,
            [R.PARTS.join((R.say_n(R.MESSAGES, count), R.say_n(R.SILENT_FOR, int(silent))))],
        )
    if engagement >= SUPERFAN_MIN_ENGAGEMENT and count >= SUPERFAN_MIN_MESSAGES:
        reasons = [R.say_n(R.MESSAGES, count), R.say(R.ENGAGEMENT, score=f"{engagement:.0f}")]
        if networks > 1:
            reasons.append(R.say_n(R.ON_NETWORKS, networks))
        if stats.avg_sentiment > 0.3:
            reasons.append(R.MOSTLY_POSITIVE)
        return FanSegment("superfan", engagement, reasons)
    if count >= REGULAR_MIN_MESSAGES and stats.conversations >= REGULAR_MIN_CONVERSATIONS:
        return FanSegment(
            "regular",
            engagement,
            [R.say_n(R.MESSAGES_IN_CONVERSATIONS, count, conversations=stats.conversations)],
        )
    first_days = _days(now, stats.first_seen) if stats.first_seen else 0.0
    parts = [R.FIRST_MESSAGE if count <= 1 else R.say_n(R.MESSAGES, count)]
    if stats.first_seen:
        parts.append(
            R.say_n(R.FIRST_SEEN_AGO, int(first_days)) if first_days >= 1 else R.FIRST_SEEN_TODAY
        )
    return FanSegment("new", engagement, [R.PARTS.join(parts)])
