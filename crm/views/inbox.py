"""The inbox: the conversation list, a thread, replying in it, and closing it.

Views are thin: they read the request, call :mod:`crm.services`, and render.
Every page works as plain links and forms; HTMX requests for a part of a page
get that part, rendered from the same template the full page includes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, g, make_response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from crm.app import db
from crm.auth import login_required
from crm.services import conversations as conv_svc
from crm.services import drafts, presence, replies
from crm.services import triage_actions as actions
from crm.views.common import (
    InboxContext,
    hx_target,
    inbox_context,
    is_fragment,
    private_response,
    see_other,
)
from crm.views.composer import offer_undo_done
from crm.views.pages import (
    chrome,
    opened_at_key,
    render_inbox,
    render_thread,
    requested_reply_to,
    view_counts,
)
from inbox import notifications, outbox, wakeups
from inbox.limits import check_length
from models import Channel, Conversation, ConversationStatus, Role

bp = Blueprint("inbox", __name__)
bp.app_context_processor(chrome)
bp.after_request(private_response)


@bp.get("/")
@login_required()
def index() -> ResponseReturnValue:
    ctx = inbox_context()
    if wakeups.wake_due(db(), g.workspace.id):
        db().commit()
    if is_fragment() and request.args.get("after"):
        return render_inbox("_conversation_rows.html", ctx)
    if hx_target() == "inbox-results":  # the filters changed in place: the save box follows
        return render_inbox("_inbox_results.html", ctx, save_view_oob=True)
    return render_inbox("inbox.html", ctx, counts=view_counts())


def _conversation(conversation_id: int) -> Conversation:
    try:
        return conv_svc.get_conversation(db(), g.workspace.id, conversation_id)
    except conv_svc.NotFound:
        abort(404)


def show_thread(ctx: InboxContext, conversation_id: int, reply_to: int | None = None) -> str:
    """The thread page, as opening it does: the reader is now present and has read it."""
    session = db()
    presence.heartbeat(session, g.workspace.id, conversation_id, g.user.id)
    notifications.mark_conversation_read(session, g.user.id, conversation_id)
    session.commit()
    return render_thread("thread.html", ctx, conversation_id, reply_to=reply_to)


@bp.get("/c/<int:conversation_id>")
@login_required()
def thread(conversation_id: int) -> ResponseReturnValue:
    ctx = inbox_context()
    _conversation(conversation_id)
    return show_thread(ctx, conversation_id, requested_reply_to())


@bp.get("/c/<int:conversation_id>/reply-to/<int:message_id>")
@login_required(Role.AGENT)
def reply_target(conversation_id: int, message_id: int) -> ResponseReturnValue:
    """The composer's "Replying to ..." line for another message of the thread.

    Only that line is swapped (HTMX), so what the person already typed stays. A
    message that cannot be answered leaves the line as it was, with the reason.
    """
    session = db()
    _conversation(conversation_id)
    t = conv_svc.load_thread(session, g.workspace.id, conversation_id)
    try:
        chosen = replies.pick(session, t, message_id)
    except outbox.BadReplyParent as exc:
        if exc.code == "not_found":
            abort(404)
        current = replies.composer_target(session, t, requested_reply_to())
        return render_template(
            "_reply_target.html", reply_choice=current, target_error=str(exc)
        ), 422
    return render_template("_reply_target.html", reply_choice=chosen)


@bp.post("/c/<int:conversation_id>/reply/count")
@login_required(Role.AGENT)
def reply_count(conversation_id: int) -> ResponseReturnValue:
    """The composer's counter for the text typed so far (HTMX, as the person types).

    Counted here by the very function the outbox refuses a reply with, so the
    figure shown is the one that decides; a copy of the rules in JavaScript
    would drift from the networks' (X's weights, Mastodon's links and mentions).
    """
    conv = _conversation(conversation_id)
    network = db().get_one(Channel, conv.channel_id).network
    used, limit = check_length(network, request.form.get("text", "").strip())
    return render_template("_reply_count.html", used=used, limit=limit)


def _opened_at() -> datetime | None:
    try:
        return datetime.fromisoformat(request.form.get("opened_at", ""))
    except ValueError:
        return None


@bp.post("/c/<int:conversation_id>/reply")
@login_required(Role.AGENT)
def reply(conversation_id: int) -> ResponseReturnValue:
    """Queue one person's reply to one conversation (the only way anything is sent)."""
    session = db()
    conv = _conversation(conversation_id)
    ctx = inbox_context()
    text = request.form.get("text", "")
    reply_to = requested_reply_to()
    error, collided, identical = None, False, False
    opened_at = _opened_at()
    others = (
        presence.replies_since(session, conversation_id, opened_at, g.user.id)
        if opened_at is not None and request.form.get("confirm_collision") != "1"
        else []
    )
    if others:
        collided = True
        error = _(
            "%(name)s replied while you were writing: “%(text)s”. Read it, then send anyway "
            "if yours still helps.",
            name=others[-1].author_name,
            text=others[-1].text[:140],
        )
    else:
        try:
            outbox.queue_reply(
                session,
                conv,
                g.user.id,
                text,
                in_reply_to_id=reply_to,
                idempotency_key=request.form.get("idempotency_key") or None,
                confirm_identical=request.form.get("confirm_identical") == "1",
                # The composer asks for the undo window (the thread shows an Undo until
                # the reply may leave); other form clients send at once.
                hold=outbox.UNDO_WINDOW if request.form.get("undo") == "1" else timedelta(0),
            )
            drafts.drop(session, conversation_id, g.user.id)
            presence.heartbeat(session, g.workspace.id, conversation_id, g.user.id)
            session.commit()
        except outbox.ReplyRejected as exc:
            session.rollback()
            error, identical = str(exc), isinstance(exc, outbox.IdenticalText)
    session.expire_all()
    extra = {
        "reply_error": error,
        "draft": text if error else "",
        "collided": collided,
        "identical": identical,
    }
    status = (409 if collided else 422) if error else 200
    template = "_thread_body.html" if is_fragment() else "thread.html"
    # A refused reply keeps its chosen target with its text; a queued one lets the
    # composer move on to whoever is still waiting.
    target = reply_to if error else None
    return render_thread(template, ctx, conversation_id, reply_to=target, **extra), status


