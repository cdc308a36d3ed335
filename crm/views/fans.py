"""Fans: the list (filters, sort, CSV), one person's page, linking identities, data rights.

Thin views over :mod:`crm.services.fans` and :mod:`crm.services.identity`. Reading is
for every member; linking, notes and mute/block for agents and up; the data-rights
actions (CSV and JSON export, erasure, field definitions) for managers and owners.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from crm.app import db
from crm.auth import login_required
from crm.services import fan_segments, identity
from crm.services import fans as fan_svc
from crm.views.common import error_text, hx_target, private_response, see_other
from models import Label, Role, Segment

bp = Blueprint("fans", __name__, url_prefix="/fans")
bp.after_request(private_response)

EVIDENCE_KINDS = ("email", "handle", "link", "name_avatar")


@bp.app_context_processor
def fan_lookup() -> dict[str, object]:
    """``fan_matches(q)`` for the inbox's search results: fans by handle or name."""

    def fan_matches(q: str) -> list[fan_svc.FanRow]:
        if getattr(g, "workspace", None) is None:
            return []
        return fan_svc.find_fans(db(), g.workspace.id, q)

    return {"fan_matches": fan_matches}


def _filter() -> fan_svc.FanFilter:
    try:
        return fan_svc.FanFilter.from_args(request.args)
    except fan_svc.FanError as exc:
        abort(400, str(exc))


@bp.get("")
@login_required()
def index() -> ResponseReturnValue:
    flt = _filter()
    page = fan_svc.list_fans(db(), g.workspace.id, flt)
    labels = list(
        db().scalars(
            select(Label.name).where(Label.workspace_id == g.workspace.id).order_by(Label.name)
        )
    )
    template = "_fan_rows.html" if hx_target() == "fan-results" else "fans.html"
    saved = fan_segments.list_segments(db(), g.workspace.id)
    return render_template(
        template,
        page=page,
        flt=flt,
        saved_segments=saved,
        current_segment=fan_segments.matching(saved, flt),
        can_save=g.membership.role.at_least(Role.AGENT),
        segments=[s.value for s in Segment],
        networks=fan_svc.NETWORKS,
        labels=labels,
        can_export=g.membership.role.at_least(Role.MANAGER),
    )


def _list_url(query: dict[str, str]) -> str:
    """The fans list with these filters."""
    return url_for("fans.index") + ("?" + urlencode(sorted(query.items())) if query else "")


@bp.post("/segments")
@login_required(Role.AGENT)
def save_segment() -> ResponseReturnValue:
    """Save the filters the form carries (the list's own fields) under a name."""
    args = {k: v for k, v in request.form.items() if k not in ("name", "csrf_token")}
    session = db()
    try:
        seg = fan_segments.save(
            session, g.workspace.id, g.user.id, request.form.get("name", ""), args
        )
    except (fan_segments.SegmentError, fan_svc.FanError) as exc:
        session.rollback()
        flash(error_text(exc), "error")
        kept = {k: v for k, v in args.items() if k in fan_svc.FanFilter.__dataclass_fields__}
        return see_other(_list_url(kept))
    session.commit()
    flash(_("Segment saved."))
    return see_other(_list_url(seg.query))


@bp.get("/segments/<int:segment_id>")
@login_required()
def open_segment(segment_id: int) -> ResponseReturnValue:
    """The fans list with a saved segment's filters (a link anyone on the team can share)."""
    seg = fan_segments.get(db(), g.workspace.id, segment_id)
    if seg is None:
        abort(404)
    return see_other(_list_url(seg.query))


@bp.post("/segments/<int:segment_id>/delete")
@login_required(Role.AGENT)
def delete_segment(segment_id: int) -> ResponseReturnValue:
    session = db()
    if not fan_segments.remove(session, g.workspace.id, g.user.id, segment_id):
        abort(404)
    session.commit()
    flash(_("Segment deleted."))
    return see_other(url_for("fans.index"))


@bp.get("/export.csv")
@login_required(Role.MANAGER)
def export_csv() -> ResponseReturnValue:
    flt = _filter()
    session, ws = db(), g.workspace.id

    def lines() -> Iterator[str]:
        yield from fan_svc.export_csv(session, ws, flt)

    return Response(
        stream_with_context(lines()),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="fans.csv"'},
    )


def _fan_or_404(fan_id: int) -> int:
    try:
        return fan_svc.get_fan(db(), g.workspace.id, fan_id).id
    except fan_svc.NotFound:
        abort(404)


@bp.get("/<int:fan_id>")
@login_required()
def show(fan_id: int) -> ResponseReturnValue:
    real = _fan_or_404(fan_id)
    if real != fan_id:  # a fan merged into another: the person's page
        return see_other(url_for("fans.show", fan_id=real))
    try:
        before = fan_svc.parse_cursor(request.args.get("before"))
    except fan_svc.FanError as exc:
        abort(400, str(exc))
    if hx_target() == "fan-timeline-more":
        timeline = fan_svc.timeline(db(), g.workspace.id, fan_id, before)
        return render_template("_fan_timeline.html", fan_id=fan_id, timeline=timeline)
    return _page(fan_id, before=before)


