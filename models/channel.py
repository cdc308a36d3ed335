"""A channel is one connected account on one network (the artist's X handle, their
YouTube channel, a mailbox...). Credentials are stored encrypted; the sync cursor
and connector state live beside them so a sync can resume exactly where it stopped."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, str_enum, utcnow

NETWORKS = ("x", "instagram", "facebook", "youtube", "mastodon", "bluesky", "email")


class ChannelHealth(enum.StrEnum):
    OK = "ok"
    PENDING = "pending"  # never synced yet
    DEGRADED = "degraded"  # last sync failed, will retry with backoff
    NEEDS_RECONNECT = "needs_reconnect"  # credentials revoked or expired: a person must act
    PAUSED = "paused"


class Channel(Base):
    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("workspace_id", "network", "handle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True
    )
    network: Mapped[str] = mapped_column(String(16))  # one of NETWORKS: the style of the network
    # Which connector talks to it: the network's own, or "sandbox" for the demo network
    # that plays fan traffic in that network's style.
    connector: Mapped[str] = mapped_column(String(16))
    handle: Mapped[str] = mapped_column(String(255))  # the artist's handle / address on it
    external_id: Mapped[str | None] = mapped_column(String(255))  # the account id on the network
    display_name: Mapped[str] = mapped_column(String(255), default="")
    base_url: Mapped[str | None] = mapped_column(String(500))  # self-hosted servers, tests
    credentials_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Choices a person made for the connector (backfill window, the sandbox's seed and rates).
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # What a connector keeps between runs besides the cursor: refreshed tokens, a
    # session, a quota budget, the sandbox's pending fan answers. Encrypted like the
    # credentials, since refreshed tokens are credentials.
    state_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    health: Mapped[ChannelHealth] = mapped_column(
        str_enum(ChannelHealth, "channel_health"), default=ChannelHealth.PENDING
    )
    sync_enabled: Mapped[bool] = mapped_column(default=True)
    sync_interval_s: Mapped[int] = mapped_column(default=120)
    last_synced_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    next_sync_at: Mapped[datetime | None]
    # When a sync last asked the network which recent messages were deleted (for the
    # networks whose feeds never say so; see inbox.sync.check_deletions).
    deletions_checked_at: Mapped[datetime | None]
    # A lease, not a lock: the sync that holds it renews it after every page, and a
    # worker that dies leaves it to expire, so another worker resumes within minutes.
    sync_lease_owner: Mapped[str | None] = mapped_column(String(64))
    sync_lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def label(self) -> str:
        return f"{self.network}:{self.handle}"
