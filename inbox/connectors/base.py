"""The one small interface every network connector implements.

A connector knows how to talk to one network and nothing about the database:
it turns the network's payloads into :class:`IncomingItem` values, and turns a
person's reply into the network's API call. The sync pipeline
(:mod:`inbox.pipeline`) does the rest (de-duplicate, thread, identity, classify,
store) the same way for every network.

Errors are raised as the exceptions below, so the scheduler can tell "try
again later" from "a person must reconnect this account" without knowing any
network's error codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, runtime_checkable

# Message kinds, as stored (see models.conversation.MessageKind).
KINDS = ("mention", "comment", "reply", "dm", "email")


@dataclass(frozen=True, slots=True)
class Author:
    """A person's account on the network, as the network describes it."""

    external_id: str
    handle: str
    name: str = ""
    avatar_url: str | None = None
    profile_url: str | None = None
    profile: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ThreadContext:
    """What a thread hangs off: the artist's post or video that fans comment on."""

    title: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class IncomingItem:
    """One message as a network delivered it, normalised.

    ``thread_id`` is the network's key for the conversation (root post id, the
    Message-ID of an email thread's first mail, the DM conversation id); items
    with the same ``thread_id`` on a channel land in the same conversation.
    An item whose author is the channel's own account is outbound.
    """

    external_id: str
    text: str
    created_at: datetime  # timezone-aware
    author: Author
    kind: str = "mention"  # one of KINDS
    thread_id: str | None = None  # defaults to the item's own id (it starts a thread)
    parent_id: str | None = None
    url: str | None = None
    context: ThreadContext | None = None
    subject: str | None = None
    html: str | None = None
    lang: str | None = None
    media: tuple[Mapping[str, Any], ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)
    edited_at: datetime | None = None
    deleted: bool = False  # the network says this item was removed


@dataclass(slots=True)
class FetchResult:
    """A page of items and the cursor to store with them (in the same transaction)."""

    items: list[IncomingItem]
    cursor: dict[str, Any] | None
    has_more: bool = False
    # Items the connector could not parse: (reason, raw payload). Logged and skipped.
    malformed: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ReplyTarget:
    """Where a reply goes: the thread and the message it answers."""

    thread_id: str
    parent_external_id: str  # the message being answered
    parent_author: Author | None = None
    subject: str | None = None
    kind: str = "mention"
    # The parent's raw payload, for networks that need more than an id to reply
    # (Bluesky's root/parent refs with CIDs, email's Message-ID and References).
    parent_raw: Mapping[str, Any] = field(default_factory=dict)
    root_raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SentReply:
    external_id: str
    created_at: datetime
    url: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MediaFile:
    """An image to post with the text, already checked (:mod:`inbox.images`): its real
    type, size and alt text. ``sha256`` names it (never the uploader's file name)."""

    data: bytes
    content_type: str
    alt: str
    width: int
    height: int
    sha256: str

    @property
    def filename(self) -> str:
        """A name for multipart uploads that need one: the hash, and the type's extension."""
        ext = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}
        return f"{self.sha256[:32]}.{ext.get(self.content_type, 'bin')}"


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    """What a connector is built from: never an ORM object, so jobs stay reloadable."""

    channel_id: int
    network: str
    handle: str
    external_id: str | None
    credentials: Mapping[str, Any]
    base_url: str | None = None
    state: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)


class ConnectorError(Exception):
    """Something went wrong talking to the network."""


class TransientError(ConnectorError):
    """Try again later (timeouts, 5xx, cut-off bodies). ``retry_after`` in seconds if known."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(TransientError):
    """The network asked us to slow down; ``retry_after`` comes from its headers."""


class AuthError(ConnectorError):
    """Credentials were revoked or expired: the channel needs a person to reconnect it."""


class PermanentError(ConnectorError):
    """The request can never succeed as it is (deleted parent, text too long...)."""


class FateUnknown(ConnectorError):
    """The network cannot tell whether an earlier attempt of a reply was posted."""


@runtime_checkable
class Connector(Protocol):
    """The interface. ``network`` names the registry key."""

    network: ClassVar[str]

    def fetch_since(self, cursor: Mapping[str, Any] | None, limit: int = 100) -> FetchResult:
        """Items newer than ``cursor`` (None: the first sync), oldest first where possible."""
        ...

    def send_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> SentReply:
        """Post ``text`` as a reply in the thread. Must not post twice for one key."""
        ...

    def fetch_profile(self, author_external_id: str) -> Author:
        """The network's current view of an account."""
        ...

    @property
    def state(self) -> Mapping[str, Any]:
        """State to persist on the channel after a call (refreshed sessions, quotas)."""
        ...


# --- optional capabilities ------------------------------------------------------------
# Some networks' feeds never say that a fan deleted a message. Their connectors offer
# one of these, and each sync asks about recent messages now and then (see inbox.sync).


@runtime_checkable
class FindsDeleted(Protocol):
    def find_deleted(self, external_ids: Iterable[str]) -> list[str]:
        """Which of these items the network no longer serves."""
        ...


@runtime_checkable
class RefreshesItems(Protocol):
    def refresh_items(self, external_ids: Sequence[str]) -> FetchResult:
        """These items as they are now: deleted ones as :func:`deleted_marker`, edits as items."""
        ...


@runtime_checkable
class ReconcilesReplies(Protocol):
    """Networks with no idempotency key (X, YouTube, Facebook, Instagram, email's
    Sent folder): before a reply whose earlier attempt was cut off is sent again,
    the outbox asks the network whether that attempt landed."""

    def find_sent_reply(
        self, target: ReplyTarget, text: str, idempotency_key: str
    ) -> SentReply | None:
        """The account's reply with this text under this parent, or None when it is
        certainly not there; raises :class:`FateUnknown` when the network cannot say
        (and :class:`TransientError` when it could not be asked right now)."""
        ...


@runtime_checkable
class Publishes(Protocol):
    """Networks on which the artist can post (not reply) from Unplugged's Posting page."""

    def publish(
        self,
        text: str,
        idempotency_key: str,
        scheduled_at: datetime | None = None,
        media: Sequence[MediaFile] = (),
    ) -> SentReply:
        """Post ``text`` on the account's own timeline, once per key.

        ``scheduled_at`` is the post's own time, the same on every attempt: a network
        whose client chooses the record's key (Bluesky's TID) places it there.
        ``media`` are the images, uploaded first with the network's own media call
        (an upload repeated by a retry is harmless: an unattached upload is dropped by
        the network); the post itself stays once per key."""
        ...


def deleted_marker(external_id: str, kind: str = "mention") -> IncomingItem:
    """An item that says "this one is gone": only the id is meaningful.

    The author is a placeholder (the pipeline rejects an empty author id); the
    pipeline matches the marker to the stored message by ``external_id`` and
    ignores markers for messages it never stored.
    """
    return IncomingItem(
        external_id=external_id,
        text="",
        created_at=datetime.now(UTC),
        author=Author(external_id="deleted", handle="deleted"),
        kind=kind,
        thread_id=external_id,
        raw={"id": external_id, "deleted": True},
        deleted=True,
    )
