"""Saving the filters on screen as a named view, and removing one."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, abort, flash, g, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from crm.app import db
from crm.auth import login_required
from crm.services import saved_views
from crm.views.common import error_text, form_nav, private_response, see_other

bp = Blueprint("views", __name__)
bp.after_request(private_response)


@bp.post("/views")
@login_required()
def save() -> ResponseReturnValue:
    nav = form_nav()
    query = {k: nav.getlist(k) for k in nav}
    try:
        view = saved_views.save(
            db(), g.workspace.id, g.user.id, request.form.get("name", ""), query
        )
    except saved_views.ViewError as exc:
        db().rollback()
        flash(error_text(exc), "error")
        return see_other(url_for("inbox.index") + "?" + urlencode(list(nav.items(multi=True))))
    db().commit()
    flash(_("View saved."))
    return see_other(url_for("inbox.index", view=f"saved-{view.id}"))


@bp.post("/views/<int:view_id>/delete")
@login_required()
def delete(view_id: int) -> ResponseReturnValue:
    if not saved_views.remove(db(), g.workspace.id, g.user.id, view_id):
        abort(404)
    db().commit()
    flash(_("View removed."))
    return see_other(url_for("inbox.index"))
