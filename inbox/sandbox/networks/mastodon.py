"""Mastodon: mentions of ``@artist@server``, replies, and direct (private) mentions.

Shaped like a ``mention`` notification from ``GET /api/v1/notifications``: the
status ``content`` is HTML with an ``h-card`` mention link, which is what the
network sends; the item's ``text`` is the plain-text version a person reads.
Ids are Mastodon snowflakes (milliseconds since 1970 shifted left by 16).
"""

from __future__ import annotations

import html
import random
from datetime import datetime
from typing import Any

from inbox.connectors.base import ReplyTarget, SentReply
from inbox.sandbox.drafts import Draft, SandboxChannel
from inbox.sandbox.networks.base import Ids, NetworkStyle, iso_z
from inbox.sandbox.population import Fan
from inbox.sandbox.seeding import stable_hash


def status_id(when: datetime, *key: object) -> str:
    millis = int(when.timestamp() * 1000)
    return str((millis << 16) | (stable_hash("masto-status", *key) & 0xFFFF))


def split_acct(handle: str) -> tuple[str, str]:
    """'neons@mastodon.social' -> ('neons', 'mastodon.social')."""
    user, _, server = handle.lstrip("@").partition("@")
    return user, server or "mastodon.social"


class MastodonStyle(NetworkStyle):
    network = "mastodon"
    direct_messages = True

    def decorate(
        self, rng: random.Random, text: str, *, channel: SandboxChannel, kind: str, fan: Fan
    ) -> str:
        # On Mastodon the mention *is* the address, DMs included; it always comes first.
        return f"@{channel.handle.lstrip('@')} {text}"

    def new_id(self, draft: Draft, channel: SandboxChannel, parent_id: str | None) -> str:
        return status_id(draft.created_at, channel.seed, channel.handle, draft.key)

    def url(self, draft: Draft, channel: SandboxChannel, external_id: str, thread_id: str) -> str:
        user, server = split_acct(draft.identity.handle)
        return f"https://{server}/@{user}/{external_id}"

    def payload(self, draft: Draft, channel: SandboxChannel, ids: Ids) -> dict[str, Any]:
        user, server = split_acct(draft.identity.handle)
        own_user, own_server = split_acct(channel.handle)
        account = {
            "id": draft.identity.external_id,
            "username": user,
            "acct": draft.identity.handle,
            "display_name": draft.identity.name,
            "url": draft.identity.profile_url,
            "followers_count": draft.identity.followers,
            "following_count": draft.identity.following,
            "bot": False,
        }
        status: dict[str, Any] = {
            "id": ids.external_id,
            "created_at": iso_z(draft.created_at),
            "in_reply_to_id": ids.parent_id,
            "in_reply_to_account_id": (
                channel.account_id
                if draft.role == "answer"
                else draft.identity.external_id
                if ids.parent_id
                else None
            ),
            "visibility": "direct" if draft.kind == "dm" else "public",
            "language": draft.composition.lang,
            "uri": f"https://{server}/users/{user}/statuses/{ids.external_id}",
            "url": ids.url,
            "content": _content_html(draft.text, own_user, own_server),
            "mentions": [
                {
                    "id": channel.account_id,
                    "username": own_user,
                    "acct": f"{own_user}@{own_server}",
                    "url": f"https://{own_server}/@{own_user}",
                }
            ],
            "account": account,
        }
        return {
            "id": str(stable_hash("masto-notification", ids.external_id) % 10**8),
            "type": "mention",
            "created_at": iso_z(draft.created_at),
            "account": account,
            "status": status,
        }

    def sent_reply(
        self, channel: SandboxChannel, target: ReplyTarget, text: str, key: str, at: datetime
    ) -> SentReply:
        external_id = status_id(at, channel.seed, channel.handle, "reply", key)
        user, server = split_acct(channel.handle)
        url = f"https://{server}/@{user}/{external_id}"
        raw = {
            "id": external_id,
            "created_at": iso_z(at),
            "in_reply_to_id": target.parent_external_id,
            "visibility": "direct" if target.kind == "dm" else "public",
            "url": url,
            "content": f"<p>{html.escape(text)}</p>",
        }
        return SentReply(external_id, at, url, raw)


def _content_html(text: str, own_user: str, own_server: str) -> str:
    """The status as Mastodon renders it: the mention becomes an h-card link."""
    mention = f"@{own_user}@{own_server}"
    link = (
        f'<span class="h-card" translate="no"><a href="https://{own_server}/@{own_user}" '
        f'class="u-url mention">@<span>{html.escape(own_user)}</span></a></span>'
    )
    paragraphs = []
    for block in text.split("\n\n"):
        escaped = html.escape(block).replace("\n", "<br>")
        paragraphs.append(f"<p>{escaped.replace(html.escape(mention), link)}</p>")
    return "".join(paragraphs)
