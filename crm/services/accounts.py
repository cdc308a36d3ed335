"""Workspaces, users, memberships and login sessions."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm.security import hash_password, needs_rehash, verify_password
from models import AuditEvent, Membership, Role, User, UserSession, Workspace, utcnow

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message is for the person."""


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60] or "workspace"


def create_workspace(session: Session, name: str, timezone: str = "UTC") -> Workspace:
    name = name.strip()
    if not name:
        raise AccountError("A workspace needs a name.")
    base = slugify(name)
    slug, n = base, 1
    while session.scalar(select(Workspace.id).where(Workspace.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    ws = Workspace(name=name[:120], slug=slug, timezone=timezone)
    session.add(ws)
    session.flush()
    return ws


def create_user(
    session: Session, email: str, name: str, password: str, *, locale: str = "en"
) -> User:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise AccountError("That does not look like an email address.")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Passwords need at least {MIN_PASSWORD} characters.")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError("A user with that email already exists.")
    user = User(
        email=email,
        name=name.strip()[:120] or email,
        password_hash=hash_password(password),
        locale=locale,
    )
    session.add(user)
    session.flush()
    return user


def add_member(session: Session, workspace: Workspace, user: User, role: Role) -> Membership:
    existing = session.scalar(
        select(Membership).where(
            Membership.workspace_id == workspace.id, Membership.user_id == user.id
        )
    )
    if existing is not None:
        existing.role = role
        return existing
    m = Membership(workspace_id=workspace.id, user_id=user.id, role=role)
    session.add(m)
    session.flush()
    return m


def authenticate(session: Session, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active:
        # Spend the same time as a real check, so timing does not reveal accounts.
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


_DUMMY_HASH = hash_password(secrets.token_hex(8))


@dataclass(frozen=True)
class NewSession:
    token: str  # goes in the cookie; only its hash is stored
    row: UserSession


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, days: int, user_agent: str = "") -> NewSession:
    token = secrets.token_urlsafe(32)
    membership = session.scalar(
        select(Membership).where(Membership.user_id == user.id).order_by(Membership.id).limit(1)
    )
    row = UserSession(
        id=_digest(token),
        user_id=user.id,
        csrf_secret=secrets.token_urlsafe(32),
        workspace_id=membership.workspace_id if membership else None,
        user_agent=user_agent[:255],
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(row)
    session.add(AuditEvent(workspace_id=row.workspace_id, user_id=user.id, action="user.login"))
    session.flush()
    return NewSession(token, row)


@dataclass(frozen=True)
class SignedIn:
    """Who is behind a request: their session, and their membership of its workspace."""

    session: UserSession
    user: User
    membership: Membership | None
    workspace: Workspace | None
    touched: bool  # last_seen_at moved: the caller commits


def load_session(session: Session, token: str) -> SignedIn | None:
    """The live session for ``token`` with its user and membership, in one query
    (every request asks)."""
    found = session.execute(
        select(UserSession, User, Membership, Workspace)
        .join(User, User.id == UserSession.user_id)
        .outerjoin(
            Membership,
            (Membership.user_id == UserSession.user_id)
            & (Membership.workspace_id == UserSession.workspace_id),
        )
        .outerjoin(Workspace, Workspace.id == Membership.workspace_id)
        .where(UserSession.id == _digest(token))
    ).first()
    if found is None:
        return None
    row, user, member, workspace = found
    now = utcnow()
    if row.expires_at < now or not user.is_active:
        return None
    touched = (now - row.last_seen_at) > timedelta(minutes=5)
    if touched:
        row.last_seen_at = now
    return SignedIn(row, user, member, workspace, touched)


def end_session(session: Session, token: str) -> None:
    session.execute(delete(UserSession).where(UserSession.id == _digest(token)))


def membership(session: Session, user_id: int, workspace_id: int) -> Membership | None:
    return session.scalar(
        select(Membership).where(
            Membership.user_id == user_id, Membership.workspace_id == workspace_id
        )
    )


def acting_user(session: Session, workspace_id: int, email: str | None, role: Role) -> User:
    """Who does something from outside the web app (the command line): ``email``, else the
    workspace's first owner. Either way a member with at least ``role``, as the web asks.

    Every action has a person behind it in the audit trail, and a reply is always
    written by someone: there is no anonymous or automatic sender.
    """
    if email:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        member = membership(session, user.id, workspace_id) if user else None
        if user is None or member is None:
            raise AccountError(f"{email} is not a member of this workspace.")
        if not member.role.at_least(role):
            raise AccountError(
                f"{email} is a {member.role.value}: this needs the {role.value} role or above."
            )
        return user
    owner = session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == workspace_id, Membership.role == Role.OWNER)
        .order_by(Membership.id)
        .limit(1)
    )
    if owner is None:
        raise AccountError("This workspace has no owner: say who acts with --as EMAIL.")
    return owner
