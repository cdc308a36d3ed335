"""The jobs. Each takes ids, reloads what it needs and is safe to run twice.

They are thin: the work is in service functions (:mod:`inbox.sync`,
:mod:`inbox.outbox`, :mod:`inbox.triage`) that the views and the command line
call too. The runtime comes from :func:`crm.runtime.get_runtime`, which a
worker process builds from its environment.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from crm.runtime import get_runtime
from models import ReplyStatus

log = logging.getLogger(__name__)


def sync_channel(channel_id: int) -> int:
    """Fetch what is new on a channel; returns the number of messages stored."""
    from inbox import sync, triage

    report = sync.sync_channel(get_runtime(), channel_id, classify=triage.classify_items)
    return report.ingest.created


def send_reply(reply_id: int) -> str:
    from inbox import outbox

    status = outbox.send_reply(get_runtime(), reply_id)
    return status.value if isinstance(status, ReplyStatus) else str(status)


def classify_messages(message_ids: Sequence[int]) -> int:
    """Classify stored messages (bulk imports), then re-prioritise their conversations."""
    from inbox import triage

    rt = get_runtime()
    with rt.session() as s:
        touched = triage.classify_messages(s, message_ids)
        triage.refresh_conversations(s, sorted(touched))
    return len(touched)


def refresh_conversations(conversation_ids: Sequence[int]) -> None:
    from inbox import triage

    with get_runtime().session() as s:
        triage.refresh_conversations(s, conversation_ids)


def process_webhook(event_id: int) -> int:
    """Turn a stored webhook delivery into messages."""
    from inbox import triage, webhooks

    return webhooks.process(get_runtime(), event_id, classify=triage.classify_items).created


def index_search() -> int:
    """Add what was stored since the last run to the full-text index (SQLite)."""
    from crm.services import search

    with get_runtime().session() as s:
        return search.catch_up(s)
