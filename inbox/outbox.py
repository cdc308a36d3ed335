"""Replies: written by a person, queued in the outbox, sent by a job.

:func:`queue_reply` is the only way a fan-facing message enters Unplugged; it
needs a user. There is no bulk reply and no automatic reply anywhere: a reply
answers one conversation. Sending the same words to many fans is allowed but
flagged first (:func:`identical_recent_count`), because fans read copy-paste as
spam.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from inbox.connectors.base import (
    AuthError,
    Author,
    ConnectorError,
    PermanentError,
    ReplyTarget,
    SentReply,
    TransientError,
)
from inbox.limits import check_length
from inbox.queue import defer
from inbox.runtime import Runtime
from models import (
    AuditEvent,
    Channel,
    ChannelHealth,
    Conversation,
    Direction,
    Message,
    Reply,
    ReplyStatus,
    utcnow,
)

log = logging.getLogger(__name__)
SENDING_STALE_AFTER = timedelta(minutes=2)
IDENTICAL_WINDOW = timedelta(days=1)
IDENTICAL_WARN_AT = 3  # the same words already sent to this many conversations


class ReplyRejected(ValueError):
    """The reply cannot be queued as written; the message says why, for the composer."""


@dataclass(frozen=True)
class QueuedReply:
    reply_id: int
    identical_recent: int  # how many other conversations got these exact words lately


def identical_recent_count(
    session: Session, workspace_id: int, text: str, exclude_conversation: int | None = None
) -> int:
    since = utcnow() - IDENTICAL_WINDOW
    q = select(func.count(func.distinct(Reply.conversation_id))).where(
        Reply.workspace_id == workspace_id,
        Reply.text == text.strip(),
        Reply.created_at >= since,
        Reply.status != ReplyStatus.FAILED,
    )
    if exclude_conversation is not None:
        q = q.where(Reply.conversation_id != exclude_conversation)
    return int(session.scalar(q) or 0)


def _storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def queue_reply(
    session: Session,
    conversation: Conversation,
    author_id: int,
    text: str,
    *,
    in_reply_to_id: int | None = None,
    idempotency_key: str | None = None,
    confirm_identical: bool = False,
) -> QueuedReply:
    """Put a person's reply in the outbox; it is sent after the transaction commits.

    ``idempotency_key`` comes from the composer form, so a double submit or a
    retried request queues the reply once.
    """
    text = text.strip()
    if not text:
        raise ReplyRejected("The reply is empty.")
    if not _storable(text) or (idempotency_key is not None and not _storable(idempotency_key)):
        # A lone surrogate (half an emoji, from a broken paste or client) can be
        # neither stored nor sent.
        raise ReplyRejected("The reply holds a broken character (half an emoji?): retype it.")
    channel = session.get_one(Channel, conversation.channel_id)
    used, limit = check_length(channel.network, text)
    if used > limit.max:
        raise ReplyRejected(f"Too long for {channel.network}: {used} of {limit.max} {limit.unit}.")
    key = idempotency_key or secrets.token_hex(16)
    if len(key) > 64:
        raise ReplyRejected("Invalid idempotency key.")
    existing = session.scalar(select(Reply).where(Reply.idempotency_key == key))
    if existing is not None:
        if existing.conversation_id != conversation.id:
            raise ReplyRejected("Invalid idempotency key.")
        return QueuedReply(existing.id, 0)
    identical = identical_recent_count(session, conversation.workspace_id, text, conversation.id)
    if identical >= IDENTICAL_WARN_AT and not confirm_identical:
        raise IdenticalText(identical)
    if in_reply_to_id is None:
        in_reply_to_id = session.scalar(
            select(Message.id)
            .where(Message.conversation_id == conversation.id, Message.deleted_at.is_(None))
            .order_by(Message.direction == Direction.OUTBOUND, Message.sent_at.desc())
            .limit(1)
        )
    reply = Reply(
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        in_reply_to_id=in_reply_to_id,
        author_id=author_id,
        text=text,
        status=ReplyStatus.QUEUED,
        idempotency_key=key,
    )
    session.add(reply)
    session.flush()
    session.add(
        AuditEvent(
            workspace_id=conversation.workspace_id,
            user_id=author_id,
            action="reply.queued",
            subject_type="conversation",
            subject_id=conversation.id,
            data={"reply_id": reply.id},
        )
    )
    from inbox import jobs

    defer(session, jobs.send_reply, reply.id, queue="send", job_id=f"send-reply-{reply.id}")
    return QueuedReply(reply.id, identical)


class IdenticalText(ReplyRejected):
    """The same words went to many fans lately: the person must confirm."""

    def __init__(self, count: int) -> None:
        super().__init__(
            f"You sent these exact words to {count} other conversations today. "
            "Fans notice copy-paste; personalise it, or confirm to send anyway."
        )
        self.count = count


def _claim(rt: Runtime, reply_id: int) -> bool:
    """Move queued -> sending (or reclaim a send a dead worker left behind)."""
    now = utcnow()
    with rt.session() as s:
        result = s.execute(
            update(Reply)
            .where(
                Reply.id == reply_id,
                (Reply.status == ReplyStatus.QUEUED)
                | (
                    (Reply.status == ReplyStatus.SENDING)
                    & (Reply.updated_at < now - SENDING_STALE_AFTER)
                ),
            )
            .values(status=ReplyStatus.SENDING, attempts=Reply.attempts + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _target(s: Session, reply: Reply, conv: Conversation) -> ReplyTarget:
    parent = s.get(Message, reply.in_reply_to_id) if reply.in_reply_to_id else None
    root = s.scalar(
        select(Message).where(Message.conversation_id == conv.id).order_by(Message.sent_at).limit(1)
    )
    author = None
    if parent is not None and parent.author is not None:
        a = parent.author
        author = Author(a.external_id, a.handle, a.display_name)
    return ReplyTarget(
        thread_id=conv.external_thread_id,
        parent_external_id=parent.external_id if parent else conv.external_thread_id,
        parent_author=author,
        subject=conv.subject,
        kind=conv.kind.value,
        parent_raw=dict(parent.raw or {}) if parent else {},
        root_raw=dict(root.raw or {}) if root else {},
    )


def send_reply(rt: Runtime, reply_id: int) -> ReplyStatus:
    """Send one queued reply. Idempotent: a sent reply is never sent again."""
    from inbox.sync import build_connector, store_state

    if not _claim(rt, reply_id):
        with rt.session() as s:
            reply = s.get(Reply, reply_id)
            return reply.status if reply else ReplyStatus.FAILED
    with rt.session() as s:
        reply = s.get_one(Reply, reply_id)
        conv = s.get_one(Conversation, reply.conversation_id)
        channel = s.get_one(Channel, conv.channel_id)
        target = _target(s, reply, conv)
        connector = build_connector(rt, channel)
        channel_id = channel.id
        text, key = reply.text, reply.idempotency_key
    try:
        sent = connector.send_reply(target, text, key)
    except TransientError as exc:
        _requeue(rt, reply_id, str(exc))
        raise  # the queue retries with backoff
    except (AuthError, PermanentError, ConnectorError) as exc:
        _fail(rt, reply_id, exc)
        return ReplyStatus.FAILED
    finally:
        with rt.session() as s:
            store_state(rt, s.get_one(Channel, channel_id), connector)
    _record_sent(rt, reply_id, sent)
    return ReplyStatus.SENT


def _requeue(rt: Runtime, reply_id: int, error: str) -> None:
    with rt.session() as s:
        reply = s.get_one(Reply, reply_id)
        reply.status = ReplyStatus.QUEUED
        reply.error = error[:2000]


def _fail(rt: Runtime, reply_id: int, exc: ConnectorError) -> None:
    with rt.session() as s:
        reply = s.get_one(Reply, reply_id)
        reply.status = ReplyStatus.FAILED
        reply.error = f"{type(exc).__name__}: {exc}"[:2000]
        s.add(
            AuditEvent(
                workspace_id=reply.workspace_id,
                action="reply.failed",
                subject_type="conversation",
                subject_id=reply.conversation_id,
                data={"reply_id": reply.id, "error": str(exc)[:500]},
            )
        )
        if isinstance(exc, AuthError):
            conv = s.get_one(Conversation, reply.conversation_id)
            channel = s.get_one(Channel, conv.channel_id)
            channel.health = ChannelHealth.NEEDS_RECONNECT
            channel.last_error = reply.error
            channel.last_error_at = utcnow()


def _record_sent(rt: Runtime, reply_id: int, sent: SentReply) -> None:
    """Store the reply as an outbound message in its thread, exactly once."""
    with rt.session() as s:
        reply = s.get_one(Reply, reply_id)
        conv = s.get_one(Conversation, reply.conversation_id)
        channel = s.get_one(Channel, conv.channel_id)
        msg = s.scalar(
            select(Message).where(
                Message.channel_id == channel.id, Message.external_id == sent.external_id
            )
        )
        if msg is None:  # a sync may already have fetched our own reply
            msg = Message(
                workspace_id=conv.workspace_id,
                channel_id=channel.id,
                conversation_id=conv.id,
                external_id=sent.external_id,
                direction=Direction.OUTBOUND,
                kind=conv.kind if conv.kind.value != "mention" else "reply",
                text=reply.text,
                sent_at=sent.created_at,
                parent_id=reply.in_reply_to_id,
                url=sent.url,
                raw=dict(sent.raw) or None,
            )
            s.add(msg)
            s.flush()
            conv.message_count += 1
        reply.status = ReplyStatus.SENT
        reply.message_id = msg.id
        reply.external_id = sent.external_id
        reply.sent_at = sent.created_at
        reply.error = None
        if sent.created_at >= conv.last_activity_at:
            conv.last_activity_at = sent.created_at
            conv.waiting_for_us = False
            conv.last_message_preview = reply.text[:280]
            # Answered: "waiting 2 days" and "question still unanswered" no longer hold.
            from inbox import triage

            s.flush()
            triage.refresh_conversations(s, [conv.id])
        s.add(
            AuditEvent(
                workspace_id=conv.workspace_id,
                user_id=reply.author_id,
                action="reply.sent",
                subject_type="conversation",
                subject_id=conv.id,
                data={"reply_id": reply.id, "external_id": sent.external_id},
            )
        )
