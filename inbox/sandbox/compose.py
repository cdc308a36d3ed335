"""Writing one message: choose what a person talks about, fill it in, style it.

Four kinds of message, all network-neutral (the network style adds @mentions,
ids and payloads later):

* an **opening** starts a thread: a comment, a mention, a DM or a mail;
* a **follow-up** is the same person coming back to their own thread
  ("any update on this?"), reusing the thread's city, dates and order number;
* a **chime-in** is another fan joining a comment thread ("+1 for Lyon");
* an **answer** is the fan replying to the artist's own reply.
"""

from __future__ import annotations

import html
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from inbox.sandbox.artist import Artist
from inbox.sandbox.fillers import FillContext, Fillers, fill
from inbox.sandbox.languages import phrasebook
from inbox.sandbox.personas import PROFILES, SUPPORT_TOPICS, Group, Persona
from inbox.sandbox.phrasebook import Phrasebook, Topic
from inbox.sandbox.population import Fan
from inbox.sandbox.seeding import cumulative
from inbox.sandbox.stylise import stylise

_ROLE_WORD = {
    Persona.PROMOTER: "role_booker",
    Persona.JOURNALIST: "role_press",
    Persona.LABEL: "role_label",
}


@dataclass(frozen=True, slots=True)
class Composition:
    text: str
    topic: str
    lang: str
    subject: str | None = None
    html: str | None = None
    # The slot values used, so the thread's later messages talk about the same things.
    slots: Mapping[str, str] = field(default_factory=dict)


@lru_cache(maxsize=32)
def _topic_table(persona: Persona) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """A persona's topics and their cumulative weights, for ``random.choices``."""
    topics = PROFILES[persona].topics
    return tuple(topics), tuple(cumulative(list(topics.values())))


def compose_opening(
    rng: random.Random,
    fan: Fan,
    *,
    artist: Artist,
    network: str,
    kind: str,
    when: datetime,
    song: str | None = None,
) -> Composition:
    """The first message of a thread, about a topic typical of the fan's persona."""
    names, cum_weights = _topic_table(fan.persona)
    topic = rng.choices(names, cum_weights=cum_weights)[0]
    book = phrasebook(fan.lang)
    fillers = Fillers(FillContext(artist, book, fan, when, topic, song), rng)
    entry = book.topics[topic]
    if kind == "email":
        return _email_opening(rng, fan, book, entry, fillers, topic)
    casual = not fan.profile.formal
    group = fan.profile.group
    if network == "youtube" and casual and len(entry.short) > 1 and rng.random() < 0.4:
        # YouTube comments run longer: two thoughts on the same topic.
        first, second = rng.sample(entry.short, 2)
        body = _join_sentences(fill(first, fillers), fill(second, fillers))
    else:
        body = fill(rng.choice(entry.short), fillers)
    # Fans and people asking for help say hi; only fans sign off with love.
    if group in (Group.FAN, Group.SUPPORT) and rng.random() < 0.3:
        body = f"{fill(rng.choice(book.openers), fillers)} {body}"
    if group == Group.FAN and rng.random() < 0.3:
        body = f"{body} {fill(rng.choice(book.closers), fillers)}"
    text = stylise(body, rng, fan.style, book, network, casual=casual)
    return Composition(text, topic, book.lang, slots=dict(fillers))


def compose_followup(
    rng: random.Random,
    fan: Fan,
    *,
    artist: Artist,
    network: str,
    kind: str,
    when: datetime,
    first: Composition,
    first_when: datetime,
) -> Composition:
    """The author of ``first`` coming back to the thread it started."""
    book = phrasebook(fan.lang)
    group = PROFILES[fan.persona].group
    fillers = Fillers(
        FillContext(artist, book, fan, when, first.topic, preset=dict(first.slots)), rng
    )
    body = fill(rng.choice(book.followups[group.value]), fillers)
    if kind == "email":
        return _email_reply(rng, fan, book, body, fillers, first, first_when)
    text = stylise(body, rng, fan.style, book, network, casual=not fan.profile.formal)
    return Composition(text, first.topic, book.lang, slots=dict(fillers))


def compose_chime_in(
    rng: random.Random,
    fan: Fan,
    *,
    artist: Artist,
    network: str,
    when: datetime,
    first: Composition,
) -> Composition:
    """Another fan joining someone's comment thread, about the same city and song."""
    book = phrasebook(fan.lang)
    preset = {k: v for k, v in first.slots.items() if k in ("city", "song", "member")}
    fillers = Fillers(FillContext(artist, book, fan, when, first.topic, preset=preset), rng)
    body = fill(rng.choice(book.chime_ins), fillers)
    text = stylise(body, rng, fan.style, book, network, casual=True)
    return Composition(text, "chime_in", book.lang, slots=dict(fillers))


