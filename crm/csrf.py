"""CSRF protection that works with HTMX and never times out under an open tab.

The token is a random secret tied to the login session (or, before login, to
the browser's signed cookie). Forms send it as ``csrf_token``; HTMX requests
send it in the ``X-CSRF-Token`` header (set by ``static/app.js`` from a meta
tag). It lasts as long as the session, so a tab left open all day still works.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, g, request, session

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
EXEMPT_PREFIXES = ("/api/", "/webhooks/")  # token-authenticated / signature-verified


def csrf_token() -> str:
    if getattr(g, "user_session", None) is not None:
        token: str = g.user_session.csrf_secret
        return token
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    anon: str = session["csrf"]
    return anon


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def _check_csrf() -> None:
        if request.method in SAFE_METHODS or request.path.startswith(EXEMPT_PREFIXES):
            return
        sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
        if not sent or not hmac.compare_digest(sent, csrf_token()):
            abort(400, description="The form expired or came from elsewhere. Reload the page.")
