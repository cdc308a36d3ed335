"""The people of a workspace: who can be assigned or @mentioned, and the owners' changes
to the team (roles, removal with its sessions and API tokens, the signature rule)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from crm.services.messages import N_
from models import (
    ApiToken,
    AuditEvent,
    Membership,
    Role,
    User,
    UserSession,
    Workspace,
    utcnow,
)


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


class TeamError(ValueError):
    """A change to the team that is not allowed; the message says why."""


class NotMember(TeamError):
    """The person named is not in this workspace (a view answers 404)."""


def _membership(session: Session, workspace_id: int, user_id: int) -> Membership:
    m = session.scalar(
        select(Membership).where(
            Membership.workspace_id == workspace_id, Membership.user_id == user_id
        )
    )
    if m is None:
        raise NotMember(N_("That person is not a member of this workspace."))
    return m


def _owners(session: Session, workspace_id: int) -> int:
    return len(
        session.scalars(
            select(Membership.id).where(
                Membership.workspace_id == workspace_id, Membership.role == Role.OWNER
            )
        ).all()
    )


def change_role(
    session: Session, workspace_id: int, actor_id: int, user_id: int, role: Role
) -> None:
    """An owner sets a member's role; the last owner stays an owner."""
    m = _membership(session, workspace_id, user_id)
    if m.role == Role.OWNER and role != Role.OWNER and _owners(session, workspace_id) <= 1:
        raise TeamError(N_("A workspace needs an owner: make someone else owner first."))
    before = m.role
    m.role = role
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            user_id=actor_id,
            action="team.role_changed",
            data={"user_id": user_id, "from": before.value, "to": role.value},
        )
    )


def remove_member(session: Session, workspace_id: int, actor_id: int, user_id: int) -> int:
    """Take someone out of the workspace: their membership, their sessions in it and
    their API tokens for it end now. Returns how many sessions and tokens ended."""
    m = _membership(session, workspace_id, user_id)
    if m.role == Role.OWNER and _owners(session, workspace_id) <= 1:
        raise TeamError(N_("A workspace needs an owner: make someone else owner first."))
    session.delete(m)
    ended = session.execute(
        delete(UserSession).where(
            UserSession.user_id == user_id,
            (UserSession.workspace_id == workspace_id) | UserSession.workspace_id.is_(None),
        )
    ).rowcount  # type: ignore[attr-defined]
    revoked = session.execute(
        update(ApiToken)
        .where(
            ApiToken.user_id == user_id,
            ApiToken.workspace_id == workspace_id,
            ApiToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    ).rowcount  # type: ignore[attr-defined]
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            user_id=actor_id,
            action="team.removed",
            data={"user_id": user_id, "sessions": ended, "api_tokens": revoked},
        )
    )
    return int(ended) + int(revoked)


def set_signature_rule(session: Session, workspace: Workspace, actor_id: int, on: bool) -> None:
    """Whether team members other than owners sign their replies (see crm.services.drafts)."""
    workspace.require_team_signature = on
    session.add(
        AuditEvent(
            workspace_id=workspace.id,
            user_id=actor_id,
            action="team.signature_rule",
            data={"require_team_signature": on},
        )
    )
