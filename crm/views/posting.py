"""The Posting page: compose a post for one or more channels, preview it per network,
schedule it, edit or cancel it before it goes. Away from the inbox on purpose.

The form may carry up to 4 images (``image_<n>`` with ``alt_<n>``); they are read
here, checked in :func:`crm.services.posting.check_images`, and shown back through
:func:`media`, only to members of the post's workspace."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from crm.app import db
from crm.auth import login_required
from crm.services import posting
from crm.views.common import error_text
from inbox import images
from models import Post, PostStatus, Role

bp = Blueprint("posting", __name__)

# The form's own cap (crm.app raises the request limit for it alone): 4 images of
# 5 MB and the text, with room for the multipart framing.
MAX_REQUEST_BYTES = images.MAX_IMAGES * images.MAX_IMAGE_BYTES + 2 * 1024 * 1024
_SLOT = re.compile(r"image_(\d{1,2})")


def _zone() -> ZoneInfo:
    try:
        return ZoneInfo(g.user.timezone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _when() -> datetime | None:
    """The form's local date and time (the person's zone), in UTC; empty: now."""
    raw = request.form.get("at", "").strip()
    if not raw:
        return None
    try:
        local = datetime.fromisoformat(raw[:32])
    except ValueError:
        abort(400, description=_("That date and time cannot be read."))
    if local.tzinfo is None:
        local = local.replace(tzinfo=_zone())
    return local.astimezone(UTC)


def _channel_ids() -> list[int]:
    try:
        return [int(v) for v in request.form.getlist("channel_id")[:50]]
    except ValueError:
        abort(400, description=_("Unknown channel."))


def _adapted(channel_ids: list[int]) -> dict[int, str]:
    """Each channel's own words from the form (``text_<channel id>``); empty ones left out."""
    out = {}
    for cid in channel_ids:
        words = request.form.get(f"text_{cid}", "")[:20_000].strip()
        if words:
            out[cid] = words
    return out


def _uploads() -> tuple[list[posting.Upload], dict[int, str]]:
    """The form's images in slot order (slots left empty skipped) and every alt text
    typed, by slot (to fill the form again after a refusal). Each file is read to one
    byte past the limit: a larger one is known as such without reading it all."""
    slots = sorted(
        int(m.group(1)) for name in request.files if (m := _SLOT.fullmatch(name)) is not None
    )
    alts = {n: request.form.get(f"alt_{n}", "")[:5000] for n in range(1, 100)}
    out = []
    for n in slots:
        upload = request.files[f"image_{n}"]
        if not upload.filename:
            continue  # a slot with no file chosen
        out.append(posting.Upload(upload.stream.read(images.MAX_IMAGE_BYTES + 1), alts[n]))
    return out, {n: a for n, a in alts.items() if a}


def local_input(at: datetime) -> str:
    return at.astimezone(_zone()).strftime("%Y-%m-%dT%H:%M")


def _page(error: str | None = None, status: int = 200, **form: object) -> ResponseReturnValue:
    s = db()
    posts = posting.recent(s, g.workspace.id)
    return render_template(
        "posting.html",
        posts=posts,
        started=posting.conversations_started(s, posts),
        network_of=posting.networks(s, g.workspace.id),
        channels=posting.channels(s, g.workspace.id),
        error=error,
        local_input=local_input,
        **form,
    ), status


@bp.get("/posts")
@login_required(Role.MANAGER)
def index() -> ResponseReturnValue:
    return _page()


@bp.post("/posts/preview")
@login_required(Role.MANAGER)
def preview() -> ResponseReturnValue:
    """Each chosen network's count for the text (HTMX, as the person types or ticks)."""
    ids = _channel_ids()
    if not ids:
        return render_template("_posting_preview.html", preview=None)
    try:
        checked = posting.preview(
            db(), g.workspace.id, request.form.get("text", ""), ids, _adapted(ids)
        )
    except posting.PostingError as exc:
        return render_template("_posting_preview.html", preview=None, error=_(str(exc)))
    return render_template(
        "_posting_preview.html", preview=checked, text=request.form.get("text", "").strip()
    )


@bp.post("/posts")
@login_required(Role.MANAGER)
def create() -> ResponseReturnValue:
    s = db()
    text, ids, at = request.form.get("text", "")[:20_000], _channel_ids(), _when()
    adapted = _adapted(ids)
    uploads, alts = _uploads()
    try:
        posting.schedule(s, g.workspace.id, g.user.id, text, ids, at, adapted, uploads)
    except posting.PostingError as exc:
        s.rollback()
        return _page(error_text(exc), 422, text=text, chosen=ids, adapted=adapted, alts=alts)
    s.commit()
    return redirect(url_for("posting.index"), 303)


def _post(post_id: int) -> Post:
    post = posting.get(db(), g.workspace.id, post_id)
    if post is None:
        abort(404)
    return post


@bp.get("/posts/<int:post_id>")
@login_required(Role.MANAGER)
def edit_form(post_id: int) -> ResponseReturnValue:
    post = _post(post_id)
    return render_template(
        "posting_edit.html",
        post=post,
        local_input=local_input,
        network_of=posting.networks(db(), g.workspace.id),
    )


@bp.post("/posts/<int:post_id>")
@login_required(Role.MANAGER)
def edit(post_id: int) -> ResponseReturnValue:
    s = db()
    post = _post(post_id)
    try:
        ids = [t.channel_id for t in post.targets]
        posting.edit(
            s, post, g.user.id, request.form.get("text", "")[:20_000], _when(), _adapted(ids)
        )
    except posting.PostingError as exc:
        s.rollback()
        return render_template(
            "posting_edit.html",
            post=_post(post_id),
            local_input=local_input,
            network_of=posting.networks(s, g.workspace.id),
            error=_(str(exc)),
        ), 409
    s.commit()
    return redirect(url_for("posting.index"), 303)


@bp.post("/posts/<int:post_id>/cancel")
@login_required(Role.MANAGER)
def cancel(post_id: int) -> ResponseReturnValue:
    s = db()
    post = _post(post_id)
    if not posting.cancel(s, post, g.user.id):
        s.rollback()
        return _page(_("Too late to cancel: the post has left."), 409)
    s.commit()
    return redirect(url_for("posting.index"), 303)


@bp.get("/posts/<int:post_id>/media/<int:media_id>")
@login_required()
def media(post_id: int, media_id: int) -> ResponseReturnValue:
    """One of a post's images, for the page's preview: a member of the post's workspace
    only (anyone else, another workspace's members too, gets 404), as the type its
    bytes were found to be, never sniffed again by the browser, no file name."""
    found = posting.image(db(), g.workspace.id, post_id, media_id)
    if found is None:
        abort(404)
    response = Response(found.data, mimetype=found.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.set_etag(found.sha256)
    return response.make_conditional(request)


@bp.app_template_global()
def post_status_label(status: PostStatus) -> str:
    return {
        PostStatus.SCHEDULED: _("Scheduled"),
        PostStatus.SENDING: _("Sending"),
        PostStatus.SENT: _("Sent"),
        PostStatus.PARTLY_SENT: _("Partly sent"),
        PostStatus.FAILED: _("Failed"),
        PostStatus.CANCELLED: _("Cancelled"),
    }[status]
