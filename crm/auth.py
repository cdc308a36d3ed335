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
from crm.services.count_cache import writing_as
from crm.services.login_throttle import LoginThrottle
from crm.services.messages import N_
from inbox.config import Settings
from models import Role

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])


def init_app(app: Flask) -> None:
    settings = runtime_settings(app)
    app.extensions["unplugged.login_throttle"] = LoginThrottle.for_install(
        settings.redis_url,
        settings.secret_key,
        settings.database_url,
        str(settings.instance_path),
    )

    @app.before_request
    def _load_user() -> None:
        g.user = g.user_session = g.workspace = g.membership = None
        writing_as()
        token = session.get("sid")
        if not token:
            return
        signed_in = accounts.load_session(db(), token)
        if signed_in is None:
            session.pop("sid", None)
            return
        g.user_session, g.user = signed_in.session, signed_in.user
        g.membership, g.workspace = signed_in.membership, signed_in.workspace
        writing_as(g.workspace.id, g.user.id)  # their writes drop their own sidebar counts
        if signed_in.touched:
            db().commit()  # last_seen_at

    @app.teardown_request
    def _forget_writer(_exc: BaseException | None) -> None:
        writing_as()


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

        # Read by the route matrix test: every route states who may use it.
        wrapped.required_role = role  # type: ignore[attr-defined]
        return cast(F, wrapped)

    return deco


def runtime_settings(app: Flask) -> Settings:
    settings: Settings = app.extensions["unplugged"].settings
    return settings


def login_throttle() -> LoginThrottle:
    from flask import current_app

    throttle: LoginThrottle = current_app.extensions["unplugged.login_throttle"]
    return throttle


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
    status, retry_after = 200, 0
    if request.method == "POST":
        email = request.form.get("email", "")[:254]
        password = request.form.get("password", "")[:1024]
        address = request.remote_addr or ""
        throttle = login_throttle()
        verdict = throttle.check(email, address)
        user = None
        if not verdict.allowed:
            error = N_(
                "Too many failed sign-ins. Wait 15 minutes and try again, "
                "or ask an owner to reset your password."
            )
            status, retry_after = 429, verdict.retry_after_s
        else:
            user = accounts.authenticate(db(), email, password)
            if user is None:
                throttle.failed(email, address)
                error = "Wrong email or password."
                status = 401
                db().commit()
        if user is not None:
            throttle.succeeded(email)
            new = accounts.start_session(
                db(), user, runtime().settings.session_days, request.headers.get("User-Agent", "")
            )
            db().commit()
            session.clear()
            session["sid"] = new.token
            session.permanent = True
            return redirect(_safe_next(request.form.get("next")))
    response = render_template("login.html", error=error, next=request.args.get("next", ""))
    if status == 429:
        return response, status, {"Retry-After": str(retry_after)}
    return response, status


@bp.post("/logout")
def logout() -> Response:
    token = session.get("sid")
    if token:
        accounts.end_session(db(), token)
        db().commit()
    session.clear()
    return redirect(url_for("auth.login"))
