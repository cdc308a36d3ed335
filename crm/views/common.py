"""What every inbox view needs: the reader's zone, HTMX request kinds, the inbox context.

The inbox context is the view and filters a conversation was opened from.
It travels in the URL (``/c/12?view=needs-reply&network=x``) and in a hidden
``nav`` field of every form, so "next", "back" and "after done" stay in the
list the person was working through.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import abort, g, redirect, request, url_for
from flask_babel import gettext
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from crm.app import db
from crm.services import saved_views
from crm.services.conversations import FILTER_PARAMS, BadFilter, InboxFilter, parse_filter
from crm.services.messages import UserError, Words

NAV_PARAMS = ("view", *FILTER_PARAMS)


def error_text(exc: Exception) -> str:
    """An error's message in the reader's language (service errors carry their msgid)."""
    if isinstance(exc, UserError):
        params = {
            name: ", ".join(gettext(part) for part in value.parts)
            if isinstance(value, Words)
            else value
            for name, value in exc.params.items()
        }
        return gettext(exc.message, **params)
    return str(exc)


def is_fragment() -> bool:
    """An HTMX request for part of a page (not a boosted navigation)."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted")


def hx_target() -> str | None:
    return request.headers.get("HX-Target") if is_fragment() else None


def user_zone() -> ZoneInfo:
    name = getattr(getattr(g, "user", None), "timezone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def private_response(response: Response) -> Response:
    """Pages are per person and differ by HTMX headers: never shared, never mixed up."""
    response.headers.setdefault("Cache-Control", "private, no-cache")
    response.vary.update(["HX-Request", "HX-Target", "HX-Boosted"])
    return response


def see_other(url: str) -> Response:
    """Post/redirect/get: a 303 so a reload never repeats the action."""
    return redirect(url, code=303)


@dataclass(frozen=True)
class InboxContext:
    view: saved_views.ResolvedView
    filter: InboxFilter
    explicit: list[str]  # the filter fields the URL set on top of the view
    args: MultiDict[str, str]  # the inbox parameters only (no cursor, no form fields)

    @cached_property
    def query(self) -> str:
        """The parameters as a query string, to carry into thread links and forms."""
        return urlencode(list(self.args.items(multi=True)))

    def has(self, param: str, value: str) -> bool:
        return value in self.args.getlist(param)

    def value(self, param: str) -> str:
        return self.args.get(param, "")

    @property
    def refined(self) -> bool:
        return any(k != "view" and k != "q" for k in self.args)

    def url(self, endpoint: str = "inbox.index", **values: Any) -> str:
        base = url_for(endpoint, **values)  # values the route does not take become a query
        if not self.query:
            return base
        return base + ("&" if "?" in base else "?") + self.query

    @cached_property
    def _thread_url_parts(self) -> tuple[str, str]:
        marker = 2_147_483_647
        head, _, tail = self.url("inbox.thread", conversation_id=marker).partition(str(marker))
        return head, tail

    def thread_url(self, conversation_id: int) -> str:
        """``url("inbox.thread", conversation_id=...)``, built once per page: a list has 50."""
        head, tail = self._thread_url_parts
        return f"{head}{conversation_id}{tail}"


def nav_args(source: MultiDict[str, str]) -> MultiDict[str, str]:
    return MultiDict(
        [(k, v[:200]) for k, v in source.items(multi=True) if k in NAV_PARAMS and v != ""]
    )


def inbox_context(source: MultiDict[str, str] | None = None) -> InboxContext:
    """The view and filters of this request (the URL, or a form's ``nav`` field)."""
    if source is None:
        source = request.args if request.method == "GET" else form_nav()
    args = nav_args(source)
    try:
        view = saved_views.resolve(
            db(), g.workspace.id, g.user.id, args.get("view") or None, user_zone()
        )
    except saved_views.ViewError:
        abort(404)
    try:
        flt, explicit = parse_filter(args, user_id=g.user.id, zone=user_zone(), base=view.base)
    except BadFilter as exc:
        abort(400, description=error_text(exc))
    return InboxContext(view, flt, explicit, args)


def form_nav() -> MultiDict[str, str]:
    """The inbox context a form carried in its hidden ``nav`` field."""
    raw = request.form.get("nav", "")[:2000]
    return MultiDict(parse_qsl(raw, keep_blank_values=False)) if raw else MultiDict()
