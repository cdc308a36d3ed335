"""Triage actions on one conversation and on a selection of them.

Actions that take a conversation out of the list (snooze, spam) move on to
the next conversation of the same view, as done does. Actions that change it
in place (assign, labels, corrections, notes) answer an HTMX request with the
refreshed side panel and a plain form post with a redirect back to the thread.
No action here sends anything to a fan, and there is no bulk reply.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from crm.app import db
from crm.auth import login_required
from crm.services import bulk_triage, notes, snooze
from crm.services import conversations as conv_svc
from crm.services import triage_actions as actions
from crm.services.bulk_triage import BulkAction
from crm.services.triage_actions import ActionError
from crm.views.common import (
    InboxContext,
    error_text,
    inbox_context,
    is_fragment,
    private_response,
    see_other,
    user_zone,
)
from crm.views.inbox import after_leaving
from crm.views.pages import opened_at_key, render_inbox, render_thread, view_counts
from models import Conversation, Priority, Role

bp = Blueprint("triage", __name__)
bp.after_request(private_response)


def _conversation(conversation_id: int) -> Conversation:
    try:
        return conv_svc.get_conversation(db(), g.workspace.id, conversation_id)
    except conv_svc.NotFound:
        abort(404)


def _side_panel(
    conv: Conversation, ctx: InboxContext, error: str | None = None
) -> ResponseReturnValue:
    """The refreshed side panel for HTMX, else back to the thread (post/redirect/get)."""
    if is_fragment():
        body = render_thread("_thread_side.html", ctx, conv.id, side_error=error)
        return body, (422 if error else 200)
    if error:
        return render_thread("thread.html", ctx, conv.id, side_error=error), 422
    return see_other(ctx.url("inbox.thread", conversation_id=conv.id))


def _in_place(conversation_id: int, act: str) -> ResponseReturnValue:
    session = db()
    conv = _conversation(conversation_id)
    ctx = inbox_context()
    form = request.form
    try:
        if act == "assign":
            raw = form.get("assignee", "")
            actions.assign(session, conv, g.user.id, conv_svc.database_id(raw))
        elif act == "label":
            actions.add_label(session, conv, g.user.id, form.get("label", ""))
        elif act == "unlabel":
            actions.remove_label(
                session, conv, g.user.id, conv_svc.database_id(form.get("label_id", "")) or 0
            )
        elif act == "intent":
            actions.correct_intent(session, conv, g.user.id, form.get("intent", ""))
        elif act == "priority":
            try:
                priority = Priority(form.get("priority", ""))
            except ValueError:
                raise ActionError(_("Unknown priority.")) from None
            actions.correct_priority(session, conv, g.user.id, priority)
        elif act == "segment":
            actions.correct_segment(session, conv, g.user.id, form.get("segment", ""))
        elif act == "note":
            notes.add_note(session, conv, g.user.id, form.get("text", ""))
    except (ActionError, notes.NoteError, ValueError) as exc:
        session.rollback()
        return _side_panel(conv, ctx, error_text(exc))
    session.commit()
    return _side_panel(conv, ctx)


@bp.post("/c/<int:conversation_id>/assign")
@login_required(Role.AGENT)
def assign(conversation_id: int) -> ResponseReturnValue:
    return _in_place(conversation_id, "assign")


@bp.post("/c/<int:conversation_id>/labels")
@login_required(Role.AGENT)
def add_label(conversation_id: int) -> ResponseReturnValue:
    return _in_place(conversation_id, "label")


@bp.post("/c/<int:conversation_id>/labels/remove")
@login_required(Role.AGENT)
def remove_label(conversation_id: int) -> ResponseReturnValue:
    return _in_place(conversation_id, "unlabel")


@bp.post("/c/<int:conversation_id>/intent")
@login_required(Role.AGENT)
def correct_intent(conversation_id: int) -> ResponseReturnValue:
    return _in_place(conversation_id, "intent")


@bp.post("/c/<int:conversation_id>/priority")
@login_required(Role.AGENT)
def correct_priority(conversation_id: int) -> ResponseReturnValue:
    return _in_place(conversation_id, "priority")


@bp.post("/c/<int:conversation_id>/segment")
@login_required(Role.AGENT)
def correct_segment(conversation_id: int) -> ResponseReturnValue:
    return _in_place(conversation_id, "segment")


@bp.post("/c/<int:conversation_id>/notes")
@login_required(Role.AGENT)
def add_note(conversation_id: int) -> ResponseReturnValue:
    return _in_place(conversation_id, "note")


@bp.post("/c/<int:conversation_id>/snooze")
@login_required(Role.AGENT)
def snooze_conversation(conversation_id: int) -> ResponseReturnValue:
    session = db()
    conv = _conversation(conversation_id)
    ctx = inbox_context()
    at = opened_at_key(conv, ctx)
    try:
        until = snooze.parse_until(request.form.get("until", ""), user_zone())
        actions.snooze(session, conv, g.user.id, until)
    except (snooze.SnoozeError, ActionError) as exc:
        session.rollback()
        return render_thread("thread.html", ctx, conv.id, side_error=error_text(exc)), 422
    session.commit()
    return after_leaving(conv, ctx, at)


@bp.post("/c/<int:conversation_id>/spam")
@login_required(Role.AGENT)
def spam(conversation_id: int) -> ResponseReturnValue:
    session = db()
    conv = _conversation(conversation_id)
    ctx = inbox_context()
    at = opened_at_key(conv, ctx)
    actions.set_spam(session, conv, g.user.id, request.form.get("spam") == "1")
    session.commit()
    return after_leaving(conv, ctx, at)


BULK_MESSAGES = {
    BulkAction.DONE: lambda n: ngettext(
        "%(num)d conversation marked done.", "%(num)d conversations marked done.", n
    ),
    BulkAction.ASSIGN: lambda n: ngettext(
        "%(num)d conversation assigned.", "%(num)d conversations assigned.", n
    ),
    BulkAction.LABEL: lambda n: ngettext(
        "%(num)d conversation labelled.", "%(num)d conversations labelled.", n
    ),
    BulkAction.SNOOZE: lambda n: ngettext(
        "%(num)d conversation snoozed.", "%(num)d conversations snoozed.", n
    ),
    BulkAction.SPAM: lambda n: ngettext(
        "%(num)d conversation moved to spam.", "%(num)d conversations moved to spam.", n
    ),
    BulkAction.NOT_SPAM: lambda n: ngettext(
        "%(num)d conversation back in the inbox.", "%(num)d conversations back in the inbox.", n
    ),
}


@bp.post("/bulk/<action>")
@login_required(Role.AGENT)
def bulk(action: str) -> ResponseReturnValue:
    """Done, assign, label, snooze or (not) spam on the selected conversations."""
    try:
        kind = BulkAction(action.replace("-", "_"))
    except ValueError:
        abort(404)
    session = db()
    ctx = inbox_context()
    form = request.form
    message, error = None, None
    try:
        ids = bulk_triage.parse_ids(form.getlist("ids"))
        assignee = form.get("assignee", "")
        result = bulk_triage.apply(
            session,
            g.workspace.id,
            g.user.id,
            ids,
            kind,
            assignee_id=conv_svc.database_id(assignee),
            label=(form.get("label") or form.get("new_label") or "").strip() or None,
            until=snooze.parse_until(form.get("until", ""), user_zone())
            if kind == BulkAction.SNOOZE
            else None,
        )
        session.commit()
        message = BULK_MESSAGES[kind](len(result.ids))
    except (ActionError, snooze.SnoozeError) as exc:
        session.rollback()
        error = error_text(exc)
    if is_fragment():
        body = render_inbox(
            "_inbox_results.html",
            ctx,
            flash=message,
            flash_error=error,
            oob=True,
            counts=view_counts(),
        )
        return body, (422 if error else 200)
    if error:
        flash(error, "error")
        return render_inbox("inbox.html", ctx, counts=view_counts()), 422
    flash(message or "")
    return see_other(ctx.url("inbox.index"))
