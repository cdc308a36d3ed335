"""Triage on a selection of conversations: done, assign, label, snooze, spam.

There is deliberately no bulk reply: every message to a fan is written for
that fan (see :mod:`inbox.outbox`). Each conversation goes through the same
single-conversation action as a click in the thread, so audit events and
notifications are identical however the work was done.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.services import triage_actions
from crm.services.messages import N_
from crm.services.triage_actions import ActionError
from models import Conversation

MAX_BULK = 500


class BulkAction(enum.StrEnum):
    DONE = "done"
    ASSIGN = "assign"
    LABEL = "label"
    SNOOZE = "snooze"
    SPAM = "spam"
    NOT_SPAM = "not_spam"


@dataclass(frozen=True)
class BulkResult:
    action: BulkAction
    ids: list[int]  # the conversations acted on, in the order given


def parse_ids(values: Iterable[str]) -> list[int]:
    ids: list[int] = []
    for v in values:
        try:
            ids.append(int(v))
        except ValueError:
            raise ActionError(N_("The selection is not a list of conversations.")) from None
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise ActionError(N_("Select at least one conversation."))
    if len(ids) > MAX_BULK:
        raise ActionError(N_("Select at most %(n)d conversations at a time."), n=MAX_BULK)
    return ids


def apply(
    session: Session,
    workspace_id: int,
    user_id: int,
    ids: list[int],
    action: BulkAction,
    *,
    assignee_id: int | None = None,
    label: str | None = None,
    until: datetime | None = None,
) -> BulkResult:
    """Apply ``action`` to each of ``ids`` that belongs to the workspace."""
    if len(ids) > MAX_BULK:
        raise ActionError(N_("Select at most %(n)d conversations at a time."), n=MAX_BULK)
    if action == BulkAction.LABEL and not (label or "").strip():
        raise ActionError(N_("Name the label to add."))
    convs = {
        c.id: c
        for c in session.scalars(
            select(Conversation).where(
                Conversation.id.in_(ids), Conversation.workspace_id == workspace_id
            )
        )
    }
    done: list[int] = []
    for cid in ids:
        conv = convs.get(cid)
        if conv is None:
            continue
        if action == BulkAction.DONE:
            triage_actions.mark_done(session, conv, user_id)
        elif action == BulkAction.ASSIGN:
            triage_actions.assign(session, conv, user_id, assignee_id)
        elif action == BulkAction.LABEL:
            triage_actions.add_label(session, conv, user_id, label or "")
        elif action == BulkAction.SNOOZE:
            triage_actions.snooze(session, conv, user_id, until)
        elif action == BulkAction.SPAM:
            triage_actions.set_spam(session, conv, user_id, True)
        elif action == BulkAction.NOT_SPAM:
            triage_actions.set_spam(session, conv, user_id, False)
        done.append(cid)
    if not done:
        raise ActionError(N_("None of the selected conversations is in this workspace."))
    return BulkResult(action, done)
