"""The Review page: how last week's conversation with the fans went, and its CSV exports."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, flash, g, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from markupsafe import Markup

from crm.app import db
from crm.auth import login_required
from crm.services import review as review_svc
from crm.services.messages import UserError
from crm.views.common import error_text, private_response, see_other
from models import Role

bp = Blueprint("review", __name__, url_prefix="/review")
bp.after_request(private_response)

# The measures drawn as 8-week charts on the page (each with its table beside it).
CHARTED = ("messages", "reply_share", "frt_median", "returning_fans")


def duration(seconds: float | None) -> str:
    """A response time for people: "45 min", "3 h 20 min", "2 d 4 h"."""
    if seconds is None:
        return "–"
    minutes = round(seconds / 60)
    if minutes < 60:
        return gettext("%(n)d min", n=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return gettext("%(h)d h %(m)d min", h=hours, m=minutes)
    days, hours = divmod(hours, 24)
    return gettext("%(d)d d %(h)d h", d=days, h=hours)


def shown(value: float | int | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "share":
        return f"{value * 100:.0f} %"
    if unit == "seconds":
        return duration(value)
    return f"{value:,}".replace(",", " ")


def change(value: float | int | None, unit: str) -> str:
    if value is None:
        return "–"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    magnitude = abs(value)
    if unit == "share":
        return gettext("%(sign)s%(n)d pts", sign=sign, n=round(magnitude * 100))
    return sign + shown(magnitude, unit)


def _load(week: str | None) -> review_svc.Review:
    try:
        rv = review_svc.load(db(), g.workspace.id, week)
        db().commit()  # finished weeks counted now are kept (review_weeks)
        return rv
    except UserError as exc:
        abort(Response(gettext(exc.message, **exc.params), 400, mimetype="text/plain"))


def _context(rv: review_svc.Review) -> dict[str, object]:
    measures = review_svc.measure_values(rv)
    by_key = {m["key"]: m for m in measures}
    return {
        "rv": rv,
        "measures": measures,
        "charts": [by_key[k] for k in CHARTED],
        "tables": {t.key: t for t in review_svc.tables(rv)},
        "shown": shown,
        "change": change,
        "duration": duration,
    }


def standalone_html(rv: review_svc.Review, lang: str = "en") -> str:
    """The review as one self-contained HTML file (``unplugged report --format html``).

    Needs an app and request context (for translations), as the CLI sets up.
    """
    css = (Path(__file__).resolve().parent.parent / "static" / "review.css").read_text()
    own_stylesheet = Markup(css)  # nosec B704: the app's own file, never outside data
    return render_template(
        "review_report.html", **_context(rv), css=own_stylesheet, lang=lang, standalone=True
    )


@bp.get("")
@login_required(Role.VIEWER)
def index() -> ResponseReturnValue:
    week = request.args.get("week") or None
    rv = _load(week)
    return render_template(
        "review.html",
        **_context(rv),
        unanswered_query=review_svc.unanswered_query(rv),
        network_query=lambda n: review_svc.unanswered_query(rv, n),
        previous_week=str(rv.week.shifted(-1)),
        next_week=str(rv.week.shifted(1)),
        can_manage=g.membership.role.at_least(Role.MANAGER),
        workspace=g.workspace,
        hours=rv.business_hours,
    )


@bp.get("/<name>.csv")
@login_required(Role.VIEWER)
def export(name: str) -> ResponseReturnValue:
    rv = _load(request.args.get("week") or None)
    found = {t.key: t for t in review_svc.tables(rv)}.get(name)
    if found is None:
        abort(404)
    return Response(
        review_svc.to_csv(found),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="review-{rv.week}-{name}.csv"'},
    )


@bp.post("/digest")
@login_required(Role.VIEWER)
def digest() -> ResponseReturnValue:
    """Opt in to (or out of) the weekly digest email: a person's own choice, viewers' too
    (it changes nothing shared)."""
    review_svc.set_digest(db(), g.user, request.form.get("on") == "1")
    db().commit()
    flash(gettext("Weekly digest: on.") if g.user.weekly_digest else gettext("Weekly digest: off."))
    return see_other(url_for("review.index", week=request.form.get("week") or None))


@bp.post("/settings")
@login_required(Role.MANAGER)
def settings() -> ResponseReturnValue:
    """The workspace's business hours and the digest's day and hour."""
    form = request.form
    try:
        review_svc.update_settings(
            db(),
            g.workspace,
            g.user.id,
            days=form.getlist("days"),
            start=form.get("start", ""),
            end=form.get("end", ""),
            digest_weekday=form.get("digest_weekday", ""),
            digest_hour=form.get("digest_hour", ""),
        )
    except UserError as exc:
        db().rollback()
        flash(error_text(exc), "error")
    else:
        db().commit()
        flash(gettext("Review settings saved."))
    return see_other(url_for("review.index", week=form.get("week") or None))
