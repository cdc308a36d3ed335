"""The Flask application factory."""

from __future__ import annotations

import gc
import logging
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from crm import logs
from crm.services.count_cache import CountCache
from inbox.config import Settings
from inbox.runtime import Runtime, build_runtime, set_runtime

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
STATIC = Path(__file__).resolve().parent / "static"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> Flask:
    """Build the app. Settings are read here, from the environment unless given."""
    if runtime is None:
        runtime = build_runtime(settings or Settings.from_env())
    settings = runtime.settings
    set_runtime(runtime)
    app = Flask(
        "unplugged",
        template_folder=str(TEMPLATES),
        static_folder=str(STATIC),
        instance_path=str(settings.instance_path.resolve()),
    )
    # Ids in paths are row ids: past a signed 64-bit integer they name nothing (404),
    # rather than reaching the database as a number it cannot hold.
    app.url_map.converters["int"] = RowIdConverter
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="unplugged_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.extensions["unplugged"] = runtime
    # Sidebar counts belong to the web app: the runtime below it knows nothing of pages.
    counts = CountCache()
    counts.watch(runtime.engine)
    app.extensions["unplugged.counts"] = counts
    logs.configure(settings.log_format)

    from crm import auth, csrf, filters
    from crm.api import views as api_views
    from crm.views import composer as composer_views
    from crm.views import fans as fan_views
    from crm.views import i18n
    from crm.views import inbox as inbox_views
    from crm.views import live as live_views
    from crm.views import notifications as notification_views
    from crm.views import oauth as oauth_views
    from crm.views import posting as posting_views
    from crm.views import preferences as preference_views
    from crm.views import review as review_views
    from crm.views import saved_views as saved_view_views
    from crm.views import settings as settings_views
    from crm.views import team as team_views
    from crm.views import triage as triage_views
    from crm.views import webhooks as webhook_views

    @app.before_request
    def _posting_upload_allowance() -> None:
        """The Posting form carries up to 4 images: its own request cap, set before any
        hook (CSRF) reads the form; every other route keeps MAX_CONTENT_LENGTH."""
        if request.endpoint == "posting.create":
            request.max_content_length = posting_views.MAX_REQUEST_BYTES

    logs.init_app(app)
    auth.init_app(app)
    csrf.init_app(app)
    filters.init_app(app)
    i18n.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(inbox_views.bp)
    app.register_blueprint(triage_views.bp)
    app.register_blueprint(live_views.bp)
    app.register_blueprint(notification_views.bp)
    app.register_blueprint(preference_views.bp)
    app.register_blueprint(saved_view_views.bp)
    app.register_blueprint(webhook_views.bp)
    app.register_blueprint(settings_views.bp)
    app.register_blueprint(oauth_views.bp)
    app.register_blueprint(api_views.bp)
    app.register_blueprint(review_views.bp)
    app.register_blueprint(fan_views.bp)
    app.register_blueprint(composer_views.bp)
    app.register_blueprint(team_views.bp)
    app.register_blueprint(posting_views.bp)

    @app.teardown_appcontext
    def _close_session(exc: BaseException | None) -> None:
        session: Session | None = g.pop("db", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if settings.secure_cookies:
            # Served over https (cookies are Secure): browsers must never fall back to http.
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if request.headers.get("HX-Request") or response.mimetype == "text/html":
            response.vary.add("HX-Request")
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        """An HTTP error on a page, in the reader's language (Werkzeug's own page is
        English); the API and webhooks keep their own answers, headers (Allow,
        Retry-After) are kept."""
        if exc.code is None or exc.response is not None:
            return exc
        if request.path.startswith(("/api/", "/webhooks/", "/static/")):
            return exc
        from crm.views.errors import http_error_words

        title, text = http_error_words(exc.code)
        if exc.description and exc.description != type(exc).description:
            text = exc.description  # the view's own words (already in the reader's language)
        response = exc.get_response()
        response.set_data(render_template("error.html", title=title, text=text))
        response.mimetype = "text/html"
        return response

    @app.errorhandler(OverflowError)
    @app.errorhandler(RecursionError)
    @app.errorhandler(UnicodeEncodeError)
    def _unreadable_input(exc: Exception) -> tuple[dict[str, str] | str, int]:
        """The last line of defence against input no check caught: a number too large for
        the database, a date past the calendar, a lone surrogate, nesting too deep. The
        request's session is rolled back when it closes, so nothing is half-written."""
        logging.getLogger("unplugged.web").warning(
            "refused unreadable input on %s: %s", request.path, type(exc).__name__
        )
        message = "This request holds a value out of range or characters that cannot be stored."
        if request.path.startswith("/api/"):
            return {"error": message}, 400
        return message, 400

    @app.get("/favicon.ico")
    def favicon() -> ResponseReturnValue:
        """Browsers ask for /favicon.ico where a page names no icon (an HTMX fragment opened
        on its own, a JSON answer): send them to the app's icon instead of a 404."""
        return redirect(url_for("static", filename="favicon.svg"), 301)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        """Alive: the process answers (a load balancer's liveness probe)."""
        return {"ok": True}

    @app.get("/readyz")
    def readyz() -> tuple[dict[str, object], int]:
        """Ready: the database (and Redis in rq mode) answer; 503 while they do not."""
        from inbox import health

        report = health.check(runtime)
        return report.to_json(), 200 if report.ok else 503

    return app


class RowIdConverter(IntegerConverter):
    """``<int:...>`` bounded to the ids a database row can have."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        if kwargs.get("signed"):
            kwargs.setdefault("min", -(2**63))
        super().__init__(url_map, *args, **kwargs)


GC_GEN0_THRESHOLD = 10_000  # Python's default is 700


def settle_for_serving() -> None:
    """Garbage-collector settings for a long-lived web process, once the app is built.

    A page allocates tens of thousands of short-lived objects (rows, markup), so
    with Python's defaults the collector runs several times per request, and now
    and then a full collection walks every object the process holds, stalling
    that request by tens of milliseconds. Objects made at start-up (the app, its
    modules, the models) live as long as the process: ``gc.freeze`` moves them out
    of the collector's way, and a young generation of 10,000 objects lets most
    requests finish between collections. Called by ``unplugged serve`` and by the
    WSGI entry point (gunicorn), not by tests, which build many apps.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, older, oldest)


def runtime() -> Runtime:
    from flask import current_app

    rt: Runtime = current_app.extensions["unplugged"]
    return rt


def count_cache() -> CountCache:
    """This app's sidebar counts (see :mod:`crm.services.count_cache`)."""
    from flask import current_app

    counts: CountCache = current_app.extensions["unplugged.counts"]
    return counts


def db() -> Session:
    """The request's database session (committed explicitly by the view)."""
    if "db" not in g:
        g.db = runtime().sessionmaker()
    session: Session = g.db
    return session
