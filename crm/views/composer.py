"""The composer's side routes: drafts as a person types, Undo, and settling a reply
whose fate the network could not tell.

The reply itself is queued by :func:`crm.views.inbox.reply`; these routes never
send anything: Undo takes a reply back before any job may take it, a draft is
text in a box, and "send again" only puts an unknown reply back in the outbox.
"""

from __future__ import annotations

import math

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask import session as flask_session
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from crm.app import db
from crm.auth import login_required
from crm.services import conversations as conv_svc
from crm.services import drafts, snippets
from crm.views.common import inbox_context, is_fragment
from crm.views.pages import render_thread
from inbox import outbox
from inbox.limits import check_length
from models import Channel, Message, Reply, ReplyStatus, Role, Snippet, User, utcnow

bp = Blueprint("composer", __name__)


def _reply(conversation_id: int, reply_id: int) -> Reply:
    try:
        conv_svc.get_conversation(db(), g.workspace.id, conversation_id)
    except conv_svc.NotFound:
        abort(404)
    reply = db().get(Reply, reply_id)
    if reply is None or reply.conversation_id != conversation_id:
        abort(404)
    return reply


@bp.post("/c/<int:conversation_id>/draft")
@login_required(Role.AGENT)
def save_draft(conversation_id: int) -> ResponseReturnValue:
    """Keep what the person has typed so far (HTMX, a moment after they stop)."""
    session = db()
    try:
        conv_svc.get_conversation(session, g.workspace.id, conversation_id)
    except conv_svc.NotFound:
        abort(404)
    text = request.form.get("text", "")
    if not drafts.just_sent(session, conversation_id, g.user.id, text):
        drafts.save(session, g.workspace.id, conversation_id, g.user.id, text)
        session.commit()
    return "", 204


@bp.post("/c/<int:conversation_id>/replies/<int:reply_id>/undo")
@login_required(Role.AGENT)
def undo(conversation_id: int, reply_id: int) -> ResponseReturnValue:
    """Take a reply back during its undo window; its text returns to the composer."""
    session = db()
    reply = _reply(conversation_id, reply_id)
    if reply.author_id != g.user.id:
        abort(403, description=_("Only the person who wrote a reply can undo it."))
    text = reply.text
    if outbox.undo_reply(session, reply_id, g.user.id):
        drafts.save(session, g.workspace.id, conversation_id, g.user.id, text)
        session.commit()
        notice, status, draft = (
            _("Undone: nothing was sent. Your text is back in the box."),
            200,
            text,
        )
    else:
        session.rollback()
        notice, status, draft = _("Too late to undo: the reply has left."), 409, ""
    template = "_thread_body.html" if is_fragment() else "thread.html"
    page = render_thread(
        template, inbox_context(), conversation_id, reply_notice=notice, draft=draft
    )
    return page, status


@bp.post("/c/<int:conversation_id>/replies/<int:reply_id>/release")
@login_required(Role.AGENT)
def release(conversation_id: int, reply_id: int) -> ResponseReturnValue:
    """The page's countdown ended: send the reply now rather than at the clock's next tick."""
    session = db()
    reply = _reply(conversation_id, reply_id)
    outbox.release_held(session, reply)
    session.commit()
    session.expire_all()
    template = "_thread_body.html" if is_fragment() else "thread.html"
    return render_thread(template, inbox_context(), conversation_id)


@bp.post("/c/<int:conversation_id>/replies/<int:reply_id>/settle")
@login_required(Role.AGENT)
def settle(conversation_id: int, reply_id: int) -> ResponseReturnValue:
    """A person decides about a reply whose fate is unknown: send it again, or leave it."""
    session = db()
    reply = _reply(conversation_id, reply_id)
    action = request.form.get("action")
    if action not in ("resend", "drop"):
        abort(400, description=_("Choose to send it again or to leave it."))
    try:
        outbox.resolve_unknown(session, reply, g.user.id, resend=action == "resend")
    except outbox.ReplyRejected:
        abort(409, description=_("This reply is no longer waiting for a decision."))
    session.commit()
    template = "_thread_body.html" if is_fragment() else "thread.html"
    return render_thread(template, inbox_context(), conversation_id)


