"""The demo: a workspace, its owner and sandbox channels with two weeks of fan traffic.

``unplugged demo`` (run by ``make demo``) calls :func:`setup`. It is
idempotent: run again, it keeps what is there, tops up the history and resets
the demo owner's password to the one it prints.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from crm.services import accounts
from inbox.runtime import Runtime
from models import Channel, ChannelHealth, Conversation, Message, Role, User, Workspace

DEMO_EMAIL = "demo@unplugged.local"
# the local demo's login, printed on purpose (bandit B105)
DEMO_PASSWORD = "listen-to-the-fans"  # nosec B105
DEMO_LIVE_INTERVAL_S = 30


@dataclass(frozen=True)
class DemoInfo:
    workspace: str
    email: str
    password: str
    channels: int
    conversations: int
    messages: int

    def summary(self) -> str:
        return (
            f"Demo workspace '{self.workspace}': {self.channels} sandbox channels, "
            f"{self.conversations} conversations, {self.messages} messages.\n"
            f"Log in as {self.email} with password {self.password}"
        )


def setup(rt: Runtime, *, history_days: int = 14, reset: bool = False) -> DemoInfo:
    from crm import migrate
    from crm.security import hash_password
    from inbox import sync, triage
    from inbox.sandbox.artist import DEFAULT_ARTIST, DEFAULT_DEMO_CHANNELS

    if reset and rt.settings.is_sqlite:
        import models

        models.Base.metadata.drop_all(rt.engine)
        with rt.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    migrate.upgrade(rt.engine)
    with rt.session() as s:
        ws = s.scalar(select(Workspace).where(Workspace.name == DEFAULT_ARTIST.name))
        if ws is None:
            ws = accounts.create_workspace(s, DEFAULT_ARTIST.name, timezone="Europe/Paris")
        user = s.scalar(select(User).where(User.email == DEMO_EMAIL))
        if user is None:
            user = accounts.create_user(s, DEMO_EMAIL, "Demo Manager", DEMO_PASSWORD)
        else:
            user.password_hash = hash_password(DEMO_PASSWORD)
        user.timezone = "Europe/Paris"
        accounts.add_member(s, ws, user, Role.OWNER)
        channel_ids = []
        for demo in DEFAULT_DEMO_CHANNELS:
            ch = s.scalar(
                select(Channel).where(
                    Channel.workspace_id == ws.id,
                    Channel.network == demo.network,
                    Channel.handle == demo.handle,
                )
            )
            if ch is None:
                ch = Channel(
                    workspace_id=ws.id,
                    network=demo.network,
                    connector="sandbox",
                    handle=demo.handle,
                    external_id=f"sandbox:{demo.network}:{demo.handle}",
                    display_name=demo.display_name,
                    health=ChannelHealth.PENDING,
                    sync_interval_s=DEMO_LIVE_INTERVAL_S,
                    options=demo.options(history_days=history_days),
                )
                s.add(ch)
                s.flush()
            channel_ids.append(ch.id)
        ws_id, ws_name = ws.id, ws.name
    for cid in channel_ids:
        sync.sync_channel(rt, cid, classify=triage.for_workspace(ws_id), max_pages=1000)
    with rt.session() as s:
        from sqlalchemy import func

        convs = (
            s.scalar(
                select(func.count())
                .select_from(Conversation)
                .where(Conversation.workspace_id == ws_id)
            )
            or 0
        )
        msgs = (
            s.scalar(select(func.count()).select_from(Message).where(Message.workspace_id == ws_id))
            or 0
        )
    return DemoInfo(ws_name, DEMO_EMAIL, DEMO_PASSWORD, len(channel_ids), convs, msgs)
