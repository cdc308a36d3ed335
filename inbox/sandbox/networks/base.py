"""What every network style does, and the shared mechanics of ids and threads.

A style knows one network's conventions: which kinds of message exist there
(comments under posts, mentions, DMs, mail), how ids and links look, and how
its API would shape the JSON. It turns a :class:`Draft` into the
:class:`IncomingItem` a real connector for that network would produce, and
the artist's reply into a :class:`SentReply`.

Threads work the same everywhere: an opening message starts a thread whose id
is its own id (or, for DMs, the conversation's id); follow-ups and chime-ins
take the thread of the message they answer; answers to the artist's reply take
the ids the reply target gave.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from inbox.connectors.base import Author, IncomingItem, ReplyTarget, SentReply, ThreadContext
from inbox.limits import check_length
from inbox.sandbox.drafts import Draft, SandboxChannel
from inbox.sandbox.population import Fan, Identity

# Where each network's profile keeps the person's own words.
BIO_FIELD = {
    "x": "description",
    "bluesky": "description",
    "mastodon": "note",
    "instagram": "biography",
    "youtube": "description",
    "facebook": "about",
}


@dataclass(frozen=True, slots=True)
class Ids:
    external_id: str
    thread_id: str
    parent_id: str | None
    url: str | None


class NetworkStyle(ABC):
    network: ClassVar[str]
    comments: ClassVar[bool] = False  # fans' threads hang off the artist's posts
    direct_messages: ClassVar[bool] = False
    opening: ClassVar[str] = "mention"  # the kind of a public first message

    # -- writing ---------------------------------------------------------------

    def opening_kind(self, rng: random.Random, fan: Fan) -> str:
        if self.direct_messages and rng.random() < fan.profile.dm_share:
            return "dm"
        return self.opening

    def followup_kind(self, first_kind: str) -> str:
        """A fan coming back to a mention replies to it; DMs, comments and mail stay what they are."""
        return "reply" if first_kind == "mention" else first_kind

    def decorate(
        self, rng: random.Random, text: str, *, channel: SandboxChannel, kind: str, fan: Fan
    ) -> str:
        """Add what the network needs to route the message to the artist (an @mention)."""
        return text

    def fit(self, text: str) -> str:
        """``text`` cut at a word boundary if it is longer than the network allows."""
        if len(text) <= 140:  # within every network's limit however it counts
            return text
        count, limit = check_length(self.network, text)
        if count <= limit.max:
            return text
        cut = text
        while check_length(self.network, cut + "…")[0] > limit.max and " " in cut:
            cut = cut[: cut.rstrip().rfind(" ")]
        return cut.rstrip(" ,;:") + "…"

    # -- ids -------------------------------------------------------------------

    @abstractmethod
    def new_id(self, draft: Draft, channel: SandboxChannel, parent_id: str | None) -> str:
        """The network's id for the message (may embed its parent's, as YouTube's do)."""

    @abstractmethod
    def url(
        self, draft: Draft, channel: SandboxChannel, external_id: str, thread_id: str
    ) -> str | None:
        """Where the message can be seen on the network."""

    def dm_thread(self, draft: Draft, channel: SandboxChannel, external_id: str) -> str:
        """The conversation a DM belongs to; by default each first DM starts one."""
        return external_id

    def ids(self, draft: Draft, channel: SandboxChannel) -> Ids:
        if draft.role == "answer":
            thread_id = draft.thread_id or ""
            parent_id = draft.parent_id
            external_id = self.new_id(draft, channel, parent_id)
        elif draft.first is not None:
            first = self.ids(draft.first, channel)
            thread_id = first.thread_id
            parent_id = None if draft.kind == "dm" else first.external_id
            external_id = self.new_id(draft, channel, parent_id)
        else:
            parent_id = None
            external_id = self.new_id(draft, channel, None)
            thread_id = external_id
            if draft.kind == "dm":
                thread_id = self.dm_thread(draft, channel, external_id)
        return Ids(
            external_id, thread_id, parent_id, self.url(draft, channel, external_id, thread_id)
        )

    # -- payloads --------------------------------------------------------------

    @abstractmethod
    def payload(self, draft: Draft, channel: SandboxChannel, ids: Ids) -> dict[str, Any]:
        """The item as the network's API would return it (trimmed to the useful fields)."""

    def context(self, draft: Draft, channel: SandboxChannel) -> ThreadContext | None:
        """The post or video a comment hangs off."""
        return None

    def author(self, identity: Identity) -> Author:
        return Author(
            external_id=identity.external_id,
            handle=identity.handle,
            name=identity.name,
            avatar_url=None,
            profile_url=identity.profile_url,
            profile={
                "followers": identity.followers,
                "following": identity.following,
                "joined": identity.joined_year,
                **({BIO_FIELD.get(self.network, "bio"): identity.bio} if identity.bio else {}),
            },
        )

    def item(self, draft: Draft, channel: SandboxChannel) -> IncomingItem:
        ids = self.ids(draft, channel)
        raw = self.payload(draft, channel, ids)
        raw["sandbox"] = truth(draft)
        root = draft.first or draft
        return IncomingItem(
            external_id=ids.external_id,
            text=draft.text,
            created_at=draft.created_at,
            author=self.author(draft.identity),
            kind=draft.kind,
            thread_id=ids.thread_id,
            parent_id=ids.parent_id,
            url=ids.url,
            context=self.context(root, channel),
            subject=draft.subject,
            html=draft.composition.html,
            lang=draft.composition.lang,
            raw=raw,
        )

    def line(self, draft: Draft, channel: SandboxChannel) -> dict[str, Any]:
        """The message in the project's JSON Lines import format."""
        ids = self.ids(draft, channel)
        out: dict[str, Any] = {
            "network": self.network,
            "channel": channel.handle,
            "external_id": ids.external_id,
            "text": draft.text,
            "created_at": draft.created_at.isoformat(),
            "author": {
                "external_id": draft.identity.external_id,
                "handle": draft.identity.handle,
                "name": draft.identity.name,
            },
            "thread_id": ids.thread_id,
            "kind": draft.kind,
            "lang": draft.composition.lang,
        }
        if ids.parent_id:
            out["parent_id"] = ids.parent_id
        if ids.url:
            out["url"] = ids.url
        if draft.subject:
            out["subject"] = draft.subject
        return out

    # -- the artist's replies --------------------------------------------------

    @abstractmethod
    def sent_reply(
        self, channel: SandboxChannel, target: ReplyTarget, text: str, key: str, at: datetime
    ) -> SentReply:
        """What the network answers when the artist's reply is posted."""

    def answer_kind(self, target_kind: str) -> str:
        return self.followup_kind(target_kind)


def truth(draft: Draft) -> dict[str, Any]:
    """What the sandbox knows and the CRM has to work out: kept in ``raw`` for evaluation."""
    return {
        "persona": draft.fan.persona.value,
        "segment": draft.fan.profile.segment,
        "topic": draft.composition.topic,
        "lang": draft.composition.lang,
        "fan": draft.fan.index,
        "role": draft.role,
    }


def iso_z(when: datetime) -> str:
    """'2025-03-14T18:02:11.000Z', as X and Bluesky write times."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def iso_offset(when: datetime) -> str:
    """'2025-03-14T18:02:11+0000', as the Facebook and Instagram Graph API write times."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def iso_seconds_z(when: datetime) -> str:
    """'2025-03-14T18:02:11Z', as YouTube writes times."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