def after_leaving(
    conv: Conversation, ctx: InboxContext, at: conv_svc.SortKey | None = None
) -> ResponseReturnValue:
    """Where a person lands once a conversation left their list: the next one in it.

    This is the "inbox zero" flow: done, snooze and spam move on to the
    conversation that followed in the same view, or back to the (now empty)
    list. A boosted request gets the next page in the same response (one round
    trip, the URL pushed by ``HX-Push-Url``); a plain form post a redirect.
    ``at`` is where the conversation stood before the action (an action that
    re-scores it, like spam, moves it in a priority-sorted list).
    """
    session = db()
    if conv_svc.in_filter(session, g.workspace.id, ctx.filter, conv.id):
        next_id: int | None = conv.id
    else:
        next_id = conv_svc.next_after(
            session, g.workspace.id, ctx.filter, conv, at or opened_at_key(conv, ctx)
        )
    if next_id is None:
        return see_other(ctx.url("inbox.index"))
    url = ctx.url("inbox.thread", conversation_id=next_id)
    if not request.headers.get("HX-Boosted"):
        return see_other(url)
    response = make_response(show_thread(ctx, next_id))
    response.headers["HX-Push-Url"] = url
    return response


@bp.post("/c/<int:conversation_id>/status")
@login_required(Role.AGENT)
def set_status(conversation_id: int) -> ResponseReturnValue:
    session = db()
    conv = _conversation(conversation_id)
    ctx = inbox_context()
    try:
        status = ConversationStatus(request.form.get("status", ""))
    except ValueError:
        abort(400, description=_("Unknown status."))
    if status == ConversationStatus.DONE:
        actions.mark_done(session, conv, g.user.id)
    elif status == ConversationStatus.OPEN:
        actions.reopen(session, conv, g.user.id)
    else:
        abort(400, description=_("Snooze with a time."))
    session.commit()
    if status == ConversationStatus.DONE:
        offer_undo_done(conv.id)  # the next page shows "Done · Undo" (templates/_undo_done.html)
        return after_leaving(conv, ctx)
    return see_other(ctx.url("inbox.thread", conversation_id=conv.id))


@bp.get("/c/<int:conversation_id>/next")
@login_required()
def next_conversation(conversation_id: int) -> ResponseReturnValue:
    """The conversation after this one in the current view (a link target for ``j``)."""
    conv = _conversation(conversation_id)
    ctx = inbox_context()
    _prev, next_id = conv_svc.neighbours(
        db(), g.workspace.id, ctx.filter, conv, opened_at_key(conv, ctx)
    )
    if next_id is None:
        return see_other(ctx.url("inbox.index"))
    return see_other(ctx.url("inbox.thread", conversation_id=next_id))


@bp.get("/keys")
@login_required()
def keys() -> ResponseReturnValue:
    """The keyboard shortcuts as a page (the ``?`` dialog shows the same list)."""
    return render_template("keys.html", back=url_for("inbox.index"))
