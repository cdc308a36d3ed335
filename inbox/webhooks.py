"""Webhook deliveries: stored fast by the view, turned into messages by a job.

:func:`store` is what the view calls after checking the signature: one insert,
de-duplicated by the body's hash, and a drain queued after commit (one at a time).
:func:`drain` (the job) takes the waiting deliveries in batches; :func:`process`
finds the channel each entry is for and feeds each channel's items to the same
pipeline as polling. A delivery that failed is queued alone by the clock. Polling
stays on as the safety net for deliveries a network never makes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inbox.connectors.base import Author, IncomingItem, deleted_marker
from inbox.pipeline import ChannelRef, Classify, IngestReport, ingest
from inbox.queue import JobSpec, defer, dotted
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

    # One drain waits in the queue at a time: under load a job per delivery spent more
    # on the queue's bookkeeping than on the delivery (see :func:`drain`).
    defer(session, jobs.drain_webhooks, queue="sync", job_id=DRAIN_JOB_ID)
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
    """Account Activity ``tweet_create_events`` (v1.1 tweet objects) as items, and its
    ``tweet_delete_events`` as deletion markers: X's own word that a tweet is gone, at
    once, where the polling check (``XConnector.find_deleted``) waits for the next sync."""
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
    return items + _x_deletions(payload)  # after: a tweet made and deleted in one delivery


def _x_deletions(payload: dict[str, Any]) -> list[IncomingItem]:
    """``tweet_delete_events``: ``{"status": {"id": ..., "user_id": ...}, "timestamp_ms": ...}``
    each. A marker for a tweet never stored changes nothing (the pipeline ignores it)."""
    markers = []
    events = payload.get("tweet_delete_events")
    for event in events if isinstance(events, list) else []:
        status = event.get("status") if isinstance(event, dict) else None
        tweet_id = status.get("id") if isinstance(status, dict) else None
        if isinstance(tweet_id, int) and not isinstance(tweet_id, bool):
            tweet_id = str(tweet_id)
        if isinstance(tweet_id, str) and tweet_id.isascii() and tweet_id.isdigit():
            markers.append(deleted_marker(tweet_id))
        else:
            log.warning("malformed X delete event skipped: %r", event)
    return markers


DRAIN_BATCH = 200  # deliveries one job turns into messages together
DRAIN_BUDGET_S = 20.0  # then the drain makes way for other jobs and queues itself again
DRAIN_JOB_ID = "webhook-drain"
WEBHOOK_ATTEMPTS = 5  # a delivery that failed this often is left for a person to look at


def drain(
    rt: Runtime,
    classifier_for: Callable[[int], Classify] | None = None,
    budget_s: float = DRAIN_BUDGET_S,
) -> IngestReport:
    """Turn every fresh delivery (never tried) into messages, oldest first, in batches.

    :func:`store` queues this once per wave of deliveries, not once per delivery. A
    delivery that fails here has its attempt counted and is left to the clock
    (:mod:`inbox.scheduler`), which queues it alone with the usual spacing, so one bad
    delivery never stalls the others or burns its retries in a tight loop. When the
    budget runs out with deliveries still waiting, the drain queues itself again.
    """
    report = IngestReport()
    deadline = time.monotonic() + budget_s
    while time.monotonic() < deadline:
        with rt.session() as s:
            first = s.scalar(
                select(func.min(WebhookEvent.id)).where(
                    WebhookEvent.processed_at.is_(None), WebhookEvent.attempts == 0
                )
            )
        if first is None:
            return report
        try:
            report.merge(process(rt, first, classifier_for, fresh_only=True))
        except Exception:  # counted on the delivery; the clock tries it again alone
            log.warning("webhook drain: delivery %s left for the clock", first, exc_info=True)
    from inbox import jobs

    rt.queue.submit(JobSpec(dotted(jobs.drain_webhooks), (), "sync", DRAIN_JOB_ID))
    return report


def process(
    rt: Runtime,
    event_id: int,
    classifier_for: Callable[[int], Classify] | None = None,
    *,
    fresh_only: bool = False,
) -> IngestReport:
    """Turn the stored delivery ``event_id`` into messages, with the deliveries waiting
    beside it. Safe to run twice (the pipeline de-duplicates).

    Under load a network delivers faster than one job per delivery can keep up with:
    each job would classify one message and queue its own follow-up jobs. So the job
    for the oldest waiting delivery takes up to :data:`DRAIN_BATCH` of them at once,
    ingests each channel's items in one call (one classifier batch, one set of
    follow-up jobs), and the jobs of the deliveries it took find them done and return.
    Rows another worker holds are skipped (``SKIP LOCKED`` on PostgreSQL); a batch that
    fails is done again one delivery at a time, so one bad delivery cannot hold up the
    others, and each delivery's attempts are counted apart from its processing, so
    one that keeps failing stops being retried.
    """
    with rt.session() as s:
        event = s.get(WebhookEvent, event_id)
        if event is None or event.processed_at is not None:
            return IngestReport()
        ids = [event_id] + [
            i
            for i in s.scalars(
                select(WebhookEvent.id)
                .where(
                    WebhookEvent.processed_at.is_(None),
                    WebhookEvent.attempts == 0
                    if fresh_only
                    else WebhookEvent.attempts < WEBHOOK_ATTEMPTS,
                    WebhookEvent.id != event_id,
                )
                .order_by(WebhookEvent.id)
                .limit(DRAIN_BATCH - 1)
            )
        ]
        claim = update(WebhookEvent).where(WebhookEvent.id.in_(ids))
        if fresh_only:  # a drain takes only what no other drain took (the update is the claim)
            claim = claim.where(WebhookEvent.attempts == 0)
        claimed = set(
            s.scalars(claim.values(attempts=WebhookEvent.attempts + 1).returning(WebhookEvent.id))
        )
        ids = [i for i in ids if i in claimed]
        if event_id not in claimed:
            return IngestReport()
    if len(ids) > 1:
        try:
            with rt.session() as s:
                return _process_events(rt, s, ids, classifier_for)
        except Exception:  # done again one delivery at a time, below
            log.warning("a batch of %d deliveries failed; one at a time", len(ids), exc_info=True)
    report = IngestReport()
    failure: Exception | None = None
    for one in ids:
        try:
            with rt.session() as s:
                report.merge(_process_events(rt, s, [one], classifier_for))
        except Exception as exc:  # raised again once the others are done
            log.warning("webhook %s failed", one, exc_info=True)
            failure = failure or exc
    if failure is not None:
        raise failure
    return report


def _process_events(
    rt: Runtime,
    s: Session,
    ids: list[int],
    classifier_for: Callable[[int], Classify] | None,
) -> IngestReport:
    """Ingest the deliveries ``ids`` that are still waiting, each channel's items in one call."""
    events = s.scalars(
        select(WebhookEvent)
        .where(WebhookEvent.id.in_(ids), WebhookEvent.processed_at.is_(None))
        .order_by(WebhookEvent.id)
        .with_for_update(skip_locked=True)
    ).all()
    per_channel: dict[int, tuple[Channel, list[IncomingItem]]] = {}
    channels: dict[tuple[str, str], Channel | None] = {}

    def channel_for(network: str, account: str) -> Channel | None:
        if (network, account) not in channels:
            channels[network, account] = _channel(s, network, account)
        return channels[network, account]

    for event in events:
        try:
            for channel, items in _event_items(rt, event, channel_for):
                per_channel.setdefault(channel.id, (channel, []))[1].extend(items)
        except (BadDelivery, ValueError) as exc:  # an unusable envelope: kept, marked, skipped
            log.warning("webhook %s unusable: %s", event.id, exc)
            event.error = str(exc)
        event.processed_at = utcnow()
    report = IngestReport()
    for channel, items in per_channel.values():
        classify = classifier_for(channel.workspace_id) if classifier_for else None
        report.merge(ingest(s, ChannelRef.of(channel), items, classify))
    return report


def _event_items(
    rt: Runtime,
    event: WebhookEvent,
    channel_for: Callable[[str, str], Channel | None],
) -> list[tuple[Channel, list[IncomingItem]]]:
    """The items of one delivery, by the channel they are for (unknown accounts skipped)."""
    payload = json.loads(event.body)
    found: list[tuple[Channel, list[IncomingItem]]] = []
    if event.source == "meta":
        for network, account, parser in _meta_batches(payload):
            channel = channel_for(network, account)
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
            found.append((channel, items))
    elif event.source == "x":
        channel = channel_for("x", str(payload.get("for_user_id", "")))
        if channel is not None:
            found.append((channel, x_activity_items(payload)))
    else:
        raise BadDelivery(f"unknown source {event.source!r}")
    return found


def _channel(session: Session, network: str, account_id: str) -> Channel | None:
    return session.scalar(
        select(Channel).where(Channel.network == network, Channel.external_id == account_id)
    )
