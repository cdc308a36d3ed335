"""Email: long messages with a subject, threaded by Message-ID.

A thread's id is the Message-ID of its first mail; replies carry
``In-Reply-To`` and ``References`` like any mail client writes them. The
payload is the parsed message (headers, plain text, sometimes an HTML
alternative). Mail has no public link, so items have no ``url``.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime
from typing import Any

from inbox.connectors.base import Author, ReplyTarget, SentReply
from inbox.sandbox.drafts import Draft, SandboxChannel
from inbox.sandbox.networks.base import Ids, NetworkStyle
from inbox.sandbox.population import Identity
from inbox.sandbox.seeding import base32_token, base64url_token, stable_hash

_MAILERS = (
    "Apple Mail (2.3774)",
    "Mozilla Thunderbird 128.3",
    "Microsoft Outlook 16.0",
    "Roundcube Webmail/1.6",
    "Gmail",
)


def message_id(sender: str, *key: object) -> str:
    """A Message-ID in the style of the sender's mail provider."""
    domain = sender.rpartition("@")[2] or "localhost"
    if domain == "gmail.com":
        return f"<CA{base64url_token(42, 'mid', *key)}@mail.gmail.com>"
    if domain.startswith(("outlook.", "hotmail.", "live.")):
        return f"<{base32_token(20, 'mid', *key).upper()}@PR3P192MB0{stable_hash('mid', *key) % 1000:03d}.EURP192.PROD.OUTLOOK.COM>"
    return f"<{base32_token(24, 'mid', *key)}@{domain}>"


class MailStyle(NetworkStyle):
    network = "email"
    opening = "email"

    def opening_kind(self, rng: Any, fan: Any) -> str:
        return "email"

    def followup_kind(self, first_kind: str) -> str:
        return "email"

    def new_id(self, draft: Draft, channel: SandboxChannel, parent_id: str | None) -> str:
        return message_id(draft.identity.handle, channel.seed, channel.handle, draft.key)

    def url(self, draft: Draft, channel: SandboxChannel, external_id: str, thread_id: str) -> None:
        return None

    def author(self, identity: Identity) -> Author:
        return Author(
            external_id=identity.external_id,
            handle=identity.handle,
            name=identity.name,
            avatar_url=None,
            profile_url=None,
        )

    def payload(self, draft: Draft, channel: SandboxChannel, ids: Ids) -> dict[str, Any]:
        references = []
        if ids.parent_id:
            references = (
                [ids.thread_id]
                if ids.thread_id == ids.parent_id
                else [ids.thread_id, ids.parent_id]
            )
        headers = {
            "MIME-Version": "1.0",
            "Content-Type": (
                "multipart/alternative" if draft.composition.html else "text/plain; charset=UTF-8"
            ),
            "X-Mailer": _MAILERS[stable_hash(draft.identity.handle) % len(_MAILERS)],
        }
        out: dict[str, Any] = {
            "message_id": ids.external_id,
            "in_reply_to": ids.parent_id,
            "references": references,
            "from": {"name": draft.identity.name, "address": draft.identity.handle},
            "to": [{"name": channel.display_name, "address": channel.handle}],
            "subject": draft.subject or "",
            "date": format_datetime(draft.created_at),
            "headers": headers,
            "text": draft.text,
        }
        if draft.composition.html:
            out["html"] = draft.composition.html
        return out

    def sent_reply(
        self, channel: SandboxChannel, target: ReplyTarget, text: str, key: str, at: datetime
    ) -> SentReply:
        external_id = message_id(channel.handle, channel.seed, channel.handle, "reply", key)
        to = target.parent_author.handle if target.parent_author else ""
        references = [target.thread_id]
        if target.parent_external_id != target.thread_id:
            references.append(target.parent_external_id)
        raw = {
            "message_id": external_id,
            "in_reply_to": target.parent_external_id,
            "references": references,
            "from": {"name": channel.display_name, "address": channel.handle},
            "to": [{"address": to}],
            "subject": target.subject or "",
            "date": format_datetime(at),
            "text": text,
        }
        return SentReply(external_id, at, None, raw)
