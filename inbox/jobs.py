"""The jobs. Each takes ids, reloads what it needs and is safe to run twice.

They are thin: the work is in service functions (:mod:`inbox.sync`,
:mod:`inbox.outbox`, :mod:`inbox.triage`) that the views and the command line
call too. The runtime comes from :func:`inbox.runtime.get_runtime`, which a
worker process builds from its environment.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from inbox.runtime import get_runtime
from models import ReplyStatus

log = logging.getLogger(__name__)


def sync_channel(channel_id: int) -> int:
    """Fetch what is new on a channel; returns the number of messages stored."""
    from inbox import sync, triage
    from models import Channel

    rt = get_runtime()
    with rt.session() as s:
        channel = s.get(Channel, channel_id)
        if channel is None:
            return 0
        workspace_id = channel.workspace_id
    report = sync.sync_channel(rt, channel_id, classify=triage.for_workspace(workspace_id))
    return report.ingest.created


def send_reply(reply_id: int) -> str:
    from inbox import outbox

    status = outbox.send_reply(get_runtime(), reply_id)
    return status.value if isinstance(status, ReplyStatus) else str(status)


def classify_messages(message_ids: Sequence[int]) -> int:
    """Classify stored messages (bulk imports), then re-prioritise their conversations."""
    from sqlalchemy import select

    from inbox import triage
    from models import Conversation

    rt = get_runtime()
    with rt.session() as s:
        touched = triage.classify_messages(s, message_ids)
        fans = s.scalars(
            select(Conversation.fan_id).where(
                Conversation.id.in_(sorted(touched)), Conversation.fan_id.is_not(None)
            )
        ).all()
        triage.refresh_fans(s, [f for f in fans if f is not None])
        triage.refresh_conversations(s, sorted(touched))
    return len(touched)


def after_ingest(fan_ids: Sequence[int], conversation_ids: Sequence[int]) -> None:
    """Fans' segments first (a superfan's message ranks higher), then conversations."""
    from inbox import triage

    with get_runtime().session() as s:
        triage.refresh_fans(s, fan_ids)
        triage.refresh_conversations(s, conversation_ids)


def process_webhook(event_id: int) -> int:
    """Turn a stored webhook delivery into messages."""
    from inbox import triage, webhooks

    return webhooks.process(get_runtime(), event_id, classifier_for=triage.for_workspace).created


def index_search() -> int:
    """Add what was stored since the last run to the full-text index (SQLite)."""
    from models.search import catch_up

    with get_runtime().session() as s:
        return catch_up(s.connection())


def retrain_workspace(workspace_id: int) -> str:
    """Train the workspace's next model from the shipped data and its corrections."""
    from inbox import learning

    return learning.retrain(get_runtime(), workspace_id).version
