"""Creating, checking and revoking personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.services import accounts
from models import ApiToken, AuditEvent, Membership, User, utcnow

PREFIX = "unp_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(session: Session, user: User, workspace_id: int, name: str) -> str:
    """A new token (shown once; only its hash is kept)."""
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            token_sha256=_digest(token),
            user_id=user.id,
            workspace_id=workspace_id,
            name=name.strip()[:120] or "API token",
        )
    )
    session.add(
        AuditEvent(
            workspace_id=workspace_id,
            user_id=user.id,
            action="api_token.created",
            data={"name": name[:120]},
        )
    )
    return token


@dataclass(frozen=True)
class TokenOwner:
    token: ApiToken
    user: User
    membership: Membership


def authenticate(session: Session, token: str) -> TokenOwner | None:
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    membership = accounts.membership(session, row.user_id, row.workspace_id)
    if user is None or not user.is_active or membership is None:
        return None
    row.last_used_at = utcnow()
    return TokenOwner(row, user, membership)


def revoke(session: Session, token_id: int, user_id: int) -> bool:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        return False
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(
            AuditEvent(
                workspace_id=row.workspace_id,
                user_id=user_id,
                action="api_token.revoked",
                data={"token_id": row.id, "name": row.name},
            )
        )
    return True


def tokens_of(session: Session, user_id: int, workspace_id: int) -> list[ApiToken]:
    """A person's tokens for this workspace, newest first (revoked ones too, marked)."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.workspace_id == workspace_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )
