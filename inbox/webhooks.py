"""Webhook deliveries: stored fast by the view, turned into messages by a job.

:func:`store` is what the view calls after checking the signature: one insert,
de-duplicated by the body's hash, and a job queued after commit.
:func:`process` (the job) reloads the delivery by id, finds the channel each
entry is for, and feeds the items to the same pipeline as polling. Polling
stays on as the safety net for deliveries a network never makes.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox.connectors.base import Author, IncomingItem
from inbox.pipeline import ChannelRef, Classify, IngestReport, ingest
from inbox.queue import defer
from inbox.runtime import Runtime
from models import Channel, WebhookEvent, utcnow

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


class BadDelivery(ValueError):
    pass


def parse_delivery(raw_body: bytes) -> Any:
    """The delivery's JSON, or :class:`BadDelivery`: too large, not UTF-8, not JSON,
    nested too deeply to read, or holding a lone surrogate no database can store.
    A signature proves who sent a body, not that it is sane."""
    if len(raw_body) > MAX_BODY:
        raise BadDelivery("body too large")
    try:
        payload = json.loads(raw_body.decode("utf-8"))
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except RecursionError:
        raise BadDelivery("body is nested too deeply") from None
    except UnicodeEncodeError:
        raise BadDelivery("body holds a lone surrogate escape") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadDelivery(f"body is not JSON: {str(exc)[:100]}") from None
    return payload


def store(session: Session, source: str, raw_body: bytes) -> tuple[int, bool]:
    """Store a verified delivery; returns (event id, whether it is new)."""
    parse_delivery(raw_body)
    text = raw_body.decode("utf-8")
    digest = hashlib.sha256(raw_body).hexdigest()
    existing = session.scalar(select(WebhookEvent.id).where(WebhookEvent.body_sha256 == digest))
    if existing is not None:
        return existing, False
    event = WebhookEvent(source=source, body_sha256=digest, body=text)
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:  # the same delivery, stored by a concurrent request
        found = session.scalar(select(WebhookEvent.id).where(WebhookEvent.body_sha256 == digest))
        return int(found or 0), False
    from inbox import jobs

    defer(session, jobs.process_webhook, event.id, queue="sync", job_id=f"webhook-{event.id}")
    return event.id, True


def _meta_batches(payload: Any) -> Iterable[tuple[str, str, Callable[..., Any]]]:
    """(network, account id, parser) for each entry of a Meta delivery."""
    from inbox.connectors import facebook, instagram

    kind = payload.get("object") if isinstance(payload, dict) else None
    parsers: dict[str, tuple[Callable[..., Any], str]] = {
        "instagram": (instagram.parse_webhook, "instagram"),
        "page": (facebook.parse_webhook, "facebook"),
    }
    if not isinstance(kind, str) or kind not in parsers:
        raise BadDelivery(f"unknown Meta object {kind!r}")
    parser, network = parsers[kind]
    accounts = {str(e.get("id")) for e in payload.get("entry", []) if isinstance(e, dict)}
    for account in sorted(accounts):
        yield network, account, parser


def _x_time(value: str) -> datetime:
    return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)


def x_activity_items(payload: dict[str, Any]) -> list[IncomingItem]:
    """Account Activity ``tweet_create_events`` (v1.1 tweet objects) as items."""
    items = []
    for tweet in payload.get("tweet_create_events", []):
        try:
            user = tweet["user"]
            text = tweet.get("extended_tweet", {}).get("full_text") or tweet["text"]
            items.append(
                IncomingItem(
                    external_id=str(tweet["id_str"]),
                    text=text,
                    created_at=_x_time(tweet["created_at"]),
                    author=Author(
                        str(user["id_str"]), user.get("screen_name", ""), user.get("name", "")
                    ),
                    kind="reply" if tweet.get("in_reply_to_status_id_str") else "mention",
                    parent_id=tweet.get("in_reply_to_status_id_str"),
                    url=f"https://x.com/{user.get('screen_name', 'i')}/status/{tweet['id_str']}",
                    raw=tweet,
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("malformed X activity tweet skipped: %s; raw=%r", exc, tweet)
    return items


def process(
    rt: Runtime, event_id: int, classifier_for: Callable[[int], Classify] | None = None
) -> IngestReport:
    """Turn a stored delivery into messages. Safe to run twice (the pipeline de-duplicates)."""
    report = IngestReport()
    with rt.session() as s:
        event = s.get(WebhookEvent, event_id)
        if event is None or event.processed_at is not None:
            return report
        event.attempts += 1
        payload = json.loads(event.body)
        try:
            if event.source == "meta":
                for network, account, parser in _meta_batches(payload):
                    channel = _channel(s, network, account)
                    if channel is None:
                        log.info("Meta webhook for unknown %s account %s", network, account)
                        continue
                    batch = parser(payload, account)
                    items = list(batch.items)
                    malformed = list(batch.malformed)
                    if batch.mentions:  # Instagram names mentions by id only: read them
                        from inbox.connectors.instagram import InstagramConnector
                        from inbox.sync import build_connector

                        connector = build_connector(rt, channel)
                        assert isinstance(connector, InstagramConnector)
                        fetched = connector.fetch_mentions(batch.mentions)
                        items += fetched.items
                        malformed += fetched.malformed
                    for reason, raw in malformed:
                        log.warning("channel %s: %s; raw=%r", channel.label, reason, raw)
                    classify = classifier_for(channel.workspace_id) if classifier_for else None
                    report.merge(ingest(s, ChannelRef.of(channel), items, classify))
            elif event.source == "x":
                channel = _channel(s, "x", str(payload.get("for_user_id", "")))
                if channel is not None:
                    items = x_activity_items(payload)
                    classify = classifier_for(channel.workspace_id) if classifier_for else None
                    report.merge(ingest(s, ChannelRef.of(channel), items, classify))
            else:
                raise BadDelivery(f"unknown source {event.source!r}")
        except (BadDelivery, ValueError) as exc:  # an unusable envelope: kept, marked, skipped
            log.warning("webhook %s unusable: %s", event_id, exc)
            event.error = str(exc)
        event.processed_at = utcnow()
    return report


def _channel(session: Session, network: str, account_id: str) -> Channel | None:
    return session.scalar(
        select(Channel).where(Channel.network == network, Channel.external_id == account_id)
    )
