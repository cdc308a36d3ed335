"""Replies being written, kept per conversation and per person as they type.

The composer saves its text a moment after each keystroke; opening the
conversation again puts it back. A draft is only ever text in a box: queueing
the reply (or undoing it) is what touches the outbox. Workspaces that ask team
members other than the artist to sign get the signature in that box, where the
writer sees it and may change it.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Draft, Membership, Reply, ReplyStatus, Role, User, Workspace, utcnow

MAX_DRAFT_CHARS = 20_000


def get(session: Session, conversation_id: int, user_id: int) -> str | None:
    return session.scalar(
        select(Draft.text).where(Draft.conversation_id == conversation_id, Draft.user_id == user_id)
    )


def save(
    session: Session, workspace_id: int, conversation_id: int, user_id: int, text: str
) -> None:
    """Keep ``text`` as this person's draft here; an empty box forgets the draft."""
    text = text[:MAX_DRAFT_CHARS]
    draft = session.scalar(
        select(Draft).where(Draft.conversation_id == conversation_id, Draft.user_id == user_id)
    )
    if not text.strip():
        if draft is not None:
            session.delete(draft)
        return
    if draft is None:
        session.add(
            Draft(
                workspace_id=workspace_id,
                conversation_id=conversation_id,
                user_id=user_id,
                text=text,
            )
        )
    else:
        draft.text = text
        draft.updated_at = utcnow()


JUST_SENT = timedelta(minutes=1)


def just_sent(session: Session, conversation_id: int, user_id: int, text: str) -> bool:
    """Whether ``text`` is a reply this person queued here a moment ago: the composer's
    last autosave can arrive after its Send, and must not bring the sent words back."""
    return (
        session.scalar(
            select(Reply.id)
            .where(
                Reply.conversation_id == conversation_id,
                Reply.author_id == user_id,
                Reply.text == text.strip(),
                Reply.created_at >= utcnow() - JUST_SENT,
                Reply.status != ReplyStatus.CANCELLED,
            )
            .limit(1)
        )
        is not None
    )


def drop(session: Session, conversation_id: int, user_id: int) -> None:
    session.execute(
        delete(Draft).where(Draft.conversation_id == conversation_id, Draft.user_id == user_id)
    )


def signature(
    workspace: Workspace, user: User, membership: Membership | None, team_word: str = "team"
) -> str:
    """The line a team member signs with ("- Sam, team"), or "" for the artist (owners)
    and in workspaces that do not ask for one."""
    if not workspace.require_team_signature or membership is None:
        return ""
    if membership.role == Role.OWNER:
        return ""
    first = (user.name or user.email).split()[0]
    return f"- {first}, {team_word}"


def composer_text(
    session: Session,
    workspace: Workspace,
    user: User,
    membership: Membership | None,
    conv_id: int,
    team_word: str = "team",
) -> str:
    """What the composer opens with: the saved draft, else the signature (if any)."""
    saved = get(session, conv_id, user.id)
    if saved is not None:
        return saved
    line = signature(workspace, user, membership, team_word)
    return f"\n\n{line}" if line else ""
