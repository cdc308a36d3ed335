"""Turning "someone writes now" into a finished :class:`Draft` on one channel.

Both the live timeline and the bulk import generator use this: they decide
*when* messages happen and which earlier thread a message continues; the
writer decides *who* writes, *what* kind of message it is on this network, and
*what* it says.
"""

from __future__ import annotations

import random
from datetime import datetime

from inbox.sandbox.catalogue import pick_post
from inbox.sandbox.compose import compose_chime_in, compose_followup, compose_opening
from inbox.sandbox.drafts import Draft, SandboxChannel
from inbox.sandbox.networks import NetworkStyle
from inbox.sandbox.personas import Group, Persona
from inbox.sandbox.population import Population

CHIME_IN_SHARE = 0.35  # under a post, the share of continuations written by another fan
# A persona's ``followup`` chance is relative to this: at or above it, a person always comes back.
FOLLOWUP_SCALE = 0.3


class Writer:
    def __init__(
        self, channel: SandboxChannel, population: Population, style: NetworkStyle
    ) -> None:
        self.channel = channel
        self.population = population
        self.style = style

    def opening(self, key: str, at: datetime, rng: random.Random, *, allow_lapsed: bool) -> Draft:
        """A first message: a comment under a post, a mention, a DM or a mail."""
        channel, network, style = self.channel, self.channel.network, self.style
        fan = self.population.pick(rng, network, allow_lapsed=allow_lapsed)
        kind = style.opening_kind(rng, fan)
        post = None
        if kind == "comment":
            post = pick_post(rng, channel.seed, network, channel.handle, channel.artist, at)
        composition = compose_opening(
            rng,
            fan,
            artist=channel.artist,
            network=network,
            kind=kind,
            when=at,
            song=post.song if post else None,
        )
        text = style.decorate(rng, composition.text, channel=channel, kind=kind, fan=fan)
        return Draft(
            key=key,
            created_at=at,
            fan=fan,
            identity=fan.identities[network],
            kind=kind,
            text=style.fit(text),
            composition=composition,
            post=post,
        )

    def continuation(
        self, key: str, at: datetime, rng: random.Random, first: Draft
    ) -> Draft | None:
        """A later message in ``first``'s thread, or None if nobody would write one.

        Under a post another fan may chime in; otherwise the thread's author comes
        back, as often as their persona does (a fan waiting for a refund nearly
        always, a newcomer rarely). Spam bots never hold a conversation.
        """
        if first.fan.persona == Persona.SPAM_BOT:
            return None
        channel, network, style = self.channel, self.channel.network, self.style
        if style.comments and first.kind == "comment" and rng.random() < CHIME_IN_SHARE:
            other = self.population.pick_where(rng, network, (Group.FAN,))
            if other is not None and other is not first.fan:
                composition = compose_chime_in(
                    rng,
                    other,
                    artist=channel.artist,
                    network=network,
                    when=at,
                    first=first.composition,
                )
                return Draft(
                    key=key,
                    created_at=at,
                    fan=other,
                    identity=other.identities[network],
                    kind=first.kind,
                    text=style.fit(composition.text),
                    composition=composition,
                    role="chime_in",
                    post=first.post,
                    first=first,
                )
        if rng.random() >= min(1.0, first.fan.profile.followup / FOLLOWUP_SCALE):
            return None
        kind = style.followup_kind(first.kind)
        composition = compose_followup(
            rng,
            first.fan,
            artist=channel.artist,
            network=network,
            kind=kind,
            when=at,
            first=first.composition,
            first_when=first.created_at,
        )
        text = style.decorate(rng, composition.text, channel=channel, kind=kind, fan=first.fan)
        return Draft(
            key=key,
            created_at=at,
            fan=first.fan,
            identity=first.identity,
            kind=kind,
            text=style.fit(text),
            composition=composition,
            role="followup",
            post=first.post,
            first=first,
        )
