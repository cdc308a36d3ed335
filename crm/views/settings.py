"""Settings: the workspace's channels, their health, connecting and reconnecting them."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from crm.app import db, runtime
from crm.auth import login_required
from crm.services import channels as svc
from crm.services.conversations import database_id
from crm.views.common import error_text
from models import Role
from models.channel import NETWORKS

bp = Blueprint("settings", __name__, url_prefix="/settings")


def _rows() -> dict[str, object]:
    """What the channels table needs: the channels and how far each import has come
    (``poll_seconds``, how often it asks again while importing, comes with every page)."""
    return {
        "channels": svc.list_channels(db(), g.workspace.id),
        "progress": svc.progress(db(), g.workspace.id),
        "syncs": svc.sync_states(db(), g.workspace.id),
    }


def _page(
    error: str | None = None, status: int = 200, form: dict[str, str] | None = None
) -> ResponseReturnValue:
    form = form or {}
    # One network at a time: the form shows the picked network's fields only (issue 18).
    picked = form.get("network") or request.args.get("network", "")
    return render_template(
        "settings_channels.html",
        **_rows(),
        incidents=svc.incidents(db(), g.workspace.id),
        fields=svc.CREDENTIAL_FIELDS,
        networks=NETWORKS,
        picked=picked if picked in NETWORKS else "",
        error=error,
        form=form,
    ), status


@bp.get("/channels")
@login_required(Role.MANAGER)
def channels() -> ResponseReturnValue:
    return _page()


@bp.get("/channels/rows")
@login_required(Role.MANAGER)
def channel_rows() -> ResponseReturnValue:
    """The table's rows alone: polled while a first sync imports, to show it growing."""
    return render_template("_channel_rows.html", **_rows())


@bp.post("/channels")
@login_required(Role.MANAGER)
def connect() -> ResponseReturnValue:
    network = request.form.get("network", "")
    fields = svc.CREDENTIAL_FIELDS.get(network, ())
    credentials = {f.name: request.form.get(f"{network}-{f.name}", "") for f in fields}
    raw_days = request.form.get("backfill_days", "7").strip()
    backfill = (
        int(raw_days) if raw_days.isascii() and raw_days.isdigit() and len(raw_days) < 6 else -1
    )
    session = db()
    try:
        svc.connect(
            session,
            runtime().box,
            g.workspace.id,
            g.user.id,
            network,
            request.form.get("handle", ""),
            credentials,
            base_url=request.form.get("base_url", "").strip() or None,
            backfill_days=backfill,
        )
        session.commit()
    except svc.ChannelError as exc:
        session.rollback()
        safe = {
            "network": network,
            "handle": request.form.get("handle", ""),
            "base_url": request.form.get("base_url", ""),
        }
        return _page(error_text(exc), 422, safe)
    return redirect(url_for("settings.channels"))


@bp.post("/channels/<int:channel_id>/<action>")
@login_required(Role.MANAGER)
def act(channel_id: int, action: str) -> ResponseReturnValue:
    session = db()
    try:
        channel = svc.get_channel(session, g.workspace.id, channel_id)
    except LookupError:
        abort(404)
    if action == "sync":
        svc.request_sync(session, channel, g.user.id)
    elif action in {"pause", "resume"}:
        svc.set_paused(session, channel, action == "pause", g.user.id)
    elif action == "remove":
        if request.form.get("confirm") != "1":  # only from the page that said what goes
            return redirect(url_for("settings.confirm_remove", channel_id=channel_id))
        svc.remove(session, channel, g.user.id)
    else:
        abort(404)
    session.commit()
    if action == "sync" and request.headers.get("HX-Target") == "channel-rows":
        # "Sync now" answers in place: the rows say "syncing…" and ask again until it ended.
        return render_template("_channel_rows.html", **_rows())
    return redirect(url_for("settings.channels"))


@bp.get("/channels/<int:channel_id>/remove")
@login_required(Role.MANAGER)
def confirm_remove(channel_id: int) -> ResponseReturnValue:
    """Say what removing a channel deletes before anything is deleted."""
    session = db()
    try:
        channel = svc.get_channel(session, g.workspace.id, channel_id)
    except LookupError:
        abort(404)
    progress = svc.progress(session, g.workspace.id).get(channel.id)
    return render_template(
        "channel_remove.html", channel=channel, messages=progress.messages if progress else 0
    )


@bp.get("/model")
@login_required(Role.MANAGER)
def model() -> ResponseReturnValue:
    from inbox import learning
    from triage.classifier import load_model

    session = db()
    return render_template(
        "settings_model.html",
        versions=learning.versions(session, g.workspace.id),
        active=learning.active_version(session, g.workspace.id),
        pending=learning.pending_count(session, g.workspace.id),
        to_learn=learning.corrections_to_learn(session, g.workspace.id),
        retrain=learning.retrain_status(session, g.workspace.id),
        retrain_every=learning.RETRAIN_EVERY,
        shipped=load_model().version,
    )


@bp.post("/model/<action>")
@login_required(Role.MANAGER)
def model_action(action: str) -> ResponseReturnValue:
    from inbox import learning

    session = db()
    if action == "rollback":
        learning.rollback(session, g.workspace.id, g.user.id)
    elif action == "shipped":
        learning.use_shipped(session, g.workspace.id, g.user.id)
    elif action == "activate":
        version_id = database_id(request.form.get("version_id", ""))
        if version_id is None:
            abort(404)
        try:
            learning.activate(session, g.workspace.id, version_id, g.user.id)
        except LookupError:
            abort(404)
    elif action == "retrain":
        # the page it returns to says "started" and follows the job to its end
        learning.request_retrain(session, g.workspace.id, g.user.id)
    else:
        abort(404)
    session.commit()
    return redirect(url_for("settings.model"))
