"""Instagram: emoji-heavy comments under the artist's posts, replies to them, and DMs.

Shaped like the Instagram Graph API: a comment has a numeric id, ``text``,
``timestamp`` ("+0000" offset), ``from`` and the ``media`` it is on; a reply
carries ``parent_id``. DMs are Messenger-platform events with a ``mid``; one
conversation per fan, like the app's inbox. Fans tag friends in comments.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from inbox.connectors.base import ReplyTarget, SentReply, ThreadContext
from inbox.sandbox import handles
from inbox.sandbox.catalogue import Post
from inbox.sandbox.drafts import Draft, SandboxChannel
from inbox.sandbox.networks.base import Ids, NetworkStyle, iso_offset
from inbox.sandbox.population import Fan
from inbox.sandbox.seeding import base64url_token, digits_token, stable_hash


def media_id(channel: SandboxChannel, post: Post) -> str:
    return "179" + digits_token(14, "ig-media", channel.seed, channel.handle, post.index)


def shortcode(channel: SandboxChannel, post: Post) -> str:
    return base64url_token(11, "ig-shortcode", channel.seed, channel.handle, post.index)


def comment_id(when: datetime, *key: object) -> str:
    # Time-ordered like the real ones: seconds, then a per-comment discriminator.
    return f"18{int(when.timestamp()):010d}{stable_hash('ig-comment', *key) % 100000:05d}"


class InstagramStyle(NetworkStyle):
    network = "instagram"
    comments = True
    direct_messages = True
    opening = "comment"

    def decorate(
        self, rng: random.Random, text: str, *, channel: SandboxChannel, kind: str, fan: Fan
    ) -> str:
        if kind == "comment" and not fan.profile.formal and rng.random() < 0.12:
            culture = fan.culture
            friend = handles.person_handle(
                rng, rng.choice(culture.first_names), rng.choice(culture.last_names), 1990
            )
            return f"@{handles.for_network('instagram', friend)} {text}"
        return text

    def new_id(self, draft: Draft, channel: SandboxChannel, parent_id: str | None) -> str:
        if draft.kind == "dm":
            return "aWdfZAG" + base64url_token(
                40, "ig-mid", channel.seed, channel.handle, draft.key
            )
        return comment_id(draft.created_at, channel.seed, channel.handle, draft.key)

    def dm_thread(self, draft: Draft, channel: SandboxChannel, external_id: str) -> str:
        return thread_for(draft.identity.external_id, channel)

    def url(self, draft: Draft, channel: SandboxChannel, external_id: str, thread_id: str) -> str:
        if draft.kind == "dm":
            return f"https://www.instagram.com/direct/t/{thread_id}/"
        root = draft.first or draft
        if root.post is None:
            return f"https://www.instagram.com/{channel.handle}/"
        return f"https://www.instagram.com/p/{shortcode(channel, root.post)}/c/{external_id}/"

    def context(self, draft: Draft, channel: SandboxChannel) -> ThreadContext | None:
        if draft.post is None:
            return None
        url = f"https://www.instagram.com/p/{shortcode(channel, draft.post)}/"
        return ThreadContext(title=draft.post.title, url=url)

    def payload(self, draft: Draft, channel: SandboxChannel, ids: Ids) -> dict[str, Any]:
        if draft.kind == "dm":
            return {
                "sender": {"id": draft.identity.external_id},
                "recipient": {"id": channel.account_id},
                "timestamp": int(draft.created_at.timestamp() * 1000),
                "message": {"mid": ids.external_id, "text": draft.text},
            }
        root = draft.first or draft
        out: dict[str, Any] = {
            "id": ids.external_id,
            "text": draft.text,
            "timestamp": iso_offset(draft.created_at),
            "username": draft.identity.handle,
            "from": {"id": draft.identity.external_id, "username": draft.identity.handle},
            "like_count": stable_hash(ids.external_id) % 40,
            "hidden": False,
        }
        if root.post is not None:
            out["media"] = {"id": media_id(channel, root.post), "media_product_type": "FEED"}
        if ids.parent_id:
            out["parent_id"] = ids.parent_id
        return out

    def sent_reply(
        self, channel: SandboxChannel, target: ReplyTarget, text: str, key: str, at: datetime
    ) -> SentReply:
        if target.kind == "dm":
            mid = "aWdfZAG" + base64url_token(
                40, "ig-mid", channel.seed, channel.handle, "reply", key
            )
            raw = {
                "recipient_id": target.parent_author.external_id if target.parent_author else None,
                "message_id": mid,
            }
            return SentReply(
                mid, at, f"https://www.instagram.com/direct/t/{target.thread_id}/", raw
            )
        external_id = comment_id(at, channel.seed, channel.handle, "reply", key)
        raw = {
            "id": external_id,
            "text": text,
            "timestamp": iso_offset(at),
            "parent_id": target.thread_id,
            "username": channel.handle,
        }
        return SentReply(external_id, at, None, raw)


def thread_for(fan_account: str, channel: SandboxChannel) -> str:
    """The id of the one DM conversation between a fan and the artist."""
    return "340282366841710300949128" + digits_token(
        14, "ig-thread", channel.seed, channel.handle, fan_account
    )
