"""A person's own preferences: language, time zone, email notifications.

A new language applies at once: the answer to the save is already in it.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, make_response, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from crm.app import db
from crm.auth import login_required
from crm.services import preferences
from crm.views.common import error_text, private_response, see_other
from crm.views.i18n import language_changed

bp = Blueprint("preferences", __name__)
bp.after_request(private_response)


@bp.route("/preferences", methods=["GET", "POST"])
@login_required()
def edit() -> ResponseReturnValue:
    error = None
    if request.method == "POST":
        try:
            preferences.update(
                db(),
                g.user,
                locale=request.form.get("locale", ""),
                timezone=request.form.get("timezone", ""),
                notify_by_email=request.form.get("notify_by_email") == "1",
            )
            db().commit()
            language_changed()
            flash(_("Preferences saved."))
            if request.headers.get("HX-Request") == "true":
                # A boosted form swaps the body only: the page's language (<html lang>,
                # the scripts' words, the title) changes with a full load, at once.
                response = make_response("", 204)
                response.headers["HX-Redirect"] = url_for("preferences.edit")
                return response
            return see_other(url_for("preferences.edit"))
        except preferences.PreferenceError as exc:
            db().rollback()
            error = error_text(exc)
    return render_template(
        "preferences.html",
        locales=preferences.LOCALES,
        timezones=preferences.timezones(),
        error=error,
    ), (422 if error else 200)
