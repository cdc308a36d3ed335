"""Saved texts a team inserts into the composer and then edits.

Inserting a snippet only changes the text in the composer's box (and the draft);
it never queues anything. What is sent goes through :func:`inbox.outbox.queue_reply`
like any reply, so the copy-paste guard counts a snippet sent unchanged to many
fans exactly as it counts any repeated text.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.services.messages import N_
from models import AuditEvent, Snippet

MAX_TITLE = 120
MAX_TEXT = 5000


class SnippetError(ValueError):
    """The snippet cannot be saved as written; the message says why."""


def for_workspace(session: Session, workspace_id: int) -> list[Snippet]:
    return list(
        session.scalars(
            select(Snippet).where(Snippet.workspace_id == workspace_id).order_by(Snippet.title)
        )
    )


def get(session: Session, workspace_id: int, snippet_id: int) -> Snippet | None:
    snippet = session.get(Snippet, snippet_id)
    return snippet if snippet is not None and snippet.workspace_id == workspace_id else None


def create(session: Session, workspace_id: int, user_id: int, title: str, text: str) -> Snippet:
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise SnippetError(N_("A snippet needs a title and a text."))
    if len(title) > MAX_TITLE or len(text) > MAX_TEXT:
        raise SnippetError(N_("That snippet is too long."))
    snippet = Snippet(workspace_id=workspace_id, title=title, text=text, created_by_id=user_id)
    session.add(snippet)
    session.flush()
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            user_id=user_id,
            action="snippet.created",
            data={"snippet_id": snippet.id, "title": title},
        )
    )
    return snippet


def delete(session: Session, workspace_id: int, snippet_id: int, user_id: int) -> bool:
    snippet = get(session, workspace_id, snippet_id)
    if snippet is None:
        return False
    session.delete(snippet)
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            user_id=user_id,
            action="snippet.deleted",
            data={"snippet_id": snippet_id, "title": snippet.title},
        )
    )
    return True


def insert(current: str, snippet_text: str) -> str:
    """The composer's text with the snippet put in: in place of an empty box (keeping a
    signature line below it), else after what is already written."""
    body = current.strip()
    if not body:
        return snippet_text
    if body.startswith("- ") and "\n" not in body:  # only a signature so far
        return f"{snippet_text}\n\n{body}"
    return f"{current.rstrip()}\n{snippet_text}"
