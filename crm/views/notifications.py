"""The notification list behind the bell in the top bar."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, url_for
from flask.typing import ResponseReturnValue

from crm.app import db
from crm.auth import login_required
from crm.services.conversations import database_id
from crm.views.common import is_fragment, private_response, see_other
from inbox import notifications

bp = Blueprint("notifications", __name__)
bp.after_request(private_response)


@bp.get("/notifications")
@login_required()
def index() -> ResponseReturnValue:
    items = notifications.recent(db(), g.user.id)
    return render_template("notifications.html", items=items)


@bp.post("/notifications/read")
@login_required()
def mark_read() -> ResponseReturnValue:
    raw = request.form.get("id", "")
    notifications.mark_read(db(), g.user.id, database_id(raw))
    db().commit()
    if is_fragment():
        items = notifications.recent(db(), g.user.id)
        return render_template("_notification_list.html", items=items, oob_count=True)
    return see_other(url_for("notifications.index"))
