"""Owners invite teammates by email: a link that works once, until it expires.

Only the sha256 of the link's token is stored, so a database read does not
hand out working links. Accepting creates the account (or, for an address
that already has one, asks its password) and the membership with the role the
owner chose; every step is in the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.services import accounts
from crm.services.messages import N_
from inbox import mail
from models import AuditEvent, Invitation, Membership, Role, User, Workspace, utcnow

VALID_FOR = timedelta(days=7)


class InvitationError(ValueError):
    """The invitation cannot be made or used; the message says why."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(
    session: Session, workspace: Workspace, inviter: User, email: str, role: Role, link_base: str
) -> str:
    """Invite ``email`` with ``role``; the link (``link_base`` + token) is mailed once
    this transaction commits. Returns the token (shown to no one but the mail)."""
    email = email.strip().lower()
    if not accounts._EMAIL.match(email) or len(email) > 254:
        raise InvitationError(N_("That does not look like an email address."))
    member = session.scalar(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == workspace.id, User.email == email)
    )
    if member is not None:
        raise InvitationError(N_("That person is already a member of this workspace."))
    token = secrets.token_urlsafe(32)
    now = utcnow()
    inv = Invitation(
        workspace_id=workspace.id,
        email=email,
        role=role,
        token_hash=_digest(token),
        invited_by_id=inviter.id,
        created_at=now,
        expires_at=now + VALID_FOR,
    )
    session.add(inv)
    session.flush()
    session.add(
        AuditEvent(
            workspace_id=workspace.id,
            user_id=inviter.id,
            action="team.invited",
            data={"invitation_id": inv.id, "email": email, "role": role.value},
        )
    )
    link = f"{link_base.rstrip('/')}/invite/{token}"
    mail.send_email(
        session,
        email,
        f"{inviter.name} invites you to {workspace.name} on Unplugged",
        f"{inviter.name} invites you to answer fans with them in {workspace.name} "
        f"({role.value}).\n\nJoin here (the link works once, until "
        f"{inv.expires_at:%Y-%m-%d %H:%M} UTC):\n{link}\n",
    )
    return token


def pending(session: Session, workspace_id: int) -> list[Invitation]:
    now = utcnow()
    return list(
        session.scalars(
            select(Invitation)
            .where(
                Invitation.workspace_id == workspace_id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.created_at.desc())
        )
    )


def find(session: Session, token: str) -> Invitation | None:
    """The invitation this link opens, if it is still usable."""
    if not token or len(token) > 100:
        return None
    inv = session.scalar(select(Invitation).where(Invitation.token_hash == _digest(token)))
    if inv is None or inv.accepted_at or inv.revoked_at or inv.expires_at <= utcnow():
        return None
    return inv


def accept(session: Session, token: str, name: str, password: str) -> User:
    """Join through the link: a new account with ``password``, or the existing
    account of the invited address if ``password`` is its password."""
    inv = find(session, token)
    if inv is None:
        raise InvitationError(N_("This invitation has expired, was used or was withdrawn."))
    user = session.scalar(select(User).where(User.email == inv.email))
    if user is None:
        try:
            user = accounts.create_user(session, inv.email, name or inv.email, password)
        except accounts.AccountError as exc:
            raise InvitationError(str(exc)) from None
    elif accounts.authenticate(session, inv.email, password) is None:
        raise InvitationError(N_("That address has an account: enter its password to join."))
    workspace = session.get_one(Workspace, inv.workspace_id)
    accounts.add_member(session, workspace, user, inv.role)
    inv.accepted_at = utcnow()
    session.add(
        AuditEvent(
            workspace_id=inv.workspace_id,
            user_id=user.id,
            action="team.joined",
            data={"invitation_id": inv.id, "role": inv.role.value},
        )
    )
    return user


def revoke(session: Session, workspace_id: int, invitation_id: int, actor_id: int) -> bool:
    inv = session.get(Invitation, invitation_id)
    if inv is None or inv.workspace_id != workspace_id or inv.accepted_at or inv.revoked_at:
        return False
    inv.revoked_at = utcnow()
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            user_id=actor_id,
            action="team.invitation_revoked",
            data={"invitation_id": inv.id, "email": inv.email},
        )
    )
    return True
