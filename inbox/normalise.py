"""Validate and normalise items before they reach the database.

Network payloads are untrusted. Everything the pipeline stores passes through
here: required fields present, text bounded, times timezone-aware, kinds known.
A bad item raises :class:`BadItem` with a reason a person can read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime

from inbox.connectors.base import KINDS, IncomingItem

MAX_TEXT = 50_000  # a long email; anything longer is truncated, not rejected
MAX_ID = 255
PREVIEW_CHARS = 280
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class BadItem(ValueError):
    """An item that cannot be stored; the message says why."""


def clean_text(text: str) -> str:
    """NFC-normalised text without control characters (newlines and tabs kept)."""
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


def as_utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def normalise(item: IncomingItem) -> IncomingItem:
    if not isinstance(item.external_id, str) or not item.external_id.strip():
        raise BadItem("missing external id")
    if len(item.external_id) > MAX_ID:
        raise BadItem("external id longer than 255 characters")
    if not isinstance(item.text, str):
        raise BadItem("text is not a string")
    if not isinstance(item.created_at, datetime):
        raise BadItem("created_at is not a time")
    if item.kind not in KINDS:
        raise BadItem(f"unknown kind {item.kind!r}")
    author = item.author
    if not author.external_id or len(author.external_id) > MAX_ID:
        raise BadItem("author has no usable external id")
    for value in (item.thread_id, item.parent_id):
        if value is not None and (not isinstance(value, str) or len(value) > MAX_ID):
            raise BadItem("thread or parent id is not a string of at most 255 characters")
    text = clean_text(item.text)
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    if not text.strip() and not item.media and not item.deleted:
        raise BadItem("empty message")
    handle = clean_text(author.handle)[:MAX_ID]
    name = clean_text(author.name)[:MAX_ID]
    if handle != author.handle or name != author.name:
        author = replace(author, handle=handle, name=name)
    external_id = item.external_id.strip()
    created_at = as_utc(item.created_at)
    edited_at = as_utc(item.edited_at) if item.edited_at else None
    thread_id = item.thread_id or None
    parent_id = item.parent_id or None
    subject = clean_text(item.subject)[:500] if item.subject else None
    # Most items are clean already: copy only when something changed.
    if (
        external_id == item.external_id
        and text == item.text
        and created_at is item.created_at
        and edited_at is item.edited_at
        and thread_id is item.thread_id
        and parent_id is item.parent_id
        and author is item.author
        and subject == item.subject
    ):
        return item
    return replace(
        item,
        external_id=external_id,
        text=text,
        created_at=created_at,
        edited_at=edited_at,
        thread_id=thread_id,
        parent_id=parent_id,
        author=author,
        subject=subject,
    )
