"""Inbox views: the built-in ones every workspace has, and the ones people save.

A view is a starting :class:`InboxFilter`; filters picked on screen narrow it.
Built-in views are code (their names are translated by the templates); a
saved view stores the URL parameters that were on screen, including which
built-in view they refined, and belongs to the person who saved it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from crm.services.conversations import (
    FILTER_PARAMS,
    BadFilter,
    InboxFilter,
    Sort,
    parse_filter,
)
from crm.services.messages import N_, UserError
from models import ConversationStatus, SavedView, Segment

MAX_SAVED = 30
MAX_NAME = 60


class ViewError(UserError):
    """A view that cannot be saved or found; the message is for the person."""


@dataclass(frozen=True)
class BuiltinView:
    key: str
    make: Callable[[int], InboxFilter]  # user id -> filter
    counted: bool = True  # shown with a live count in the sidebar


BUILTIN: tuple[BuiltinView, ...] = (
    # The landing view reads what matters first: priority, then the newest.
    BuiltinView("inbox", lambda uid: InboxFilter(sort=Sort.PRIORITY)),
    BuiltinView("needs-reply", lambda uid: InboxFilter(waiting_for_us=True, sort=Sort.PRIORITY)),
    BuiltinView(
        "booking-press",
        lambda uid: InboxFilter(intents=("booking", "press", "collab"), sort=Sort.PRIORITY),
    ),
    BuiltinView(
        "support", lambda uid: InboxFilter(intents=("support", "complaint"), sort=Sort.PRIORITY)
    ),
    BuiltinView("superfans", lambda uid: InboxFilter(segments=(Segment.SUPERFAN,))),
    BuiltinView("mine", lambda uid: InboxFilter(assignee_id=uid, sort=Sort.PRIORITY)),
    BuiltinView("spam", lambda uid: InboxFilter(spam=True)),
    BuiltinView(
        "snoozed", lambda uid: InboxFilter(status=ConversationStatus.SNOOZED), counted=False
    ),
    BuiltinView("done", lambda uid: InboxFilter(status=ConversationStatus.DONE), counted=False),
)
BUILTIN_BY_KEY = {v.key: v for v in BUILTIN}
DEFAULT_VIEW = "inbox"


@dataclass(frozen=True)
class ResolvedView:
    key: str  # a built-in key, or "saved-<id>"
    base: InboxFilter
    builtin_key: str  # the built-in view it starts from
    saved: SavedView | None = None


def _saved_id(key: str) -> int | None:
    if key.startswith("saved-") and key[6:].isdigit():
        return int(key[6:])
    return None


def resolve(
    session: Session, workspace_id: int, user_id: int, key: str | None, zone: ZoneInfo
) -> ResolvedView:
    """The view named ``key`` for this person; raises :class:`ViewError` if there is none."""
    key = key or DEFAULT_VIEW
    if key in BUILTIN_BY_KEY:
        return ResolvedView(key, BUILTIN_BY_KEY[key].make(user_id), key)
    saved_id = _saved_id(key)
    saved = session.get(SavedView, saved_id) if saved_id is not None else None
    if saved is None or saved.workspace_id != workspace_id or saved.user_id != user_id:
        raise ViewError(N_("There is no such view."))
    query = MultiDict([(k, v) for k, values in saved.query.items() for v in values])
    stored = query.get("view") or DEFAULT_VIEW
    builtin_key = stored if stored in BUILTIN_BY_KEY else DEFAULT_VIEW
    base = BUILTIN_BY_KEY[builtin_key].make(user_id)
    try:
        flt, _ = parse_filter(query, user_id=user_id, zone=zone, base=base)
    except BadFilter:
        flt = base
    return ResolvedView(key, flt, builtin_key, saved)


def list_saved(session: Session, workspace_id: int, user_id: int) -> list[SavedView]:
    return list(
        session.scalars(
            select(SavedView)
            .where(SavedView.workspace_id == workspace_id, SavedView.user_id == user_id)
            .order_by(SavedView.name)
        )
    )


def counted_views(
    session: Session, workspace_id: int, user_id: int, zone: ZoneInfo
) -> dict[str, InboxFilter]:
    """Every view with a live count in the sidebar, by key."""
    views = {v.key: v.make(user_id) for v in BUILTIN if v.counted}
    for saved in list_saved(session, workspace_id, user_id):
        key = f"saved-{saved.id}"
        views[key] = resolve(session, workspace_id, user_id, key, zone).base
    return views


def save(
    session: Session,
    workspace_id: int,
    user_id: int,
    name: str,
    query: Mapping[str, Sequence[str]],
) -> SavedView:
    """Save the on-screen filters (``query``: URL parameters) under ``name``."""
    name = " ".join(name.split())[:MAX_NAME]
    if not name:
        raise ViewError(N_("A view needs a name."))
    kept = {k: [v for v in vs if v][:20] for k, vs in query.items() if k in FILTER_PARAMS}
    kept = {k: vs for k, vs in kept.items() if vs}
    base = query.get("view", [DEFAULT_VIEW])
    kept["view"] = [base[0] if base and base[0] in BUILTIN_BY_KEY else DEFAULT_VIEW]
    if len(list_saved(session, workspace_id, user_id)) >= MAX_SAVED:
        raise ViewError(N_("You can keep at most %(n)d views."), n=MAX_SAVED)
    view = SavedView(workspace_id=workspace_id, user_id=user_id, name=name, query=kept)
    try:
        with session.begin_nested():
            session.add(view)
            session.flush()
    except IntegrityError:
        raise ViewError(N_("You already have a view with that name.")) from None
    return view


def remove(session: Session, workspace_id: int, user_id: int, view_id: int) -> bool:
    result = session.execute(
        delete(SavedView).where(
            SavedView.id == view_id,
            SavedView.workspace_id == workspace_id,
            SavedView.user_id == user_id,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
