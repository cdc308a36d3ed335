"""Login, logout and the per-request user, workspace and role."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from crm.app import db, runtime
from crm.services import accounts
from models import Role

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])


def init_app(app: Flask) -> None:
    @app.before_request
    def _load_user() -> None:
        g.user = g.user_session = g.workspace = g.membership = None
        token = session.get("sid")
        if not token:
            return
        signed_in = accounts.load_session(db(), token)
        if signed_in is None:
            session.pop("sid", None)
            return
        g.user_session, g.user = signed_in.session, signed_in.user
        g.membership, g.workspace = signed_in.membership, signed_in.workspace
        if signed_in.touched:
            db().commit()  # last_seen_at


def login_required(role: Role = Role.VIEWER) -> Callable[[F], F]:
    """Views need a logged-in member of the current workspace with at least ``role``."""

    def deco(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.user is None:
                if request.headers.get("HX-Request"):
                    resp = Response(status=401)
                    resp.headers["HX-Redirect"] = url_for("auth.login", next=request.path)
                    return resp
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if g.membership is None:
                abort(403)
            if not g.membership.role.at_least(role):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return deco


def is_local_path(target: str | None) -> bool:
    """Whether ``target`` is a path on this site and nothing a browser could read as another.

    Browsers drop tabs and newlines inside URLs and read a backslash as a slash,
    so ``/\t/evil.example`` is ``//evil.example``: any control character, space
    or backslash is refused, and so is anything with a scheme or a host.
    """
    if not target or len(target) > 2000 or not target.startswith("/"):
        return False
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not target.startswith("//")


def _safe_next(target: str | None) -> str:
    return target if target and is_local_path(target) else url_for("inbox.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    if request.method == "POST":
        email = request.form.get("email", "")[:254]
        password = request.form.get("password", "")[:1024]
        user = accounts.authenticate(db(), email, password)
        if user is None:
            error = "Wrong email or password."
            db().commit()
        else:
            new = accounts.start_session(
                db(), user, runtime().settings.session_days, request.headers.get("User-Agent", "")
            )
            db().commit()
            session.clear()
            session["sid"] = new.token
            session.permanent = True
            return redirect(_safe_next(request.form.get("next")))
    status = 401 if error else 200
    return render_template("login.html", error=error, next=request.args.get("next", "")), status


@bp.post("/logout")
def logout() -> Response:
    token = session.get("sid")
    if token:
        accounts.end_session(db(), token)
        db().commit()
    session.clear()
    return redirect(url_for("auth.login"))
