"""Who writes to the artist, how often, where, and about what.

A persona is the ground truth the sandbox knows about a fan and the CRM has to
work out from their messages: a superfan writes often on several networks, a
booker emails with dates and fees, a spam bot posts links. The numbers here
shape the whole demo inbox, so they are tuned together:

* ``fans`` is how many of the default 600 people have the persona,
* ``activity`` is how much each of them posts relative to a regular (1.0),

so a persona's share of the traffic is roughly ``fans * activity``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


class Persona(enum.StrEnum):
    SUPERFAN = "superfan"
    REGULAR = "regular"
    NEWCOMER = "newcomer"
    LAPSED = "lapsed"
    PROMOTER = "promoter"
    JOURNALIST = "journalist"
    COLLABORATOR = "collaborator"
    LABEL = "label"
    TICKET_TROUBLE = "ticket_trouble"
    MERCH_TROUBLE = "merch_trouble"
    BROKEN_LINK = "broken_link"
    TROLL = "troll"
    SPAM_BOT = "spam_bot"


class Group(enum.StrEnum):
    """Personas that follow up, and answer the artist, in the same register."""

    FAN = "fan"
    INDUSTRY = "industry"
    SUPPORT = "support"
    TROLL = "troll"
    SPAM = "spam"


# Topics a phrasebook must cover, by the group that uses them.
FAN_TOPICS = ("praise_song", "praise_show", "tour_question", "request", "personal", "discovery")
INDUSTRY_TOPICS = ("booking", "press", "collab", "label")
SUPPORT_TOPICS = ("ticket_issue", "merch_issue", "broken_link")
ALL_TOPICS = (*FAN_TOPICS, *INDUSTRY_TOPICS, *SUPPORT_TOPICS, "insult", "spam")


@dataclass(frozen=True, slots=True)
class PersonaProfile:
    persona: Persona
    group: Group
    segment: str  # the models.fan.Segment value the CRM should arrive at
    fans: int  # out of the default population of 600
    activity: float
    # Where such people have accounts: network -> weight. Each person gets
    # ``identities`` of them (a superfan is one person on two or three networks).
    networks: Mapping[str, float]
    identities: tuple[int, int]  # min, max networks per person
    topics: Mapping[str, float]
    dm_share: float  # chance that a first message on a DM-capable network is a DM
    followup: float  # chance a person comes back to their own thread
    formal: bool  # writes like a professional: no slang, no typos, few emoji


_SOCIAL = {"x": 3, "instagram": 3, "youtube": 2, "facebook": 1.5, "bluesky": 1.2, "mastodon": 1}
_FAN_TALK = {"praise_song": 3, "praise_show": 2, "tour_question": 3, "request": 2, "personal": 1.5}

PROFILES: Mapping[Persona, PersonaProfile] = {
    p.persona: p
    for p in (
        PersonaProfile(
            persona=Persona.SUPERFAN,
            group=Group.FAN,
            segment="superfan",
            fans=30,
            activity=7.0,
            networks={**_SOCIAL, "email": 0.6},
            identities=(2, 3),
            topics={**_FAN_TALK, "personal": 2.5, "request": 2.5},
            dm_share=0.2,
            followup=0.35,
            formal=False,
        ),
        PersonaProfile(
            persona=Persona.REGULAR,
            group=Group.FAN,
            segment="regular",
            fans=150,
            activity=2.0,
            networks={**_SOCIAL, "email": 0.4},
            identities=(1, 2),
            topics=_FAN_TALK,
            dm_share=0.12,
            followup=0.2,
            formal=False,
        ),
        PersonaProfile(
            persona=Persona.NEWCOMER,
            group=Group.FAN,
            segment="new",
            fans=185,
            activity=1.0,
            networks={**_SOCIAL, "email": 0.2},
            identities=(1, 1),
            topics={"discovery": 5, "praise_song": 2, "tour_question": 1.5, "request": 0.5},
            dm_share=0.08,
            followup=0.15,
            formal=False,
        ),
        PersonaProfile(
            persona=Persona.LAPSED,
            group=Group.FAN,
            segment="lapsed",
            fans=60,
            activity=1.6,
            networks={**_SOCIAL, "email": 0.3},
            identities=(1, 2),
            topics=_FAN_TALK,
            dm_share=0.1,
            followup=0.15,
            formal=False,
        ),
        PersonaProfile(
            persona=Persona.PROMOTER,
            group=Group.INDUSTRY,
            segment="industry",
            fans=20,
            activity=1.3,
            networks={"email": 8, "instagram": 1.5, "x": 1, "facebook": 0.5},
            identities=(1, 2),
            topics={"booking": 1},
            dm_share=0.9,
            followup=0.4,
            formal=True,
        ),
        PersonaProfile(
            persona=Persona.JOURNALIST,
            group=Group.INDUSTRY,
            segment="industry",
            fans=15,
            activity=1.2,
            networks={"email": 8, "x": 1.5, "bluesky": 1, "mastodon": 0.6, "instagram": 0.6},
            identities=(1, 2),
            topics={"press": 1},
            dm_share=0.9,
            followup=0.4,
            formal=True,
        ),
        PersonaProfile(
            persona=Persona.COLLABORATOR,
            group=Group.INDUSTRY,
            segment="industry",
            fans=15,
            activity=1.0,
            networks={"email": 4, "instagram": 3, "x": 1.5, "youtube": 1, "bluesky": 0.5},
            identities=(1, 2),
            topics={"collab": 1},
            dm_share=0.85,
            followup=0.35,
            formal=True,
        ),
        PersonaProfile(
            persona=Persona.LABEL,
            group=Group.INDUSTRY,
            segment="industry",
            fans=8,
            activity=1.0,
            networks={"email": 9, "instagram": 1, "x": 0.5},
            identities=(1, 1),
            topics={"label": 1},
            dm_share=0.9,
            followup=0.35,
            formal=True,
        ),
        PersonaProfile(
            persona=Persona.TICKET_TROUBLE,
            group=Group.SUPPORT,
            segment="new",
            fans=25,
            activity=1.2,
            networks={"email": 4, "x": 2, "instagram": 2, "facebook": 1.5},
            identities=(1, 1),
            topics={"ticket_issue": 1},
            dm_share=0.55,
            followup=0.5,
            formal=False,
        ),
        PersonaProfile(
            persona=Persona.MERCH_TROUBLE,
            group=Group.SUPPORT,
            segment="new",
            fans=25,
            activity=1.2,
            networks={"email": 4, "instagram": 2, "x": 1.5, "facebook": 1.5},
            identities=(1, 1),
            topics={"merch_issue": 1},
            dm_share=0.55,
            followup=0.5,
            formal=False,
        ),
        PersonaProfile(
            persona=Persona.BROKEN_LINK,
            group=Group.SUPPORT,
            segment="new",
            fans=15,
            activity=1.0,
            networks={
                "instagram": 3,
                "x": 2,
                "youtube": 1.5,
                "facebook": 1,
                "bluesky": 1,
                "email": 1,
            },
            identities=(1, 1),
            topics={"broken_link": 1},
            dm_share=0.3,
            followup=0.3,
            formal=False,
        ),
        PersonaProfile(
            persona=Persona.TROLL,
            group=Group.TROLL,
            segment="troll",
            fans=20,
            activity=1.6,
            networks={"x": 3, "youtube": 3, "facebook": 2, "instagram": 1.5, "bluesky": 0.5},
            identities=(1, 2),
            topics={"insult": 1},
            dm_share=0.05,
            followup=0.25,
            formal=False,
        ),
        PersonaProfile(
            persona=Persona.SPAM_BOT,
            group=Group.SPAM,
            segment="bot",
            fans=32,
            activity=1.8,
            networks={
                "x": 3,
                "instagram": 3,
                "youtube": 3,
                "bluesky": 1,
                "facebook": 1,
                "email": 1.5,
            },
            identities=(1, 1),
            topics={"spam": 1},
            dm_share=0.25,
            followup=0.0,
            formal=True,
        ),
    )
}


def profile(persona: Persona) -> PersonaProfile:
    return PROFILES[persona]