@bp.post("/c/<int:conversation_id>/snippet")
@login_required(Role.AGENT)
def insert_snippet(conversation_id: int) -> ResponseReturnValue:
    """Put a saved text into the composer's box (HTMX swaps the box); nothing is sent."""
    session = db()
    try:
        conv = conv_svc.get_conversation(session, g.workspace.id, conversation_id)
    except conv_svc.NotFound:
        abort(404)
    try:
        snippet_id = int(request.form.get("snippet_id", ""))
    except ValueError:
        abort(400, description=_("Which snippet?"))
    snippet = snippets.get(session, g.workspace.id, snippet_id)
    if snippet is None:
        abort(404)
    box = snippets.insert(request.form.get("text", ""), snippet.text)
    drafts.save(session, g.workspace.id, conversation_id, g.user.id, box)
    session.commit()
    network = session.get_one(Channel, conv.channel_id).network
    used, limit = check_length(network, box.strip())
    return render_template("_composer_box.html", c=conv, box=box) + render_template(
        "_snippet_count_oob.html", used=used, limit=limit
    )


@bp.get("/snippets")
@login_required(Role.AGENT)
def snippets_page() -> ResponseReturnValue:
    return _snippets_page()


def _snippets_page(error: str | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "snippets.html", snippets=snippets.for_workspace(db(), g.workspace.id), error=error
    ), status


@bp.post("/snippets")
@login_required(Role.AGENT)
def create_snippet() -> ResponseReturnValue:
    session = db()
    try:
        snippets.create(
            session,
            g.workspace.id,
            g.user.id,
            request.form.get("title", "")[:1000],
            request.form.get("text", "")[:20_000],
        )
    except snippets.SnippetError as exc:
        session.rollback()
        return _snippets_page(_(str(exc)), 422)
    session.commit()
    return redirect(url_for("composer.snippets_page"), 303)


@bp.post("/snippets/delete")
@login_required(Role.AGENT)
def delete_snippet() -> ResponseReturnValue:
    session = db()
    try:
        snippet_id = int(request.form.get("snippet_id", ""))
    except ValueError:
        abort(400, description=_("Which snippet?"))
    if not snippets.delete(session, g.workspace.id, snippet_id, g.user.id):
        abort(404)
    session.commit()
    return redirect(url_for("composer.snippets_page"), 303)


UNDO_DONE_KEY = "undo_done"


def offer_undo_done(conversation_id: int) -> None:
    """Remember, in the person's cookie session, a conversation just marked done, so the
    page they land on offers to undo it (once; reopening is the undo)."""
    flask_session[UNDO_DONE_KEY] = conversation_id


@bp.app_template_global()
def pop_undo_done() -> int | None:
    """The conversation a person just marked done, shown once with an Undo."""
    value = flask_session.pop(UNDO_DONE_KEY, None)
    return value if isinstance(value, int) else None


@bp.app_template_global()
def workspace_snippets() -> list[Snippet]:
    if g.get("workspace") is None:
        return []
    return snippets.for_workspace(db(), g.workspace.id)


@bp.app_template_global()
def composer_prefill(conversation_id: int) -> str:
    """The composer's opening text: this person's draft, else their signature line."""
    if g.get("user") is None or g.get("workspace") is None:
        return ""
    return drafts.composer_text(
        db(), g.workspace, g.user, g.get("membership"), conversation_id, _("team")
    )


@bp.app_template_global()
def undo_seconds(reply: Reply) -> int | None:
    """Seconds left in a queued reply's undo window, if it is still open."""
    if reply.status != ReplyStatus.QUEUED or reply.send_after is None:
        return None
    left = (reply.send_after - utcnow()).total_seconds()
    return max(1, math.ceil(left)) if left > 0 else None


@bp.app_template_global()
def reply_authors(messages: list[Message], pending: list[Reply]) -> dict[str, str]:
    """Who wrote each outbound message and pending reply of a thread, in one query:
    keys ``m<id>`` (messages, through the reply that produced them) and ``r<id>``."""
    out_ids = [m.id for m in messages if m.direction.value == "outbound"]
    names: dict[str, str] = {}
    if out_ids:
        rows = db().execute(
            select(Reply.message_id, User.name)
            .join(User, User.id == Reply.author_id)
            .where(Reply.message_id.in_(out_ids))
        )
        names.update({f"m{mid}": name for mid, name in rows})
    ids = {r.author_id for r in pending if r.author_id is not None}
    if ids:
        rows = db().execute(select(User.id, User.name).where(User.id.in_(ids)))
        users = {uid: name for uid, name in rows}
        names.update({f"r{r.id}": users[r.author_id] for r in pending if r.author_id in users})
    return names
