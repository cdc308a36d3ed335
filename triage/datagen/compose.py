"""Turn hand-written message templates into varied, labelled fan messages.

Real inboxes are messy: people drop accents, mistype, shout, pile on emoji,
open with "omg" or "Dear team", praise before they ask. A model trained on
clean sentences learns the templates instead of the intents, so every
template goes through the same random-but-seeded roughening here. The seed
makes the shipped files reproducible byte for byte.

A template is a string with ``{slot}`` fields and an optional flag prefix in
square brackets:

* ``u`` time-critical (priority one step up, "urgent" for business intents)
* ``p`` / ``n`` positive / negative tone (otherwise the intent's default)
* ``t`` toxic (abusive words aimed at the artist or the team)
* ``f`` / ``c`` formal (email-like greeting and sign-off) / casual (DM-like)
* ``x`` keep as written: no greeting, praise opener or sign-off
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from triage.priority import USUAL_PRIORITY

INTENTS = ("question", "booking", "press", "collab", "support", "praise", "complaint", "other")
BUSINESS = frozenset({"booking", "press", "collab", "support"})

# What a community manager does first, per intent, before any urgency cue.
DEFAULT_PRIORITY = USUAL_PRIORITY
DEFAULT_SENTIMENT = {"praise": "positive", "complaint": "negative"}

_FLAGS = re.compile(r"^\[([upntfcx]+)\]\s*")
_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Template:
    text: str
    flags: str

    @classmethod
    def parse(cls, raw: str) -> Template:
        match = _FLAGS.match(raw)
        if match is None:
            return cls(raw, "")
        return cls(raw[match.end() :], match.group(1))


@dataclass(frozen=True, slots=True)
class LanguagePack:
    """Everything needed to write messages in one language.

    ``fill`` maps slot names to choices; ``greet_*``/``sign_*`` wrap a body;
    ``praise_openers`` are what fans put before a question ("love you!! ...");
    ``fan_names`` and ``pro_names`` are plausible author display names.
    """

    lang: str
    fill: Mapping[str, Sequence[str]]
    greet_casual: Sequence[str]
    greet_formal: Sequence[str]
    sign_casual: Sequence[str]
    sign_formal: Sequence[str]
    praise_openers: Sequence[str]
    fan_names: Sequence[str]
    pro_names: Sequence[str]
    train: Mapping[str, Sequence[str]]
    heldout: Mapping[str, Sequence[str]]


SHARED_FILL: dict[str, Sequence[str]] = {
    "artist": (
        "Lena Moor",
        "Nightjar",
        "the Paper Lanterns",
        "Kid Azul",
        "Marlo",
        "Sunday Static",
        "Ines Vale",
        "Holloway",
    ),
    "handle": ("@lenamoor", "@nightjarband", "@paperlanterns", "@kidazul", "@marlomusic"),
    "song": (
        "Neon Rivers",
        "Salt & Honey",
        "Glasshouse",
        "Midnight Train",
        "Paper Moon",
        "Ashes",
        "Velvet",
        "Golden Hour",
        "Satellite Heart",
        "Lowlands",
        "Ghost Town Radio",
        "Hurricane Season",
    ),
    "album": ("Northern Lights", "Slow Fire", "Blue Hours", "Terminal", "Wildflower Static"),
    "emoji": ("😍", "🔥", "❤️", "🥹", "✨", "💜", "😭", "🎶", "🤘", "💯", "🫶", "👏"),
    "sad_emoji": ("😡", "😤", "🙄", "😞", "😢", "💔", "🤬", "😒"),
    "order": ("#48213", "#UNP-10294", "#7731", "n°55120", "#A-2291", "#90412"),
    "size": ("S", "M", "L", "XL", "XXL"),
    "year": ("2019", "2021", "2022", "2023", "2024"),
    "num": ("2", "3", "4", "5", "6"),
    "hours": ("3", "5", "8", "12", "48"),
    "url": (
        "https://bit.ly/3xYz",
        "www.mix-tapes.net/r/abc",
        "http://soundcl0ud.co/free",
        "linktr.ee/djmax",
    ),
}

# Tails follow the tone: nobody ends a complaint with hearts.
_EMOJI_TAILS = {
    "positive": ("", "", " {emoji}", " {emoji}{emoji}", " {emoji}{emoji}{emoji}", " :)", " xx"),
    "negative": ("", "", "", " {sad_emoji}", " {sad_emoji}{sad_emoji}", " :("),
    "neutral": ("", "", "", " 🙏", " 👀", " 🤔", " :)", " xx", " {emoji}"),
}


def fill_slots(text: str, pack: LanguagePack, rng: random.Random) -> str:
    """Replace every ``{slot}`` with a random filler, language pack first."""

    def pick(match: re.Match[str]) -> str:
        slot = match.group(1)
        choices = pack.fill.get(slot) or SHARED_FILL.get(slot)
        if not choices:
            raise KeyError(f"no filler for slot {slot!r} in {pack.lang}")
        return rng.choice(choices)

    # Two passes: a filler may itself contain a slot ("{num} tickets").
    return _SLOT.sub(pick, _SLOT.sub(pick, text))


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.random()
    if kind < 0.4:  # swap two letters
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    if kind < 0.7:  # drop a letter
        return word[:i] + word[i + 1 :]
    return word[:i] + word[i] + word[i:]  # double a letter


def roughen(text: str, rng: random.Random, casual: bool) -> str:
    """Apply the habits of people typing on phones, more of them when casual."""
    if casual and rng.random() < 0.35:
        text = strip_accents(text)
    if rng.random() < (0.25 if casual else 0.05):
        words = text.split(" ")
        for _ in range(rng.randint(1, 2)):
            j = rng.randrange(len(words))
            words[j] = _typo(words[j], rng)
        text = " ".join(words)
    roll = rng.random()
    if casual and roll < 0.35:
        text = text.lower()
    elif casual and roll < 0.40:
        text = text.upper()
    if casual and rng.random() < 0.2:
        text = text.replace("?", "??").replace("!", "!!!")
    if casual and rng.random() < 0.15:
        text = text.rstrip(".!?")
    return text


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    lang: str
    author: str
    priority: str
    sentiment: str
    toxic: bool
    spam: bool
    network: str

    def to_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "intent": self.intent,
            "lang": self.lang,
            "author": self.author,
            "priority": self.priority,
            "sentiment": self.sentiment,
            "toxic": self.toxic,
            "spam": self.spam,
            "network": self.network,
        }


CASUAL_NETWORKS = ("instagram", "x", "youtube", "facebook", "bluesky", "mastodon")


def _priority(intent: str, flags: str) -> str:
    base = DEFAULT_PRIORITY[intent]
    if "t" in flags:
        return "low"
    if "u" not in flags:
        return base
    if intent in BUSINESS:
        return "urgent"
    return "high" if base == "normal" else "normal"


def _sentiment(intent: str, flags: str, praised: bool) -> str:
    if "n" in flags or "t" in flags:
        return "negative"
    if "p" in flags or praised:
        return "positive"
    return DEFAULT_SENTIMENT.get(intent, "neutral")


def write_message(
    template: Template, intent: str, pack: LanguagePack, rng: random.Random
) -> Example:
    """One labelled message from one template, wrapped and roughened."""
    formal = "f" in template.flags or (
        "c" not in template.flags and intent in BUSINESS and rng.random() < 0.5
    )
    body = fill_slots(template.text, pack, rng)
    praised = False
    if "x" not in template.flags:
        if (
            intent in {"question", "support", "booking", "collab"}
            and "n" not in template.flags
            and not formal
            and rng.random() < 0.25
        ):
            body = fill_slots(rng.choice(pack.praise_openers), pack, rng) + " " + body
            praised = True
        if formal:
            body = f"{fill_slots(rng.choice(pack.greet_formal), pack, rng)}\n\n{body}"
            body += "\n\n" + fill_slots(rng.choice(pack.sign_formal), pack, rng)
        else:
            if rng.random() < 0.4:
                body = fill_slots(rng.choice(pack.greet_casual), pack, rng) + " " + body
            if rng.random() < 0.2:
                body += " " + fill_slots(rng.choice(pack.sign_casual), pack, rng)
            tone = _sentiment(intent, template.flags, praised)
            body += fill_slots(rng.choice(_EMOJI_TAILS[tone]), pack, rng)
    text = body if formal else roughen(body, rng, casual=True)
    names = pack.pro_names if (formal or intent in BUSINESS - {"support"}) else pack.fan_names
    author = fill_slots(rng.choice(names), pack, rng)
    network = "email" if formal and rng.random() < 0.7 else rng.choice(CASUAL_NETWORKS)
    return Example(
        text=re.sub(r"[ \t]+", " ", text).strip(),
        intent=intent,
        lang=pack.lang,
        author=author,
        priority=_priority(intent, template.flags),
        sentiment=_sentiment(intent, template.flags, praised),
        toxic="t" in template.flags,
        spam=False,
        network=network,
    )


def generate(
    pack: LanguagePack,
    templates: Mapping[str, Sequence[str]],
    per_template: int,
    rng: random.Random,
) -> list[Example]:
    """``per_template`` messages from every template, de-duplicated by text."""
    seen: set[str] = set()
    out: list[Example] = []
    for intent in INTENTS:
        for raw in templates.get(intent, ()):
            template = Template.parse(raw)
            for _ in range(per_template):
                example = write_message(template, intent, pack, rng)
                key = example.text.casefold()
                if key not in seen:
                    seen.add(key)
                    out.append(example)
    return out
