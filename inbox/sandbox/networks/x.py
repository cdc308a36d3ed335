"""X (Twitter): short mentions with @handles and hashtags, replies, and DMs.

Ids are snowflakes: milliseconds since X's epoch in the high bits, so they sort
by time like the real ones. A DM conversation between two accounts is
"<smaller id>-<larger id>", so all DMs with one fan share a thread.
"""

from __future__ import annotations

import random
import re
from datetime import datetime
from typing import Any

from inbox.connectors.base import ReplyTarget, SentReply
from inbox.sandbox.drafts import Draft, SandboxChannel
from inbox.sandbox.networks.base import Ids, NetworkStyle, iso_z
from inbox.sandbox.population import Fan
from inbox.sandbox.seeding import stable_hash

X_EPOCH_MS = 1288834974657
_MENTION = re.compile(r"@(\w{1,15})")
_HASHTAG = re.compile(r"#(\w+)")


def snowflake(when: datetime, *key: object) -> str:
    millis = int(when.timestamp() * 1000) - X_EPOCH_MS
    return str((millis << 22) | (stable_hash("x-snowflake", *key) & 0x3FFFFF))


class XStyle(NetworkStyle):
    network = "x"
    direct_messages = True

    def decorate(
        self, rng: random.Random, text: str, *, channel: SandboxChannel, kind: str, fan: Fan
    ) -> str:
        if kind == "dm":
            return text
        mention = "@" + channel.handle.lstrip("@")
        text = f"{mention} {text}" if rng.random() < 0.75 else f"{text} {mention}"
        if not fan.profile.formal and rng.random() < 0.15:
            text = f"{text} #{rng.choice(channel.artist.hashtags)}"
        return text

    def new_id(self, draft: Draft, channel: SandboxChannel, parent_id: str | None) -> str:
        return snowflake(draft.created_at, channel.seed, channel.handle, draft.key)

    def dm_thread(self, draft: Draft, channel: SandboxChannel, external_id: str) -> str:
        return conversation_id(draft.identity.external_id, channel.account_id)

    def url(self, draft: Draft, channel: SandboxChannel, external_id: str, thread_id: str) -> str:
        if draft.kind == "dm":
            return f"https://x.com/messages/{thread_id}"
        return f"https://x.com/{draft.identity.handle}/status/{external_id}"

    def payload(self, draft: Draft, channel: SandboxChannel, ids: Ids) -> dict[str, Any]:
        user = {
            "id": draft.identity.external_id,
            "name": draft.identity.name,
            "username": draft.identity.handle,
            "public_metrics": {
                "followers_count": draft.identity.followers,
                "following_count": draft.identity.following,
            },
        }
        if draft.kind == "dm":
            return {
                "id": ids.external_id,
                "event_type": "MessageCreate",
                "text": draft.text,
                "sender_id": draft.identity.external_id,
                "dm_conversation_id": ids.thread_id,
                "created_at": iso_z(draft.created_at),
                "includes": {"users": [user]},
            }
        data: dict[str, Any] = {
            "id": ids.external_id,
            "text": draft.text,
            "author_id": draft.identity.external_id,
            "created_at": iso_z(draft.created_at),
            "conversation_id": ids.thread_id,
            "lang": draft.composition.lang,
            "edit_history_tweet_ids": [ids.external_id],
            "entities": entities(draft.text, channel),
            "public_metrics": {
                "retweet_count": 0,
                "reply_count": 0,
                "like_count": stable_hash(ids.external_id) % 12,
                "quote_count": 0,
            },
        }
        if ids.parent_id:
            data["referenced_tweets"] = [{"type": "replied_to", "id": ids.parent_id}]
            data["in_reply_to_user_id"] = (
                channel.account_id if draft.role == "answer" else draft.identity.external_id
            )
        return {"data": data, "includes": {"users": [user]}}

    def sent_reply(
        self, channel: SandboxChannel, target: ReplyTarget, text: str, key: str, at: datetime
    ) -> SentReply:
        external_id = snowflake(at, channel.seed, channel.handle, "reply", key)
        if target.kind == "dm":
            event = {"dm_conversation_id": target.thread_id, "dm_event_id": external_id}
            return SentReply(external_id, at, f"https://x.com/messages/{target.thread_id}", event)
        raw: dict[str, Any] = {
            "data": {
                "id": external_id,
                "text": text,
                "edit_history_tweet_ids": [external_id],
                "author_id": channel.account_id,
                "conversation_id": target.thread_id,
                "referenced_tweets": [{"type": "replied_to", "id": target.parent_external_id}],
                "created_at": iso_z(at),
            }
        }
        url = f"https://x.com/{channel.handle.lstrip('@')}/status/{external_id}"
        return SentReply(external_id, at, url, raw)


def conversation_id(a: str, b: str) -> str:
    """X names a one-to-one DM conversation by its two user ids, smaller first."""
    first, second = sorted((a, b), key=lambda v: (len(v), v))
    return f"{first}-{second}"


def entities(text: str, channel: SandboxChannel) -> dict[str, list[dict[str, Any]]]:
    own = channel.handle.lstrip("@").lower()
    mentions = []
    for m in _MENTION.finditer(text):
        mention: dict[str, Any] = {"start": m.start(), "end": m.end(), "username": m.group(1)}
        if m.group(1).lower() == own:
            mention["id"] = channel.account_id
        mentions.append(mention)
    hashtags = [
        {"start": m.start(), "end": m.end(), "tag": m.group(1)} for m in _HASHTAG.finditer(text)
    ]
    out: dict[str, list[dict[str, Any]]] = {}
    if mentions:
        out["mentions"] = mentions
    if hashtags:
        out["hashtags"] = hashtags
    return out
