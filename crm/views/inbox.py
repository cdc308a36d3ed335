"""The inbox: the conversation list, a thread, and replying in it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, render_template, request
from flask.typing import ResponseReturnValue

from crm.app import db
from crm.auth import login_required
from crm.services import conversations as conv_svc
from inbox import outbox
from inbox.limits import limit_for
from models import ConversationStatus, Role

bp = Blueprint("inbox", __name__)


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


@bp.get("/")
@login_required()
def index() -> ResponseReturnValue:
    status_arg = request.args.get("status", "open")
    try:
        status = ConversationStatus(status_arg)
    except ValueError:
        abort(400, description="Unknown status.")
    page = conv_svc.list_inbox(
        db(), g.workspace.id, cursor=request.args.get("after"), status=status
    )
    ctx: dict[str, Any] = {"page": page, "status": status}
    if _is_htmx() and request.args.get("after"):
        return render_template("_conversation_rows.html", **ctx)
    return render_template("inbox.html", **ctx)


@bp.get("/c/<int:conversation_id>")
@login_required()
def thread(conversation_id: int) -> ResponseReturnValue:
    try:
        t = conv_svc.load_thread(db(), g.workspace.id, conversation_id)
    except conv_svc.NotFound:
        abort(404)
    return render_template("thread.html", t=t, limit=limit_for(t.channel.network))


@bp.post("/c/<int:conversation_id>/reply")
@login_required(Role.AGENT)
def reply(conversation_id: int) -> ResponseReturnValue:
    session = db()
    try:
        conv = conv_svc.get_conversation(session, g.workspace.id, conversation_id)
    except conv_svc.NotFound:
        abort(404)
    text = request.form.get("text", "")
    error = None
    try:
        outbox.queue_reply(
            session,
            conv,
            g.user.id,
            text,
            idempotency_key=request.form.get("idempotency_key") or None,
            confirm_identical=request.form.get("confirm_identical") == "1",
        )
        session.commit()
    except outbox.ReplyRejected as exc:
        session.rollback()
        error = str(exc)
    session.expire_all()
    t = conv_svc.load_thread(session, g.workspace.id, conversation_id)
    ctx = {
        "t": t,
        "limit": limit_for(t.channel.network),
        "reply_error": error,
        "draft": text if error else "",
    }
    status = 422 if error else 200
    if _is_htmx():
        return render_template("_thread_body.html", **ctx), status
    return render_template("thread.html", **ctx), status


@bp.post("/c/<int:conversation_id>/status")
@login_required(Role.AGENT)
def set_status(conversation_id: int) -> ResponseReturnValue:
    session = db()
    try:
        conv = conv_svc.get_conversation(session, g.workspace.id, conversation_id)
        status = ConversationStatus(request.form.get("status", ""))
    except conv_svc.NotFound:
        abort(404)
    except ValueError:
        abort(400, description="Unknown status.")
    conv_svc.set_status(session, conv, status, g.user.id)
    session.commit()
    t = conv_svc.load_thread(session, g.workspace.id, conversation_id)
    if _is_htmx():
        return render_template("_thread_body.html", t=t, limit=limit_for(t.channel.network))
    return render_template("thread.html", t=t, limit=limit_for(t.channel.network))