def compose_answer(
    rng: random.Random,
    fan: Fan,
    *,
    artist: Artist,
    network: str,
    kind: str,
    when: datetime,
    subject: str | None,
) -> Composition | None:
    """The fan answering the artist's reply: thanks, or one more question. Bots never answer."""
    book = phrasebook(fan.lang)
    group = PROFILES[fan.persona].group
    choices = book.answers.get(group.value, ())
    if not choices:
        return None
    fillers = Fillers(FillContext(artist, book, fan, when, "answer"), rng)
    body = fill(rng.choice(choices), fillers)
    if kind == "email":
        formal = fan.profile.formal or group == Group.SUPPORT
        text = _email_body(rng, fan, book, fillers, [body], formal=formal)
        return Composition(text, "answer", book.lang, subject=reply_subject(book, subject))
    text = stylise(body, rng, fan.style, book, network, casual=not fan.profile.formal)
    return Composition(text, "answer", book.lang)


def reply_subject(book: Phrasebook, subject: str | None) -> str:
    """'Re: <subject>' in the writer's mail client's language, never 'Re: Re: ...'."""
    subject = (subject or "").strip()
    lowered = subject.lower()
    if any(lowered.startswith(p) for p in ("re:", "re :", "aw:", "sv:", "rv:")):
        return subject
    return f"{book.reply_prefix} {subject}".strip()


def _join_sentences(first: str, second: str) -> str:
    if first and first[-1] not in ".!?…)":
        first += "."
    return f"{first} {second[:1].upper()}{second[1:]}"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _email_opening(
    rng: random.Random,
    fan: Fan,
    book: Phrasebook,
    entry: Topic,
    fillers: Fillers,
    topic: str,
) -> Composition:
    formal = fan.profile.formal or topic in SUPPORT_TOPICS
    if entry.long:
        paragraphs = [fill(rng.choice(group), fillers) for group in entry.long]
    else:
        picks = rng.sample(entry.short, k=min(2, len(entry.short)))
        paragraphs = [_capitalise(fill(p, fillers)) for p in picks]
    subject = fill(rng.choice(entry.subjects), fillers) if entry.subjects else paragraphs[0][:60]
    text = _email_body(rng, fan, book, fillers, paragraphs, formal=formal)
    markup = _as_html(text) if rng.random() < 0.5 else None
    return Composition(text, topic, book.lang, subject=subject, html=markup, slots=dict(fillers))


def _email_reply(
    rng: random.Random,
    fan: Fan,
    book: Phrasebook,
    body: str,
    fillers: Fillers,
    first: Composition,
    first_when: datetime,
) -> Composition:
    formal = fan.profile.formal or first.topic in SUPPORT_TOPICS
    text = _email_body(rng, fan, book, fillers, [_capitalise(body)], formal=formal)
    if rng.random() < 0.6:  # most clients quote the mail being answered
        date = book.date_format.format(day=first_when.day, month=book.months[first_when.month - 1])
        header = book.quote_header.format(date=date, name=fan.full_name)
        quoted = "\n".join(f"> {line}" if line else ">" for line in first.text.splitlines())
        text = f"{text}\n\n{header}\n{quoted}"
    return Composition(
        text,
        first.topic,
        book.lang,
        subject=reply_subject(book, first.subject),
        slots=dict(fillers),
    )


def _email_body(
    rng: random.Random,
    fan: Fan,
    book: Phrasebook,
    fillers: Fillers,
    paragraphs: list[str],
    *,
    formal: bool,
) -> str:
    register = "formal" if formal else "casual"
    greeting = fill(rng.choice(book.greetings[register]), fillers)
    signoff = rng.choice(book.signoffs[register])
    parts = [greeting, *paragraphs, f"{signoff}\n{_signature(rng, fan, book, formal=formal)}"]
    if not fan.profile.formal and rng.random() < 0.25:
        parts.append(rng.choice(book.mobile_footers))
    return "\n\n".join(parts)


def _signature(rng: random.Random, fan: Fan, book: Phrasebook, *, formal: bool) -> str:
    if fan.persona == Persona.SPAM_BOT:
        return "Artist Growth Team"
    if fan.organisation:
        lines = [fan.full_name]
        role_word = _ROLE_WORD.get(fan.persona)
        if role_word:
            lines.append(_capitalise(rng.choice(book.words[role_word])))
        lines.append(fan.organisation)
        if rng.random() < 0.6:
            lines.append(
                "".join(str(rng.randint(0, 9)) if c == "#" else c for c in fan.culture.phone)
            )
        if fan.signature_line:  # a press or booking contact lists their own handle too
            lines.append(fan.signature_line)
        return "\n".join(lines)
    name = fan.full_name if formal or rng.random() < 0.4 else fan.first_name
    return f"{name}\n{fan.signature_line}" if fan.signature_line else name


def _as_html(text: str) -> str:
    """The HTML alternative a webmail would send with the plain text."""
    paragraphs = "".join(
        "<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in text.split("\n\n")
    )
    return f'<div dir="ltr">{paragraphs}</div>'
