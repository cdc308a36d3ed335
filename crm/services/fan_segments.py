"""Saved segments of the fans list: save the filters on screen under a name, list, open, delete.

A segment belongs to the workspace, so the whole team shares "French superfans"
and sees the same people. What is stored is the list's own query string, read
back through :class:`crm.services.fans.FanFilter`: a segment saved with a label
that was later deleted still opens (and simply finds nobody with that label),
and a value the list no longer knows is refused when saved, never stored.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.services.fans import FanFilter
from crm.services.messages import N_, UserError
from models import AuditEvent, FanSegment

MAX_SEGMENTS = 50
MAX_NAME = 60


class SegmentError(UserError):
    """A segment that cannot be saved or found; the message is for the person."""


def list_segments(session: Session, workspace_id: int) -> list[FanSegment]:
    return list(
        session.scalars(
            select(FanSegment)
            .where(FanSegment.workspace_id == workspace_id)
            .order_by(FanSegment.name, FanSegment.id)
        )
    )


def get(session: Session, workspace_id: int, segment_id: int) -> FanSegment | None:
    seg = session.get(FanSegment, segment_id)
    return seg if seg is not None and seg.workspace_id == workspace_id else None


def save(
    session: Session, workspace_id: int, user_id: int, name: str, args: Mapping[str, str]
) -> FanSegment:
    """Save the fans list's filters (``args``: its query string) as ``name`` for the workspace.

    Raises :class:`crm.services.fans.FanError` for a filter the list would refuse
    and :class:`SegmentError` for a missing or taken name.
    """
    name = " ".join(name.split())[:MAX_NAME]
    if not name:
        raise SegmentError(N_("A segment needs a name."))
    flt = FanFilter.from_args(args)
    query = flt.args(offset=0)
    if not query:
        raise SegmentError(N_("Pick at least one filter to save as a segment."))
    count = session.scalar(
        select(func.count()).select_from(FanSegment).where(FanSegment.workspace_id == workspace_id)
    )
    if (count or 0) >= MAX_SEGMENTS:
        raise SegmentError(N_("A workspace keeps at most %(n)d segments."), n=MAX_SEGMENTS)
    seg = FanSegment(workspace_id=workspace_id, name=name, query=query, created_by_id=user_id)
    try:
        with session.begin_nested():
            session.add(seg)
            session.flush()
    except IntegrityError:
        raise SegmentError(N_("There is already a segment with that name.")) from None
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            user_id=user_id,
            action="fan_segment.saved",
            data={"segment_id": seg.id, "name": name, "query": query},
        )
    )
    return seg


def remove(session: Session, workspace_id: int, user_id: int, segment_id: int) -> bool:
    seg = get(session, workspace_id, segment_id)
    if seg is None:
        return False
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            user_id=user_id,
            action="fan_segment.deleted",
            data={"segment_id": seg.id, "name": seg.name},
        )
    )
    session.execute(delete(FanSegment).where(FanSegment.id == seg.id))
    return True


def matching(segments: list[FanSegment], flt: FanFilter) -> FanSegment | None:
    """The saved segment whose filters are exactly those on screen (shown as the current one)."""
    current = flt.args(offset=0)
    return next((s for s in segments if s.query == current), None)
