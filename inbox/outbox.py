"""Replies: written by a person, queued in the outbox, sent by a job.

:func:`queue_reply` is the only way a fan-facing message enters Unplugged; it
needs a user. There is no bulk reply and no automatic reply anywhere: a reply
answers one conversation. Sending the same words to many fans is allowed but
flagged first (:func:`identical_recent_count`), because fans read copy-paste as
spam.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from inbox import incidents
from inbox.connectors.base import (
    AuthError,
    Author,
    ConnectorError,
    FateUnknown,
    PermanentError,
    ReconcilesReplies,
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
    SendDecision,
    utcnow,
)
from triage.reasons import N_, say

log = logging.getLogger(__name__)

# What a reply's failure says, stored in English with the network's own words inside and
# shown in the reader's language (the "reason" filter, crm/views/reasons.py).
UNKNOWN_IF_POSTED = N_("Unknown whether an earlier attempt was posted: %(error)s")
WAIT_UNTIL = N_("%(error)s (the network asked to wait: not before %(time)s UTC)")
SENDING_STALE_AFTER = timedelta(minutes=2)
MAX_RETRY_AFTER = timedelta(hours=24)  # a network's Retry-After is honoured up to this
IDENTICAL_WINDOW = timedelta(days=1)
IDENTICAL_WARN_AT = 3  # the same words already sent to this many conversations
UNDO_WINDOW = timedelta(seconds=10)  # how long a reply from the composer waits for an Undo
MAX_MENTIONS = 3  # more @handles than this in one reply reads as a blast, not an answer


class ReplyRejected(ValueError):
    """The reply cannot be queued as written; the message says why, for the composer."""


class BadReplyParent(ReplyRejected):
    """The message a reply was asked to answer cannot be answered.

    ``code`` names the rule (``not_found``, ``other_conversation``, ``not_inbound``,
    ``deleted``) so the API can say which one without parsing the sentence.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


MAX_MESSAGE_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
ANSWER_WINDOW = 200  # messages looked at to find whose turn it is


def reply_parent(session: Session, conversation: Conversation, message_id: int) -> Message:
    """The fan message ``message_id`` if a reply in ``conversation`` may answer it.

    A reply answers one fan's message in its own thread: the connector mentions
    that message's author and threads under it. So the message must be in this
    conversation (and so this workspace), written by a fan, and still there on
    the network: a reply to a deleted post would land nowhere, or worse, under
    nothing with a stranger's name in it.
    """
    msg = session.get(Message, message_id) if 1 <= message_id <= MAX_MESSAGE_ID else None
    if msg is None or msg.workspace_id != conversation.workspace_id:
        raise BadReplyParent("not_found", f"There is no message {message_id} to answer.")
    if msg.conversation_id != conversation.id:
        raise BadReplyParent(
            "other_conversation",
            f"Message {message_id} belongs to another conversation: answer it there.",
        )
    if msg.direction != Direction.INBOUND:
        raise BadReplyParent(
            "not_inbound", f"Message {message_id} is one of ours, not a fan's: answer a fan."
        )
    if msg.deleted_at is not None:
        raise BadReplyParent(
            "deleted", f"Message {message_id} was deleted on the network: it cannot be answered."
        )
    return msg


def unanswered_parent(
    messages: Sequence[Message], answers: Iterable[tuple[int | None, datetime]]
) -> Message | None:
    """Whose turn it is: the newest fan message nothing has answered yet.

    ``messages`` are a thread's messages, oldest first; ``answers`` are what the
    band said or is about to say (outbound messages and queued replies), each as
    (the message it answers, when). An answer to a fan's message answers that fan
    up to then; an answer whose parent is unknown or not a fan's (an email reply,
    a post under our own) answers everyone before it. When every fan has been
    answered, the newest fan message is still the one a new reply follows.
    Deleted messages are never chosen.
    """
    by_id = {m.id: m for m in messages}
    everyone = 0  # identity ids start at 1: 0 stands for "every author"
    answered_until: dict[int, datetime] = {}
    for parent_id, at in answers:
        parent = by_id.get(parent_id) if parent_id is not None else None
        who = everyone
        if parent is not None and parent.direction == Direction.INBOUND:
            who = parent.author_identity_id or everyone
        if who not in answered_until or answered_until[who] < at:
            answered_until[who] = at
    inbound = [m for m in messages if m.direction == Direction.INBOUND and m.deleted_at is None]
    for m in reversed(inbound):
        until = [answered_until.get(everyone), answered_until.get(m.author_identity_id or -1)]
        latest = max((t for t in until if t is not None), default=None)
        if latest is None or latest < m.sent_at:
            return m
    return inbound[-1] if inbound else None


