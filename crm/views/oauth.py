"""The "Connect with ..." buttons of the Channels page and the networks' callbacks.

The steps themselves are service functions (``crm/services/oauth.py``); this
blueprint commits between them, so the ``state`` is used up before the code
is traded for tokens, and no transaction is held open while a network answers.

Starting a sign-in is a POST (it writes a row and, for Mastodon, registers
Unplugged on an instance), protected by the CSRF token like every form. The
page's Content-Security-Policy allows forms to submit to this site only, and
browsers apply that to the redirects that follow a submission, so the start
answers an HTMX request (the Channels page's forms are boosted) with
``HX-Redirect``: the browser then simply navigates to the network. Without
JavaScript it answers with a plain redirect.

The callback is a GET from the network: no CSRF token, which is what the
``state`` bound to the login session is for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import ngettext
from werkzeug.wrappers import Response

from crm.app import db, runtime
from crm.auth import login_required
from crm.services import oauth as svc
from crm.views.common import error_text, private_response, see_other
from models import Channel, Role

bp = Blueprint("oauth", __name__, url_prefix="/oauth")
bp.after_request(private_response)


@bp.app_context_processor
def _sign_in_context() -> dict[str, Any]:
    """``oauth_sign_in()`` for ``_oauth_buttons.html``, whichever view renders the page."""
    return {"oauth_sign_in": lambda: svc.sign_in_options(runtime().settings)}


def _requester() -> svc.Requester:
    return svc.Requester(g.workspace.id, g.user.id, g.user_session.id)


def _back(message: str, category: str = "message") -> Response:
    flash(message, category)
    return see_other(url_for("settings.channels"))


def _known(provider: str) -> None:
    if provider not in svc.PROVIDERS:
        abort(404)


@bp.post("/<provider>/start")
@login_required(Role.MANAGER)
def start(provider: str) -> ResponseReturnValue:
    _known(provider)
    network = request.form.get("network", "")
    if svc.NETWORK_PROVIDER.get(network) != provider:
        abort(404)
    session = db()
    try:
        url = svc.begin(
            session,
            runtime().box,
            runtime().settings,
            _requester(),
            network,
            instance=request.form.get("instance", "")[:300],
        )
        session.commit()
    except svc.OAuthError as exc:
        session.rollback()
        return _back(error_text(exc), "error")
    if request.headers.get("HX-Request"):
        response = Response(status=204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


@bp.get("/<provider>/callback")
@login_required(Role.MANAGER)
def callback(provider: str) -> ResponseReturnValue:
    _known(provider)
    session = db()
    box, settings = runtime().box, runtime().settings
    try:
        pending = svc.claim(session, box, provider, request.args.get("state", ""), _requester())
    except svc.OAuthError as exc:
        session.commit()  # the state is used up even when refused
        return _back(error_text(exc), "error")
    session.commit()
    try:
        finished = svc.finish(session, box, settings, pending, request.args.to_dict())
        session.commit()
    except svc.OAuthError as exc:
        session.rollback()
        return _back(error_text(exc), "error")
    if finished.choice_ticket:
        return see_other(url_for("oauth.pick", ticket=finished.choice_ticket))
    return _back(_connected_message(finished.connected))


@bp.get("/meta/pick")
@login_required(Role.MANAGER)
def pick() -> ResponseReturnValue:
    ticket = request.args.get("ticket", "")
    try:
        network, choices = svc.pending_choices(db(), runtime().box, ticket, _requester())
    except svc.OAuthError as exc:
        return _back(error_text(exc), "error")
    return render_template(
        "oauth_pick_account.html",
        network=network,
        network_label=svc.NETWORK_LABELS[network],
        choices=choices,
        ticket=ticket,
    )


@bp.post("/meta/pick")
@login_required(Role.MANAGER)
def choose() -> ResponseReturnValue:
    ticket = request.form.get("ticket", "")
    session = db()
    try:
        connected = svc.choose(
            session,
            runtime().box,
            runtime().settings,
            ticket,
            request.form.getlist("account")[:100],
            _requester(),
        )
        session.commit()
    except svc.StateRefused as exc:
        session.rollback()
        return _back(error_text(exc), "error")
    except svc.OAuthError as exc:
        session.rollback()
        flash(error_text(exc), "error")
        return see_other(url_for("oauth.pick", ticket=ticket))
    return _back(_connected_message(connected))


def _connected_message(connected: Sequence[Channel]) -> str:
    names = ", ".join(f"{svc.NETWORK_LABELS[c.network]} {c.handle}" for c in connected)
    return ngettext(
        "Connected %(names)s. The first sync is on its way.",
        "Connected %(names)s. The first syncs are on their way.",
        len(connected),
        names=names,
    )
