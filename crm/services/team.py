"""The people of a workspace as the inbox needs them: who can be assigned, who can be @mentioned."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Membership, Role, User


@dataclass(frozen=True)
class Member:
    user_id: int
    name: str
    email: str
    role: Role
    handle: str  # what follows the @ in a note; unique in the workspace

    @property
    def can_triage(self) -> bool:
        return self.role.at_least(Role.AGENT)


def _slug(text: str) -> str:
    return re.sub(r"[^\w]+", "", text.lower())


def members(session: Session, workspace_id: int) -> list[Member]:
    """Active members, by name, each with a unique @handle.

    A handle is the first name ("@ada"); when two people share it, their
    whole names ("@adalovelace"); failing that, their email's local part.
    """
    rows = session.execute(
        select(User.id, User.name, User.email, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id, User.is_active.is_(True))
        .order_by(User.name, User.id)
    ).all()
    firsts = [_slug((name or "").split(" ")[0]) for _, name, _, _ in rows]
    fulls = [_slug(name or "") for _, name, _, _ in rows]
    out: list[Member] = []
    taken: set[str] = set()
    for (uid, name, email, role), first, full in zip(rows, firsts, fulls, strict=True):
        local = _slug(email.split("@")[0])
        if first and firsts.count(first) == 1:
            handle = first
        elif full and fulls.count(full) == 1 and full not in firsts:
            handle = full
        elif local and local not in taken and local not in firsts:
            handle = local
        else:
            handle = f"{local or 'user'}{uid}"
        taken.add(handle)
        out.append(Member(uid, name or email, email, role, handle))
    return out


def member(session: Session, workspace_id: int, user_id: int) -> Member | None:
    return next((m for m in members(session, workspace_id) if m.user_id == user_id), None)
