"""YouTube: longer comments under the artist's videos, and replies to them.

Shaped like the Data API v3: a top-level comment arrives as a
``youtube#commentThread`` wrapping a ``youtube#comment``; its id looks like
``Ugz…4AaABAg``. A reply is a ``youtube#comment`` with ``parentId`` and an id
of ``<parent id>.<22 characters>``. There are no DMs on YouTube.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from inbox.connectors.base import ReplyTarget, SentReply, ThreadContext
from inbox.sandbox.catalogue import Post
from inbox.sandbox.drafts import Draft, SandboxChannel
from inbox.sandbox.networks.base import Ids, NetworkStyle, iso_seconds_z
from inbox.sandbox.population import Identity
from inbox.sandbox.seeding import base64url_token, stable_hash


def video_id(channel: SandboxChannel, post: Post) -> str:
    return base64url_token(11, "yt-video", channel.seed, channel.handle, post.index)


def comment_id(parent_id: str | None, *key: object) -> str:
    if parent_id:
        return f"{parent_id}.{base64url_token(22, 'yt-reply', *key)}"
    prefix = ("Ugz", "Ugw", "Ugx", "Ugy")[stable_hash("yt-prefix", *key) % 4]
    return f"{prefix}{base64url_token(16, 'yt-comment', *key)}4AaABAg"


class YouTubeStyle(NetworkStyle):
    network = "youtube"
    comments = True
    opening = "comment"

    def new_id(self, draft: Draft, channel: SandboxChannel, parent_id: str | None) -> str:
        # Replies hang off the top-level comment, never off another reply.
        top = parent_id.split(".", 1)[0] if parent_id else None
        return comment_id(top, channel.seed, channel.handle, draft.key)

    def url(self, draft: Draft, channel: SandboxChannel, external_id: str, thread_id: str) -> str:
        root = draft.first or draft
        if root.post is None:
            return f"https://www.youtube.com/{channel.handle}"
        return f"https://www.youtube.com/watch?v={video_id(channel, root.post)}&lc={external_id}"

    def context(self, draft: Draft, channel: SandboxChannel) -> ThreadContext | None:
        if draft.post is None:
            return None
        url = f"https://www.youtube.com/watch?v={video_id(channel, draft.post)}"
        return ThreadContext(title=draft.post.title, url=url)

    def payload(self, draft: Draft, channel: SandboxChannel, ids: Ids) -> dict[str, Any]:
        root = draft.first or draft
        vid = video_id(channel, root.post) if root.post is not None else None
        comment = _comment(ids.external_id, draft.text, draft.identity, draft.created_at, vid)
        if ids.parent_id:
            comment["snippet"]["parentId"] = ids.parent_id.split(".", 1)[0]
            return comment
        return {
            "kind": "youtube#commentThread",
            "id": ids.external_id,
            "snippet": {
                "channelId": channel.account_id,
                "videoId": vid,
                "topLevelComment": comment,
                "canReply": True,
                "totalReplyCount": 0,
                "isPublic": True,
            },
        }

    def sent_reply(
        self, channel: SandboxChannel, target: ReplyTarget, text: str, key: str, at: datetime
    ) -> SentReply:
        top = target.thread_id.split(".", 1)[0]
        external_id = comment_id(top, channel.seed, channel.handle, "reply", key)
        raw = {
            "kind": "youtube#comment",
            "id": external_id,
            "snippet": {
                "parentId": top,
                "textOriginal": text,
                "authorChannelId": {"value": channel.account_id},
                "publishedAt": iso_seconds_z(at),
            },
        }
        return SentReply(external_id, at, None, raw)


def _comment(
    external_id: str, text: str, identity: Identity, at: datetime, vid: str | None
) -> dict[str, Any]:
    return {
        "kind": "youtube#comment",
        "id": external_id,
        "snippet": {
            "videoId": vid,
            "textDisplay": text,
            "textOriginal": text,
            "authorDisplayName": identity.handle,
            "authorChannelUrl": identity.profile_url,
            "authorChannelId": {"value": identity.external_id},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": stable_hash(external_id) % 60,
            "publishedAt": iso_seconds_z(at),
            "updatedAt": iso_seconds_z(at),
        },
    }