def _page(fan_id: int, error: str = "", before: tuple[datetime, int] | None = None) -> Response:
    session = db()
    html = render_template(
        "fan.html",
        p=fan_svc.profile(session, g.workspace.id, fan_id),
        timeline=fan_svc.timeline(session, g.workspace.id, fan_id, before),
        suggestions=identity.suggestions_for(session, g.workspace.id, fan_id),
        can_triage=g.membership.role.at_least(Role.AGENT),
        can_manage=g.membership.role.at_least(Role.MANAGER),
        bio_of=fan_svc.bio_of,
        location_of=fan_svc.location_of,
        error=error,
    )
    return Response(html, status=409 if error else 200)


def _back(fan_id: int, error: str = "") -> ResponseReturnValue:
    """After an action: back to the page (303), or the page with the error saying why."""
    if error:
        return _page(fan_id, error)
    return see_other(url_for("fans.show", fan_id=fan_id))


def _other() -> int:
    other = request.form.get("other", "")
    if not other.isdigit() or len(other) > 12:
        abort(400, "other must be a fan id.")
    return int(other)


@bp.post("/<int:fan_id>/merge")
@login_required(Role.AGENT)
def merge(fan_id: int) -> ResponseReturnValue:
    keep = _fan_or_404(fan_id)
    kinds = [k for k in request.form.getlist("evidence") if k in EVIDENCE_KINDS]
    session = db()
    try:
        identity.merge(session, g.workspace.id, keep, _other(), g.user.id, kinds)
    except identity.IdentityError as exc:
        session.rollback()
        return _back(keep, error_text(exc))
    session.commit()
    return _back(keep)


@bp.post("/<int:fan_id>/split/<int:merge_id>")
@login_required(Role.AGENT)
def split(fan_id: int, merge_id: int) -> ResponseReturnValue:
    keep = _fan_or_404(fan_id)
    session = db()
    try:
        identity.split(session, g.workspace.id, merge_id, g.user.id)
    except identity.IdentityError as exc:
        session.rollback()
        return _back(keep, error_text(exc))
    session.commit()
    return _back(keep)


@bp.post("/<int:fan_id>/dismiss")
@login_required(Role.AGENT)
def dismiss(fan_id: int) -> ResponseReturnValue:
    keep = _fan_or_404(fan_id)
    session = db()
    try:
        identity.dismiss(session, g.workspace.id, keep, _other(), g.user.id)
    except identity.IdentityError as exc:
        session.rollback()
        return _back(keep, error_text(exc))
    session.commit()
    return _back(keep)


@bp.post("/<int:fan_id>/notes")
@login_required(Role.AGENT)
def add_note(fan_id: int) -> ResponseReturnValue:
    keep = _fan_or_404(fan_id)
    session = db()
    try:
        fan_svc.add_note(session, g.workspace.id, keep, g.user.id, request.form.get("text", ""))
    except fan_svc.FanError as exc:
        session.rollback()
        return _back(keep, error_text(exc))
    session.commit()
    return _back(keep)


@bp.post("/<int:fan_id>/quiet")
@login_required(Role.AGENT)
def quiet(fan_id: int) -> ResponseReturnValue:
    keep = _fan_or_404(fan_id)
    mode = request.form.get("mode", "")
    if mode not in fan_svc.QUIET:
        abort(400, "mode must be muted or blocked.")
    session = db()
    fan_svc.set_quiet(session, g.workspace.id, keep, g.user.id, mode, request.form.get("on") == "1")
    session.commit()
    return _back(keep)


@bp.post("/<int:fan_id>/fields")
@login_required(Role.AGENT)
def set_field(fan_id: int) -> ResponseReturnValue:
    keep = _fan_or_404(fan_id)
    session = db()
    try:
        name = request.form.get("name", "")
        if name:  # a new field: managers define the workspace's fields
            if not g.membership.role.at_least(Role.MANAGER):
                abort(403)
            fld = fan_svc.define_field(session, g.workspace.id, name)
            field_id = fld.id
        else:
            raw = request.form.get("field_id", "")
            if not raw.isdigit() or len(raw) > 12:
                abort(400, "field_id must be a number.")
            field_id = int(raw)
        fan_svc.set_field(session, g.workspace.id, keep, field_id, request.form.get("value", ""))
    except fan_svc.FanError as exc:
        session.rollback()
        return _back(keep, error_text(exc))
    session.commit()
    return _back(keep)


@bp.get("/<int:fan_id>/export.json")
@login_required(Role.MANAGER)
def export_json(fan_id: int) -> ResponseReturnValue:
    keep = _fan_or_404(fan_id)
    session = db()
    doc = fan_svc.export_fan(session, g.workspace.id, keep, g.user.id)
    session.commit()
    return Response(
        json.dumps(doc, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="fan-{keep}.json"'},
    )


@bp.post("/<int:fan_id>/erase")
@login_required(Role.MANAGER)
def erase(fan_id: int) -> ResponseReturnValue:
    keep = _fan_or_404(fan_id)
    if request.form.get("confirm") != "erase":
        return _back(keep, _("Tick the box to confirm the erasure."))
    session = db()
    fan_svc.erase_fan(
        session, g.workspace.id, keep, g.user.id, allow_return=request.form.get("may_return") == "1"
    )
    session.commit()
    return see_other(url_for("fans.index", erased=1))
