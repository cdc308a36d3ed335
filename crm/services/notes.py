"""Private notes on a conversation: for the team only, never sent to the fan."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crm.services import mentions, team
from crm.services.messages import N_, UserError
from inbox import notifications
from models import AuditEvent, Conversation, Note, NotificationKind, utcnow

MAX_NOTE = 5000


class NoteError(UserError):
    """A note that cannot be saved; the message is for the person."""


def add_note(session: Session, conv: Conversation, author_id: int, text: str) -> Note:
    """Save a note and notify every teammate it @mentions (but not its author)."""
    text = text.strip()
    if not text:
        raise NoteError(N_("The note is empty."))
    if len(text) > MAX_NOTE:
        raise NoteError(N_("Notes have at most %(n)d characters."), n=MAX_NOTE)
    note = Note(
        workspace_id=conv.workspace_id,
        conversation_id=conv.id,
        author_id=author_id,
        text=text,
        created_at=utcnow(),
    )
    session.add(note)
    session.flush()
    named = mentions.mentioned(text, team.members(session, conv.workspace_id))
    for member in named:
        if member.user_id == author_id:
            continue
        notifications.notify(
            session,
            workspace_id=conv.workspace_id,
            user_id=member.user_id,
            kind=NotificationKind.MENTION,
            conversation_id=conv.id,
            actor_id=author_id,
            text=text,
        )
    session.add(
        AuditEvent(
            workspace_id=conv.workspace_id,
            user_id=author_id,
            action="note.added",
            subject_type="conversation",
            subject_id=conv.id,
            data={"note_id": note.id, "mentions": [m.user_id for m in named]},
        )
    )
    return note
