"""Snoozing: out of the inbox until a time, or until the fan writes again.

A fan writing again always reopens a snoozed conversation (the sync pipeline
does that), so "until they reply" is a snooze with no time. Timed snoozes are
woken by :func:`inbox.wakeups.wake_due`, which the scheduler's tick and the
inbox's own requests call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm.services.messages import N_, UserError
from models import utcnow

MAX_SNOOZE = timedelta(days=366)
MORNING = time(9, 0)


class SnoozeError(UserError):
    """A snooze time that cannot be used; the message is for the person."""


@dataclass(frozen=True)
class SnoozeChoice:
    key: str  # "later", "tomorrow", "monday", "reply"
    until: datetime | None  # UTC; None: until the fan writes again


def choices(now: datetime, zone: ZoneInfo) -> list[SnoozeChoice]:
    """The quick snoozes, computed in the reader's time zone."""
    local = now.astimezone(zone)
    tomorrow = datetime.combine(local.date() + timedelta(days=1), MORNING, tzinfo=zone)
    days_to_monday = (7 - local.weekday()) % 7 or 7
    monday = datetime.combine(local.date() + timedelta(days=days_to_monday), MORNING, tzinfo=zone)
    return [
        SnoozeChoice("later", (now + timedelta(hours=3)).replace(microsecond=0)),
        SnoozeChoice("tomorrow", tomorrow),
        SnoozeChoice("monday", monday),
        SnoozeChoice("reply", None),
    ]


def parse_until(value: str, zone: ZoneInfo, now: datetime | None = None) -> datetime | None:
    """A snooze time from a form: a quick choice key, or a local ``YYYY-MM-DDTHH:MM``.

    Returns None for "until they reply". Raises :class:`SnoozeError` for a
    time that is not in the future or more than a year away.
    """
    now = now or utcnow()
    value = value.strip()
    for choice in choices(now, zone):
        if value == choice.key:
            return choice.until
    try:
        local = datetime.fromisoformat(value)
    except ValueError:
        raise SnoozeError(N_("Pick a snooze time.")) from None
    until = local.replace(tzinfo=zone) if local.tzinfo is None else local
    if until <= now:
        raise SnoozeError(N_("A snooze must end in the future."))
    if until - now > MAX_SNOOZE:
        raise SnoozeError(N_("Snooze for at most a year."))
    return until
