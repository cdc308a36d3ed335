"""Turning models into the JSON shapes the OpenAPI document describes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models import Channel, Conversation, Fan, Identity, Message, Reply


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def conversation(c: Conversation, channel: Channel, fan: Fan | None) -> dict[str, Any]:
    return {
        "id": c.id,
        "network": channel.network,
        "channel": channel.handle,
        "kind": c.kind.value,
        "subject": c.subject,
        "status": c.status.value,
        "snooze_until": iso(c.snooze_until),
        "priority": c.priority.value,
        "priority_score": c.priority_score,
        "priority_reasons": list(c.priority_reasons or []),
        "intent": c.intent,
        "is_spam": c.is_spam,
        "assignee_id": c.assignee_id,
        "waiting_for_us": c.waiting_for_us,
        "message_count": c.message_count,
        "preview": c.last_message_preview,
        "last_activity_at": iso(c.last_activity_at),
        "fan": fan_summary(fan) if fan else None,
    }


def fan_summary(f: Fan) -> dict[str, Any]:
    return {
        "id": f.id,
        "name": f.display_name,
        "segment": f.segment.value,
        "engagement_score": round(float(f.engagement_score), 2),
    }


def identity(i: Identity) -> dict[str, Any]:
    return {
        "network": i.network,
        "external_id": i.external_id,
        "handle": i.handle,
        "name": i.display_name,
        "profile_url": i.profile_url,
    }


def fan(f: Fan, identities: list[Identity]) -> dict[str, Any]:
    return {
        **fan_summary(f),
        "message_count": f.message_count,
        "first_seen_at": iso(f.first_seen_at),
        "last_seen_at": iso(f.last_seen_at),
        "identities": [identity(i) for i in identities],
    }


def message(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "external_id": m.external_id,
        "direction": m.direction.value,
        "kind": m.kind.value,
        "text": m.text,
        "lang": m.lang,
        "sent_at": iso(m.sent_at),
        "url": m.url,
        "author": identity(m.author) if m.author else None,
        "edited_at": iso(m.edited_at),
        "deleted": m.deleted_at is not None,
        "classification": None
        if m.classified_at is None
        else {
            "intent": m.intent,
            "sentiment": m.sentiment,
            "spam": bool(m.spam),
            "spam_score": m.spam_score,
            "toxic": bool(m.toxic),
            "reasons": list(m.reasons or []),
        },
    }


def reply(r: Reply) -> dict[str, Any]:
    return {
        "id": r.id,
        "conversation_id": r.conversation_id,
        "status": r.status.value,
        "text": r.text,
        "external_id": r.external_id,
        "error": r.error,
        "created_at": iso(r.created_at),
        "sent_at": iso(r.sent_at),
    }
