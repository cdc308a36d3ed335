"""What a phrasebook holds: everything one language needs to sound like fans.

Templates are ``str.format`` strings whose ``{slots}`` are filled per message
(:mod:`inbox.sandbox.fillers`): songs, cities, venues, dates, order numbers,
fees. Variety comes from combining independent choices: an opener, a body, a
closer, a writing style and the fillers, so a few hundred lines per language
give thousands of distinct messages.

Emails are built from ``long`` paragraph groups: one alternative from each
group, in order, so that a booking request always introduces the sender,
makes an offer, covers logistics and asks for an answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Slots computed per message from the artist, the fan and the time (see fillers.py).
COMPUTED_SLOTS = frozenset(
    {
        "artist",
        "band",
        "member",
        "song",
        "other_song",
        "album",
        "old_album",
        "city",
        "other_city",
        "venue",
        "home_city",
        "date",
        "past_date",
        "deadline",
        "order",
        "ticket_ref",
        "fee",
        "capacity",
        "count",
        "organisation",
        "first_name",
        "full_name",
        "phone",
        "website",
        "link",
        "timestamp",
        "emoji",
        "hashtag",
        "spam_link",
        "spam_handle",
        "percent",
        "amount",
        "year_past",
    }
)
# Slots every phrasebook fills from its own ``words``.
WORD_SLOTS = frozenset(
    {
        "merch_item",
        "platform",
        "when_past",
        "role_booker",
        "role_press",
        "role_label",
        "slot",
        "ticket_vendor",
    }
)


@dataclass(frozen=True, slots=True)
class Topic:
    short: tuple[str, ...]  # a post, comment or DM
    long: tuple[tuple[str, ...], ...] = ()  # email paragraphs: one of each group, in order
    subjects: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Phrasebook:
    lang: str
    topics: Mapping[str, Topic]
    openers: tuple[str, ...]  # casual starts of a fan's social message
    closers: tuple[str, ...]
    followups: Mapping[str, tuple[str, ...]]  # coming back to one's own thread, by Group
    chime_ins: tuple[str, ...]  # another fan joining a comment thread
    answers: Mapping[str, tuple[str, ...]]  # answering the artist's reply, by Group
    greetings: Mapping[str, tuple[str, ...]]  # "formal" / "casual"
    signoffs: Mapping[str, tuple[str, ...]]
    mobile_footers: tuple[str, ...]
    quote_header: str  # introduces the quoted mail in a reply: slots {date} and {name}
    reply_prefix: str
    words: Mapping[str, tuple[str, ...]]
    months: tuple[str, ...]
    date_format: str  # slots {day} and {month}
    thousands: str
    # Whole-word replacements young fans make ("you" -> "u"), applied to lower-cased text.
    slang: tuple[tuple[str, str], ...] = field(default=())
