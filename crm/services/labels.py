"""Labels a team puts on conversations ("tour", "merch", "VIP"): created on first use."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.services.messages import N_, UserError
from models import Label

MAX_NAME = 64
# Colour names the stylesheet defines (.label-<colour>); each meets WCAG AA on its tint.
COLOURS = ("slate", "blue", "green", "amber", "rose", "violet", "teal")


class LabelError(UserError):
    """A label name that cannot be used; the message is for the person."""


def clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise LabelError(N_("A label needs a name."))
    if len(name) > MAX_NAME:
        raise LabelError(N_("Label names have at most %(n)d characters."), n=MAX_NAME)
    return name


def colour_for(name: str) -> str:
    """A stable colour per name, so "tour" looks the same in every workspace."""
    digest = hashlib.sha256(name.lower().encode()).digest()
    return COLOURS[digest[0] % len(COLOURS)]


def list_labels(session: Session, workspace_id: int) -> list[Label]:
    return list(
        session.scalars(
            select(Label).where(Label.workspace_id == workspace_id).order_by(Label.name)
        )
    )


def find(session: Session, workspace_id: int, name: str) -> Label | None:
    wanted = clean_name(name).lower()
    for label in list_labels(session, workspace_id):
        if label.name.lower() == wanted:
            return label
    return None


def get_or_create(session: Session, workspace_id: int, name: str) -> Label:
    """The workspace's label with this name (case-insensitive), created if new."""
    name = clean_name(name)
    existing = find(session, workspace_id, name)
    if existing is not None:
        return existing
    label = Label(workspace_id=workspace_id, name=name, color=colour_for(name))
    session.add(label)
    session.flush()
    return label


def get(session: Session, workspace_id: int, label_id: int) -> Label | None:
    label = session.get(Label, label_id)
    return label if label is not None and label.workspace_id == workspace_id else None
