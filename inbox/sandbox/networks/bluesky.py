"""Bluesky: short mentions and replies, addressed by AT URIs.

A post is ``at://<did>/app.bsky.feed.post/<rkey>`` where the record key is a
TID (microseconds since 1970 and a clock id, in sortable base32), and is
pinned by a CID. Replies carry strong references (uri + cid) to the thread's
root and to their parent, which is why the payload here includes them: a real
connector needs both to answer. Texts are limited to 300 graphemes.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from inbox.connectors.base import ReplyTarget, SentReply
from inbox.sandbox.drafts import Draft, SandboxChannel
from inbox.sandbox.networks.base import Ids, NetworkStyle, iso_z
from inbox.sandbox.population import Fan
from inbox.sandbox.seeding import base32_sortable, base32_token, stable_hash

COLLECTION = "app.bsky.feed.post"


def tid(when: datetime, *key: object) -> str:
    micros = int(when.timestamp() * 1_000_000)
    clock_id = stable_hash("tid", *key) & 0x3FF
    return base32_sortable((micros << 10) | clock_id, 13)


def cid_for(uri: str) -> str:
    """A CID-shaped content hash for a record; derived from the URI so any side can recompute it."""
    return "bafyrei" + base32_token(52, "cid", uri)


def rkey_of(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


class BlueskyStyle(NetworkStyle):
    network = "bluesky"

    def decorate(
        self, rng: random.Random, text: str, *, channel: SandboxChannel, kind: str, fan: Fan
    ) -> str:
        mention = "@" + channel.handle.lstrip("@")
        return f"{mention} {text}" if rng.random() < 0.8 else f"{text} {mention}"

    def new_id(self, draft: Draft, channel: SandboxChannel, parent_id: str | None) -> str:
        rkey = tid(draft.created_at, channel.seed, channel.handle, draft.key)
        return f"at://{draft.identity.external_id}/{COLLECTION}/{rkey}"

    def url(self, draft: Draft, channel: SandboxChannel, external_id: str, thread_id: str) -> str:
        return f"https://bsky.app/profile/{draft.identity.handle}/post/{rkey_of(external_id)}"

    def payload(self, draft: Draft, channel: SandboxChannel, ids: Ids) -> dict[str, Any]:
        record: dict[str, Any] = {
            "$type": COLLECTION,
            "text": draft.text,
            "createdAt": iso_z(draft.created_at),
            "langs": [draft.composition.lang],
        }
        facets = _mention_facets(draft.text, channel)
        if facets:
            record["facets"] = facets
        if ids.parent_id:
            record["reply"] = {
                "root": {"uri": ids.thread_id, "cid": cid_for(ids.thread_id)},
                "parent": {"uri": ids.parent_id, "cid": cid_for(ids.parent_id)},
            }
        return {
            "uri": ids.external_id,
            "cid": cid_for(ids.external_id),
            "author": {
                "did": draft.identity.external_id,
                "handle": draft.identity.handle,
                "displayName": draft.identity.name,
            },
            "reason": "reply" if ids.parent_id else "mention",
            "record": record,
            "isRead": False,
            "indexedAt": iso_z(draft.created_at),
        }

    def sent_reply(
        self, channel: SandboxChannel, target: ReplyTarget, text: str, key: str, at: datetime
    ) -> SentReply:
        rkey = tid(at, channel.seed, channel.handle, "reply", key)
        uri = f"at://{channel.account_id}/{COLLECTION}/{rkey}"
        root = target.thread_id
        raw = {
            "uri": uri,
            "cid": cid_for(uri),
            "record": {
                "$type": COLLECTION,
                "text": text,
                "createdAt": iso_z(at),
                "reply": {
                    "root": {"uri": root, "cid": target.root_raw.get("cid") or cid_for(root)},
                    "parent": {
                        "uri": target.parent_external_id,
                        "cid": target.parent_raw.get("cid") or cid_for(target.parent_external_id),
                    },
                },
            },
        }
        url = f"https://bsky.app/profile/{channel.handle.lstrip('@')}/post/{rkey}"
        return SentReply(uri, at, url, raw)


def _mention_facets(text: str, channel: SandboxChannel) -> list[dict[str, Any]]:
    """Bluesky marks mentions by UTF-8 byte offsets, not characters."""
    mention = "@" + channel.handle.lstrip("@")
    start = text.find(mention)
    if start < 0:
        return []
    byte_start = len(text[:start].encode("utf-8"))
    return [
        {
            "index": {
                "byteStart": byte_start,
                "byteEnd": byte_start + len(mention.encode("utf-8")),
            },
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": channel.account_id}],
        }
    ]
