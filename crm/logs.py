"""Logs a person can follow: request ids, JSON when asked, and never a secret.

Every request gets an id (``X-Request-ID``: the proxy's, when it sent a sane
one, else a new one), returned in the response and written on every log line
the request causes, so one failing click can be found among thousands. With
``UNPLUGGED_LOG_FORMAT=json`` each line is one JSON object for a log shipper.

The web server logs each request line, query string included. Some query strings
carry secrets for a moment: an OAuth ``code`` and ``state`` on the way back from
a network, X's ``crc_token``, a Meta ``hub.verify_token``. :class:`RedactSecrets`
replaces their values before a record is written, for the development server
(``werkzeug``) and gunicorn's access log alike.
"""

from __future__ import annotations

import json
import logging
import re
import uuid

from flask import Flask, Response, g, has_request_context, request

SECRET_PARAMS = (
    "code",
    "state",
    "crc_token",
    "hub.verify_token",
    "hub.challenge",
    "token",
    "access_token",
    "oauth_token",
    "oauth_verifier",
)
_PARAM = re.compile(
    r"(?P<key>(?:^|(?<=[?&;]))(?:" + "|".join(re.escape(p) for p in SECRET_PARAMS) + r"))="
    r"(?P<value>[^&\s\"';]*)"
)
LOGGERS = ("werkzeug", "gunicorn.access")


def redact(text: str) -> str:
    """``text`` with the value of every secret query parameter replaced."""
    return _PARAM.sub(lambda m: f"{m.group('key')}=[redacted]", text)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and arguments so no secret parameter is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        return True


def install() -> None:
    """Add the filter to the request loggers (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())


REQUEST_ID_HEADER = "X-Request-ID"
HANDLER_NAME = "unplugged"
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        rid = g.get("request_id") if has_request_context() else None
        record.request_id = rid or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(log_format: str) -> None:
    """Root logging for a serving process: text (default) or JSON, with request ids.

    A process that already logs somewhere (a test runner, an embedding program)
    keeps its handlers; only the handler this module adds is shaped here.
    """
    root = logging.getLogger()
    if not root.handlers:
        stream = logging.StreamHandler()
        stream.set_name(HANDLER_NAME)
        root.addHandler(stream)
        root.setLevel(logging.INFO)
    for handler in root.handlers:
        if handler.get_name() != HANDLER_NAME:
            continue
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
        handler.setFormatter(
            JsonFormatter()
            if log_format == "json"
            else logging.Formatter(
                "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
            )
        )
    install()


def init_app(app: Flask) -> None:
    """Give every request an id, and answer with it."""

    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _SANE_ID.fullmatch(incoming) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        rid = g.get("request_id")
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
        return response
