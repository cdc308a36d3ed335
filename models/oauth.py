"""Server-side memory of "Connect with ..." sign-ins (see ``crm/services/oauth.py``).

A sign-in leaves Unplugged for the network's consent page and comes back on a
callback URL that anyone could forge. What makes the callback trustworthy is
kept here rather than in the browser: the ``state`` value (only its hash, so a
database reader cannot complete someone's sign-in), which login session it
belongs to, and the PKCE verifier. Rows are single use and short lived.

Mastodon has no central developer site: Unplugged registers itself as an app
on each instance the first time someone signs in there, and reuses that
registration afterwards (instances rate-limit app creation).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class OAuthState(Base):
    """One sign-in in flight, or (stage ``choose``) the accounts waiting for a person's pick.

    ``secrets_encrypted`` holds, encrypted with the credential keys, what must
    never reach the browser: the PKCE verifier while the person is away at the
    network, then for Meta the tokens of the Pages they may choose from.
    """

    __tablename__ = "oauth_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    state_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    stage: Mapped[str] = mapped_column(String(16))  # "authorize" or "choose"
    provider: Mapped[str] = mapped_column(String(16))  # x, mastodon, google, meta
    network: Mapped[str] = mapped_column(String(16))  # the channel network it will connect
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The login session that started it: logging out ends the sign-in too.
    user_session_id: Mapped[str] = mapped_column(
        ForeignKey("user_sessions.id", ondelete="CASCADE"), index=True
    )
    instance_url: Mapped[str | None] = mapped_column(String(500))  # Mastodon only
    secrets_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class MastodonApp(Base):
    """Unplugged's app registration on one Mastodon instance, for one redirect URI."""

    __tablename__ = "oauth_mastodon_apps"
    __table_args__ = (UniqueConstraint("instance_url", "redirect_uri"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_url: Mapped[str] = mapped_column(String(500))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scopes: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