def thread_answers(
    messages: Sequence[Message], replies: Iterable[Reply]
) -> list[tuple[int | None, datetime]]:
    """The answers :func:`unanswered_parent` weighs: outbound messages and live replies."""
    answers = [(m.parent_id, m.sent_at) for m in messages if m.direction == Direction.OUTBOUND]
    answers += [(r.in_reply_to_id, r.created_at) for r in replies if r.status != ReplyStatus.FAILED]
    return answers


def default_reply_parent(session: Session, conversation_id: int) -> Message | None:
    """The message a reply answers when nobody chose one (see :func:`unanswered_parent`)."""
    messages = list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.sent_at.desc(), Message.id.desc())
            .limit(ANSWER_WINDOW)
        )
    )
    messages.reverse()
    replies = session.scalars(
        select(Reply)
        .where(
            Reply.conversation_id == conversation_id,
            Reply.status.in_([ReplyStatus.QUEUED, ReplyStatus.SENDING]),
        )
        .order_by(Reply.id.desc())
        .limit(ANSWER_WINDOW)
    )
    return unanswered_parent(messages, thread_answers(messages, replies))


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
    hold: timedelta = timedelta(0),
) -> QueuedReply:
    """Put a person's reply in the outbox; it is sent after the transaction commits.

    ``idempotency_key`` comes from the composer form, so a double submit or a
    retried request queues the reply once. ``in_reply_to_id`` is the fan message
    it answers (checked by :func:`reply_parent`); without one, the newest fan
    message not answered yet (:func:`default_reply_parent`).
    """
    text = text.strip()
    if not text:
        raise ReplyRejected("The reply is empty.")
    if not _storable(text) or (idempotency_key is not None and not _storable(idempotency_key)):
        # A lone surrogate (half an emoji, from a broken paste or client) can be
        # neither stored nor sent.
        raise ReplyRejected("The reply holds a broken character (half an emoji?): retype it.")
    channel = session.get_one(Channel, conversation.channel_id)
    mentions = count_mentions(text)
    if mentions > MAX_MENTIONS:
        raise ReplyRejected(
            f"This reply names {mentions} accounts; a reply answers one fan "
            f"(at most {MAX_MENTIONS} @mentions)."
        )
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
    if in_reply_to_id is None:
        parent = default_reply_parent(session, conversation.id)
    else:
        parent = reply_parent(session, conversation, in_reply_to_id)
    in_reply_to_id = parent.id if parent is not None else None
    identical = identical_recent_count(session, conversation.workspace_id, text, conversation.id)
    if identical >= IDENTICAL_WARN_AT and not confirm_identical:
        raise IdenticalText(identical)
    reply = Reply(
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        in_reply_to_id=in_reply_to_id,
        author_id=author_id,
        text=text,
        status=ReplyStatus.QUEUED,
        idempotency_key=key,
        send_after=utcnow() + hold if hold > timedelta(0) else None,
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
    if reply.send_after is None:
        from inbox import jobs

        defer(session, jobs.send_reply, reply.id, queue="send", job_id=f"send-reply-{reply.id}")
    return QueuedReply(reply.id, identical)


_MENTION = re.compile(r"(?<![\w@])@[\w.]+(?:@[\w.-]+)?", re.UNICODE)


def count_mentions(text: str) -> int:
    """Distinct @handles (``@name``, Mastodon's ``@name@domain``) in a reply."""
    return len({m.group(0).rstrip(".").lower() for m in _MENTION.finditer(text)})


def release_held(session: Session, reply: Reply) -> bool:
    """Queue the job of a reply whose undo window has ended (the composer's page asks when
    its countdown ends; the clock does it anyway, within a tick, for a page closed)."""
    if reply.status != ReplyStatus.QUEUED or reply.send_after is None:
        return False
    if reply.send_after > utcnow():
        return False
    from inbox import jobs

    defer(session, jobs.send_reply, reply.id, queue="send", job_id=f"send-reply-{reply.id}")
    return True


def undo_reply(session: Session, reply_id: int, user_id: int) -> bool:
    """Take back a reply still waiting out its undo window; False once a job may have it.

    One conditional UPDATE: a job claims only a queued reply whose ``send_after``
    has passed, so the two cannot both win.
    """
    now = utcnow()
    result = session.execute(
        update(Reply)
        .where(
            Reply.id == reply_id,
            Reply.status == ReplyStatus.QUEUED,
            Reply.send_after.is_not(None),
            Reply.send_after > now,
        )
        .values(status=ReplyStatus.CANCELLED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    reply = session.get_one(Reply, reply_id)
    session.refresh(reply)
    session.add(
        AuditEvent(
            workspace_id=reply.workspace_id,
            user_id=user_id,
            action="reply.undone",
            subject_type="conversation",
            subject_id=reply.conversation_id,
            data={"reply_id": reply.id},
        )
    )
    return True


class IdenticalText(ReplyRejected):
    """The same words went to many fans lately: the person must confirm."""

    def __init__(self, count: int) -> None:
        super().__init__(
            f"You sent these exact words to {count} other conversations today. "
            "Fans notice copy-paste; personalise it, or confirm to send anyway."
        )
        self.count = count


def _claim(rt: Runtime, reply_id: int) -> bool:
    """Move queued -> sending (or reclaim a send a dead worker left behind).

    A reply the network asked to wait (:func:`_wait_for_network`) is not claimed
    before its time, whoever queued the job.
    """
    now = utcnow()
    with rt.session() as s:
        result = s.execute(
            update(Reply)
            .where(
                Reply.id == reply_id,
                (
                    (Reply.status == ReplyStatus.QUEUED)
                    & (Reply.updated_at <= now)
                    & (Reply.send_after.is_(None) | (Reply.send_after <= now))
                )
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
        attempts = reply.attempts
        parent = s.get(Message, reply.in_reply_to_id) if reply.in_reply_to_id else None
        parent_deleted = parent is not None and parent.deleted_at is not None
        if not parent_deleted:
            conv = s.get_one(Conversation, reply.conversation_id)
            channel = s.get_one(Channel, conv.channel_id)
            target = _target(s, reply, conv)
            connector = build_connector(rt, channel)
            channel_id = channel.id
            text, key = reply.text, reply.idempotency_key
    if parent_deleted:
        # The fan deleted the message after the reply was queued: answering it now would
        # post under nothing (or fail half-way on the network). Nothing is sent.
        _fail(rt, reply_id, PermanentError("The message it answers was deleted: not sent."))
        return ReplyStatus.FAILED
    try:
        found: SentReply | None = None
        if attempts > 1:
            # An earlier attempt ended without a recorded answer (a crash, a timeout):
            # the network may have the reply already. Settle that before any resend.
            found = _look_before_resend(rt, reply_id, connector, target, text, key)
        sent = found if found is not None else connector.send_reply(target, text, key)
    except FateUnknown as exc:
        _mark_unknown(rt, reply_id, exc)
        return ReplyStatus.UNKNOWN
    except TransientError as exc:
        if exc.retry_after is not None:
            # The network said when to come back (a 429's or a 503's Retry-After): the
            # queue's own backoff (seconds) would knock again too soon, so the reply
            # waits for the clock instead, as a sync waits for its next_sync_at.
            _wait_for_network(rt, reply_id, exc, exc.retry_after)
            return ReplyStatus.QUEUED
        _requeue(rt, reply_id, str(exc))
        raise  # the queue retries with backoff
    except (AuthError, PermanentError, ConnectorError) as exc:
        _fail(rt, reply_id, exc)
        return ReplyStatus.FAILED
    finally:

        def keep_state() -> None:
            with rt.session() as s:
                store_state(rt, s.get_one(Channel, channel_id), connector)

        incidents.outlast_database(rt.engine, rt.outages, keep_state)
    # The network has the reply: record it even across a database restart, or the team
    # would see its fate as unknown.
    incidents.outlast_database(rt.engine, rt.outages, lambda: _record_sent(rt, reply_id, sent))
    return ReplyStatus.SENT


def _look_before_resend(
    rt: Runtime, reply_id: int, connector: object, target: ReplyTarget, text: str, key: str
) -> SentReply | None:
    """What the network says about an earlier attempt, written in the outbox row.

    Networks that dedupe by our key (Mastodon's Idempotency-Key, Bluesky's record
    key, the sandbox) are simply sent to again; the others are asked
    (:class:`ReconcilesReplies`). :class:`FateUnknown` propagates: the caller
    marks the reply unknown instead of sending it.
    """
    if not isinstance(connector, ReconcilesReplies):
        _decide(rt, reply_id, SendDecision.KEYED)
        return None
    found = connector.find_sent_reply(target, text, key)
    _decide(rt, reply_id, SendDecision.FOUND if found is not None else SendDecision.ABSENT)
    if found is not None:
        log.info(
            "reply %s: an earlier attempt is on the network as %s", reply_id, found.external_id
        )
    return found


def _decide(rt: Runtime, reply_id: int, decision: SendDecision) -> None:
    with rt.session() as s:
        reply = s.get_one(Reply, reply_id)
        reply.decision = decision
        reply.decided_at = utcnow()


def _mark_unknown(rt: Runtime, reply_id: int, exc: ConnectorError) -> None:
    """An attempt was cut off and the network cannot say whether it landed: the team
    sees "unknown" and decides (:func:`resolve_unknown`); nothing is resent by itself."""
    with rt.session() as s:
        reply = s.get_one(Reply, reply_id)
        reply.status = ReplyStatus.UNKNOWN
        reply.decision = SendDecision.UNKNOWN
        reply.decided_at = utcnow()
        reply.error = say(UNKNOWN_IF_POSTED, error=str(exc))[:2000]
        s.add(
            AuditEvent(
                workspace_id=reply.workspace_id,
                action="reply.unknown",
                subject_type="conversation",
                subject_id=reply.conversation_id,
                data={"reply_id": reply.id, "error": str(exc)[:500]},
            )
        )


def resolve_unknown(session: Session, reply: Reply, user_id: int, *, resend: bool) -> None:
    """A person settles a reply whose fate was unknown, having looked on the network:
    ``resend`` sends it once more without asking the network first (its attempts
    start again); otherwise the person found it there, and it is recorded as sent."""
    if reply.status != ReplyStatus.UNKNOWN:
        raise ReplyRejected("Only a reply whose fate is unknown can be settled this way.")
    if resend:
        reply.status = ReplyStatus.QUEUED
        reply.attempts = 0
        reply.send_after = None  # a person decided: now
        reply.error = None
        from inbox import jobs

        defer(session, jobs.send_reply, reply.id, queue="send", job_id=f"send-reply-{reply.id}")
    else:
        # The person found it on the network: it was sent; a sync brings the message.
        reply.status = ReplyStatus.SENT
        reply.decision = SendDecision.FOUND
        reply.decided_at = utcnow()
        reply.sent_at = reply.sent_at or utcnow()
        reply.error = None
    session.add(
        AuditEvent(
            workspace_id=reply.workspace_id,
            user_id=user_id,
            action="reply.resent" if resend else "reply.found",
            subject_type="conversation",
            subject_id=reply.conversation_id,
            data={"reply_id": reply.id},
        )
    )


def _requeue(rt: Runtime, reply_id: int, error: str) -> None:
    with rt.session() as s:
        reply = s.get_one(Reply, reply_id)
        reply.status = ReplyStatus.QUEUED
        reply.error = error[:2000]


def retry_at(retry_after: float, now: datetime) -> datetime:
    """When a reply may be tried again after the network asked for ``retry_after`` seconds."""
    return now + timedelta(seconds=max(1.0, min(retry_after, MAX_RETRY_AFTER.total_seconds())))


def _wait_for_network(rt: Runtime, reply_id: int, exc: TransientError, retry_after: float) -> None:
    """Queue the reply again, not to be sent before the network's Retry-After has passed.

    Its ``updated_at`` is set to that time: :func:`_claim` takes no queued reply
    whose ``updated_at`` lies ahead, so no job sends it earlier, and the clock
    (:mod:`inbox.scheduler`), which queues again a reply left queued for
    ``REQUEUE_QUEUED_AFTER``, sends it within that minute after the time.
    """
    now = utcnow()
    at = retry_at(retry_after, now)
    with rt.session() as s:
        reply = s.get_one(Reply, reply_id)
        reply.status = ReplyStatus.QUEUED
        reply.error = say(WAIT_UNTIL, error=str(exc), time=f"{at:%H:%M:%S}")[:2000]
        reply.updated_at = at
    log.info("reply %s: %s; next try in %.0fs", reply_id, exc, (at - now).total_seconds())


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
