"""Which fan message a reply answers, and replying to a message by its id.

In a thread where several fans talk, a reply must answer one of them: the
connector mentions that message's author and threads under it. The composer
shows which ("Replying to @marie: ...") and lets a person pick another; the
API takes ``in_reply_to`` and the command line ``--message``. All of them end
in :func:`inbox.outbox.queue_reply`, which checks the choice again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from crm.services import accounts
from crm.services.conversations import Thread
from inbox import outbox
from models import Conversation, Message, Role, User

EXCERPT_CHARS = 80


@dataclass(frozen=True)
class ReplyChoice:
    """The fan message the composer answers, as the composer shows it."""

    message: Message
    who: str  # "@marie", or an email address as it is
    excerpt: str  # the start of their message, on one line


def who_wrote(message: Message, network: str) -> str:
    """The author as a fan would be addressed on the network: ``@handle`` (an address for email)."""
    author = message.author
    if author is None:
        return ""
    handle = (author.handle or "").strip()
    if not handle:
        return author.display_name or ""
    return handle if network == "email" else "@" + handle.lstrip("@")


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of a message on one line, cut at a word where it can be."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] if " " in flat[:limit] else flat[:limit]
    return cut.rstrip(" ,;:.") + "…"


def choice(message: Message, network: str) -> ReplyChoice:
    return ReplyChoice(message, who_wrote(message, network), excerpt(message.text))


def composer_target(
    session: Session, t: Thread, requested: int | None = None
) -> ReplyChoice | None:
    """What the composer of thread ``t`` answers: ``requested`` if it may be answered,
    else the newest fan message not answered yet.

    A requested message that cannot be answered (deleted meanwhile, ours, another
    thread's) falls back to the default rather than failing the page; sending
    checks again and says why.
    """
    if requested is not None:
        try:
            return choice(
                outbox.reply_parent(session, t.conversation, requested), t.channel.network
            )
        except outbox.BadReplyParent:
            pass
    answers = outbox.thread_answers(t.messages, t.pending_replies)
    parent = outbox.unanswered_parent(t.messages, answers)
    return choice(parent, t.channel.network) if parent is not None else None


def pick(session: Session, t: Thread, message_id: int) -> ReplyChoice:
    """The composer's target after a person chose ``message_id``; refused with the reason."""
    parent = outbox.reply_parent(session, t.conversation, message_id)
    return choice(parent, t.channel.network)


def message_in_workspace(session: Session, workspace_id: int | None, message_id: int) -> Message:
    """A stored message by id (in ``workspace_id`` when given), or ``LookupError``."""
    msg = session.get(Message, message_id) if 1 <= message_id <= outbox.MAX_MESSAGE_ID else None
    if msg is None or (workspace_id is not None and msg.workspace_id != workspace_id):
        raise LookupError(message_id)
    return msg


def reply_author(session: Session, workspace_id: int, email: str | None) -> User:
    """Who writes a reply sent from outside the web (``email``, else the workspace owner);
    like the composer, replying needs the agent role. ``accounts.AccountError`` if not."""
    return accounts.acting_user(session, workspace_id, email, Role.AGENT)


def reply_to_message(
    session: Session,
    message_id: int,
    text: str,
    *,
    author_email: str | None = None,
    idempotency_key: str | None = None,
    confirm_identical: bool = False,
) -> tuple[outbox.QueuedReply, User]:
    """Queue a person's reply to one fan message, through the outbox like any reply.

    The conversation and workspace are the message's; the author is checked by
    :func:`reply_author`. Raises ``LookupError`` for an unknown message,
    ``accounts.AccountError`` for an author who may not reply, and ``outbox.ReplyRejected``
    (``BadReplyParent`` for a message that cannot be answered) as the composer would.
    """
    msg = message_in_workspace(session, None, message_id)
    author = reply_author(session, msg.workspace_id, author_email)
    conv = session.get_one(Conversation, msg.conversation_id)
    queued = outbox.queue_reply(
        session,
        conv,
        author.id,
        text,
        in_reply_to_id=msg.id,
        idempotency_key=idempotency_key,
        confirm_identical=confirm_identical,
    )
    return queued, author
