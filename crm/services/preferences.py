"""A person's own settings: language, time zone, and whether notifications also come by email."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones

from sqlalchemy.orm import Session

from crm.services.messages import N_, UserError
from models import AuditEvent, User

LOCALES = {"en": "English", "fr": "Français"}  # each name in its own language


class PreferenceError(UserError):
    """A setting that cannot be used; the message is for the person."""


@lru_cache(maxsize=1)
def timezones() -> tuple[str, ...]:
    """Time zones people live in (Area/City), plus UTC, sorted."""
    zones = {
        z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
    }
    return ("UTC", *sorted(zones))


def update(
    session: Session, user: User, *, locale: str, timezone: str, notify_by_email: bool
) -> None:
    if locale not in LOCALES:
        raise PreferenceError(N_("Unknown language."))
    if timezone not in timezones():
        raise PreferenceError(N_("Unknown time zone."))
    user.locale, user.timezone, user.notify_by_email = locale, timezone, notify_by_email
    session.add(
        AuditEvent(
            user_id=user.id,
            action="user.preferences",
            subject_type="user",
            subject_id=user.id,
            data={"locale": locale, "timezone": timezone, "notify_by_email": notify_by_email},
        )
    )
