"""Jinja filters: times in the reader's zone, relative ages, network names."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, g

NETWORK_NAMES = {
    "x": "X",
    "bluesky": "Bluesky",
    "instagram": "Instagram",
    "facebook": "Facebook",
    "youtube": "YouTube",
    "mastodon": "Mastodon",
    "email": "Email",
}


def _zone() -> ZoneInfo:
    name = getattr(getattr(g, "user", None), "timezone", None) or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(value: datetime | None, fmt: str = "%d %b %Y, %H:%M") -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_zone()).strftime(fmt)


def ago(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = int((now - value).total_seconds())
    if seconds < 60:
        return "now"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "now"


def network_name(value: str) -> str:
    return NETWORK_NAMES.get(value, value.title())


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(local_time=local_time, ago=ago, network_name=network_name)
    app.jinja_env.globals["new_idempotency_key"] = lambda: secrets.token_hex(16)
