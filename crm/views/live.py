"""Live updates by polling: cheap requests every few seconds, no long-lived connections.

The list polls :func:`inbox_updates` with the id of the newest message it
has seen; the answer carries only what changed (new or moved rows, the view
counts, the unread notifications) as out-of-band swaps. An open thread posts
a heartbeat (:func:`pulse`) that records presence and returns who else is
there, plus the messages when the thread changed. Polling works through every
proxy and across any number of web processes, since the database is the
only shared state.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request
from flask.typing import ResponseReturnValue

from crm.app import db
from crm.auth import login_required
from crm.services import conversations as conv_svc
from crm.services import presence
from crm.views.common import inbox_context, private_response
from crm.views.pages import inbox_page, render_thread, view_counts
from inbox import notifications, wakeups
from models import PresenceState

bp = Blueprint("live", __name__)
bp.after_request(private_response)


def _int_arg(name: str) -> int:
    return conv_svc.database_id(request.values.get(name, "")) or 0


@bp.get("/live/inbox")
@login_required()
def inbox_updates() -> ResponseReturnValue:
    """New activity in the current view since message ``since``, and fresh counts."""
    session = db()
    ctx = inbox_context()
    if wakeups.wake_due(session, g.workspace.id):
        session.commit()
    if notifications.notify_urgent_for(session, g.workspace.id, g.user.id):
        session.commit()
    since = _int_arg("since")
    changed = conv_svc.newer_conversation_ids(session, g.workspace.id, since) if since else []
    rows = conv_svc.rows_in_filter(session, g.workspace.id, ctx.filter, changed)
    page = conv_svc.InboxPage(rows, None)
    return render_template(
        "_live_inbox.html",
        **inbox_page(ctx, page),
        counts=view_counts(),
        unread=notifications.unread_count(session, g.user.id),
        changed_ids=changed,
    )


@bp.post("/c/<int:conversation_id>/pulse")
@login_required()
def pulse(conversation_id: int) -> ResponseReturnValue:
    """Heartbeat from an open thread: record presence, answer with the thread's news."""
    session = db()
    try:
        conv_svc.get_conversation(session, g.workspace.id, conversation_id)
    except conv_svc.NotFound:
        abort(404)
    state = PresenceState.TYPING if request.form.get("state") == "typing" else PresenceState.VIEWING
    presence.heartbeat(session, g.workspace.id, conversation_id, g.user.id, state)
    notifications.notify_urgent_for(session, g.workspace.id, g.user.id)
    session.commit()
    version = conv_svc.thread_version(session, conversation_id)
    changed = request.form.get("version", "") != version
    return render_thread(
        "_live_thread.html",
        inbox_context(),
        conversation_id,
        changed=changed,
        unread=notifications.unread_count(session, g.user.id),
    )
