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
    """Classify stored messages (bulk imports) with the fast reading, re-prioritise their
    conversations, then queue the full reading behind the other classification work."""
    return _classify_and_refresh(message_ids, fast=True)


def refine_messages(message_ids: Sequence[int]) -> int:
    """Give messages that only had the fast reading the full one (the sentence encoder),
    then re-prioritise their fans and conversations. Safe to run twice: a message
    already read in full is not read again."""
    return _classify_and_refresh(message_ids, refine=True)


def _classify_and_refresh(
    message_ids: Sequence[int], *, fast: bool = False, refine: bool = False
) -> int:
    """One reading of the messages, then their fans' segments and conversations' priorities;
    after a fast reading, the full one is queued (it runs once the session commits)."""
    from sqlalchemy import select

    from inbox import triage
    from inbox.queue import defer
    from models import Conversation

    rt = get_runtime()
    with rt.session() as s:
        touched = triage.classify_messages(s, message_ids, fast=fast, refine=refine)
        if fast:
            defer(s, refine_messages, list(message_ids), queue="classify")
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


def drain_webhooks() -> int:
    """Turn the webhook deliveries waiting for their first try into messages, in batches."""
    from inbox import triage, webhooks

    return webhooks.drain(get_runtime(), classifier_for=triage.for_workspace).created


def index_search() -> int:
    """Add what was stored since the last run to the full-text index (SQLite)."""
    from models.search import catch_up

    with get_runtime().session() as s:
        return catch_up(s.connection())


def retrain_workspace(workspace_id: int) -> str:
    """Train the workspace's next model from the shipped data and its corrections."""
    from inbox import learning

    rt = get_runtime()
    try:
        return learning.retrain(rt, workspace_id).version
    except Exception as exc:
        learning.record_retrain_failure(rt, workspace_id, exc)  # the page says it ended
        raise


def send_digests() -> int:
    """Send the weekly digests that are due (each workspace's once a week); returns how
    many addresses were written to."""
    from inbox import digest

    return len(digest.send_due(get_runtime()))
