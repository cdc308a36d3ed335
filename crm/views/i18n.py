"""Languages and local time: Flask-Babel, chosen per person, and the filters templates use.

The language is the person's own (``User.locale``, set on the preferences
page), else the browser's preference among the catalogs we ship; times are
shown in ``User.timezone``. The labels of enum values (intents, priorities,
views...) are translated here, in one place, so services stay free of Flask.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from babel.dates import format_date, format_skeleton, format_time, format_timedelta
from babel.numbers import format_decimal
from flask import Flask, g, request
from flask_babel import Babel, get_locale, get_translations, refresh
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from markupsafe import Markup, escape

from crm.filters import network_name
from crm.services import review
from crm.services.conversations import AtLeast, search_terms
from crm.services.email_html import clean_email_html
from crm.services.preferences import LOCALES
from crm.views.common import user_zone
from crm.views.reasons import reason

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

VIEW_TITLES = {
    "inbox": _lp("view", "All open"),
    "needs-reply": _lp("view", "Needs reply"),
    "booking-press": _lp("view", "Booking & press"),
    "support": _lp("view", "Support"),
    "superfans": _lp("view", "Superfans"),
    "mine": _lp("view", "Mine"),
    "spam": _lp("view", "Spam"),
    "snoozed": _lp("view", "Snoozed"),
    "done": _lp("view", "Done"),
}
INTENT_LABELS = {
    "question": _l("Question"),
    "booking": _l("Booking"),
    "press": _l("Press"),
    "collab": _l("Collaboration"),
    "support": _l("Support"),
    "praise": _l("Praise"),
    "complaint": _l("Complaint"),
    "other": _l("Other"),
}
PRIORITY_LABELS = {
    "urgent": _l("Urgent"),
    "high": _l("High"),
    "normal": _l("Normal"),
    "low": _l("Low"),
}
SEGMENT_LABELS = {
    "new": _l("New fan"),
    "regular": _l("Regular"),
    "superfan": _l("Superfan"),
    "lapsed": _l("Lapsed"),
    "industry": _l("Industry"),
    "bot": _l("Bot"),
    "troll": _l("Troll"),
}
STATUS_LABELS = {
    "open": _lp("conversation status", "Open"),
    "snoozed": _lp("conversation status", "Snoozed"),
    "done": _lp("conversation status", "Done"),
}
SENTIMENT_LABELS = {
    "positive": _l("Positive"),
    "neutral": _l("Neutral"),
    "negative": _l("Negative"),
}
KIND_LABELS = {
    "mention": _l("Mention"),
    "comment": _l("Comment"),
    "reply": _l("Reply"),
    "dm": _l("Direct message"),
    "email": _l("Email"),
}
REPLY_STATUS_LABELS = {
    "draft": _l("Draft"),
    "queued": _l("Queued"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "unknown": _l("Unknown: did it leave?"),
    "cancelled": _l("Undone"),
}
SNOOZE_LABELS = {
    "later": _l("Later today"),
    "tomorrow": _l("Tomorrow morning"),
    "monday": _l("Next Monday"),
    "reply": _l("Until they write again"),
}

# Messages written outside this package that templates translate (crm/auth.py).
EXTERNAL_MESSAGES = (_l("Wrong email or password."),)


def select_locale() -> str:
    user = getattr(g, "user", None)
    if user is not None and user.locale in LOCALES:
        return str(user.locale)
    return request.accept_languages.best_match(list(LOCALES)) or "en"


def select_timezone() -> str:
    return str(user_zone())


def _local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(user_zone())


# The app's formats, one per kind, all from the reader's locale (Babel's CLDR data):
# a full date is ``DATE_SKELETON`` ("Mar 1, 2026", "1 mars 2026"), a full date and time
# adds the locale's short time (:func:`when`), a time within the week is a weekday and
# that time (:func:`soon`), a past moment in a list is relative (:func:`age`), and a
# count has the locale's digit grouping (:func:`number`).
DATE_SKELETON = "yMMMd"


def when(value: datetime | None) -> str:
    """A date and time in the reader's language and zone: "1 mars 2026 18:05"."""
    if value is None:
        return ""
    local, locale = _local(value), get_locale()
    return (
        f"{format_skeleton(DATE_SKELETON, local, locale=locale)} "
        f"{format_time(local, 'short', locale=locale)}"
    )


def day(value: date | datetime | None) -> str:
    """A date alone, in the reader's language (and zone, for a moment): "1 mars 2026"."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _local(value).date()
    return str(format_skeleton(DATE_SKELETON, value, locale=get_locale()))


def number(value: int | float | None) -> str:
    """A count in the reader's locale: "1,498" in English, "1 498" in French."""
    return "" if value is None else str(format_decimal(value, locale=get_locale()))


def decimal(value: float | None) -> str:
    """A measure with two decimals in the reader's locale: "0.25", "0,25"."""
    return "" if value is None else str(format_decimal(value, "#,##0.00", locale=get_locale()))


@lru_cache(maxsize=2048)
def _narrow(seconds: int, locale: str) -> str:
    return format_timedelta(timedelta(seconds=seconds), format="narrow", threshold=1, locale=locale)


def soon(value: datetime | None) -> str:
    """A time within the coming week, briefly: "Thu 9:00 AM", "jeu. 09:00"."""
    if value is None:
        return ""
    local, locale = _local(value), get_locale()
    return (
        f"{format_date(local, 'EEE', locale=locale)} {format_time(local, 'short', locale=locale)}"
    )


def age(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago, briefly: "5m", "3h", "2d", then the date."""
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    seconds = int((now - value).total_seconds())
    if seconds < 60:
        return str(_l("now"))
    if seconds < 7 * 86400:
        unit = 60 if seconds < 3600 else 3600 if seconds < 86400 else 86400
        return _narrow(seconds - seconds % unit, str(get_locale() or "en"))
    local = _local(value)
    skeleton = "MMMd" if local.year == _local(now).year else "yMMMd"
    return format_skeleton(skeleton, local, locale=get_locale())


def channel_error(value: str | None) -> str:
    """A channel's last error: the network's (or its library's) own words, untranslatable,
    introduced in the reader's language."""
    if not value:
        return ""
    return str(_l("Last error: %(error)s") % {"error": value})


def safe_url(value: str | None) -> str | None:
    """A fan-supplied link, only if it is plain http(s): never ``javascript:`` or ``data:``."""
    if not value or len(value) > 2000:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return value.strip()


def _fold(text: str) -> tuple[str, list[int]]:
    """``text`` lowercased without accents, and where each folded character came from."""
    folded: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char.lower()):
            if not unicodedata.combining(part):
                folded.append(part)
                origin.append(i)
    return "".join(folded), origin


def highlight(text: str, query: str) -> Markup:
    """``text`` escaped, with the searched words wrapped in ``<mark>``.

    Matching folds case and accents as the search index does, so "moliere"
    marks "Molière". Words are marked, not pieces of words: a term marks a word it
    is, or begins with one more letter ("ticket" marks "tickets"), so
    "merci" marks "Merci" and "mercis" but not the surname "Mercier" (issue 18).
    """
    terms = [_fold(t)[0] for t in search_terms(query or "")]
    terms = sorted({t for t in terms if t}, key=len, reverse=True)
    if not terms or not text:
        # escaped on this line (bandit B704)
        return Markup(escape(text))  # nosec B704
    folded, origin = _fold(text)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")\w?(?!\w)")
    spans = [(origin[m.start()], origin[m.end() - 1] + 1) for m in pattern.finditer(folded)]
    out, last = [], 0
    for start, end in spans:
        out.append(escape(text[last:start]))
        out.append(Markup("<mark>%s</mark>") % text[start:end])
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)


def url_host(value: str | None) -> str:
    """The host of a link, to show instead of a long fan-supplied URL."""
    return urlsplit(value or "").hostname or ""


def count_label(value: int) -> str:
    """A sidebar count, the real number in the reader's format ("1,498", "1 498"); a saved
    search's count that stopped at its cap reads "1,000+"."""
    return number(value) + ("+" if isinstance(value, AtLeast) else "")


def email_html(value: str | None) -> Markup:
    # cleaned by nh3 (allow-list) (bandit B704)
    return Markup(clean_email_html(value or ""))  # nosec B704


def label(mapping: dict[str, Any], value: object) -> str:
    """The translated label of an enum value, looked up once per request and language."""
    key = str(getattr(value, "value", value) or "")
    cache: dict[tuple[int, str], str] = g.setdefault("_labels", {})
    found = cache.get((id(mapping), key))
    if found is None:
        found = cache[(id(mapping), key)] = str(mapping.get(key, key))
    return found


def labels_of(mapping: dict[str, Any]) -> dict[str, str]:
    """Every label of ``mapping`` translated, once per request: a list page looks up
    three per row, and a dictionary costs less than a call from a template."""
    cache: dict[int, dict[str, str]] = g.setdefault("_label_maps", {})
    found = cache.get(id(mapping))
    if found is None:
        found = cache[id(mapping)] = {key: str(value) for key, value in mapping.items()}
    return found


def gettext_format(message: str) -> str:
    """A translated message kept as a plain format string (``%(name)s``), for a
    template to fill in a loop with ``|format`` (the result is escaped on output)."""
    return str(_translations().ugettext(message))


def _translations() -> Any:
    """The request's catalog, looked up once: a list page asks for it hundreds of times."""
    found = g.get("_translations")
    if found is None:
        found = g._translations = get_translations()
    return found


def review_column(key: str) -> str:
    """A weekly review table's column header in the reader's language (CSV keeps the key)."""
    found = review.COLUMN_LABELS.get(key)
    return str(_translations().ugettext(found)) if found else key


def review_cell(column: str, value: Any) -> Any:
    """A weekly review cell as a person reads it: codes (a measure, an intent, a network)
    as their labels, a time in the reader's zone; the CSV and the JSON keep the codes."""
    if not isinstance(value, str):
        return value
    if column == "measure" and value in review.MEASURE_LABELS:
        return str(_translations().ugettext(review.MEASURE_LABELS[value]))
    if column == "intent":
        return label(INTENT_LABELS, value)
    if column == "sentiment":
        return label(SENTIMENT_LABELS, value)
    if column == "segment":
        return label(SEGMENT_LABELS, value)
    if column == "network":
        return network_name(value)
    if column == "member" and value == review.OUTSIDE:
        return str(_translations().ugettext(value))
    if column == "sent_at":
        try:
            return when(datetime.fromisoformat(value))
        except ValueError:
            return value
    return value


def language_changed() -> None:
    """Forget this request's language: a person who just saved another language reads the
    rest of the answer in it (Flask-Babel and the label caches keep one per request)."""
    refresh()
    for cached in ("_translations", "_labels", "_label_maps", "_reasons"):
        g.pop(cached, None)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    Babel(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
    )
    app.jinja_env.filters.update(
        when=when,
        day=day,
        number=number,
        decimal=decimal,
        channel_error=channel_error,
        soon=soon,
        age=age,
        safe_url=safe_url,
        highlight=highlight,
        email_html=email_html,
        url_host=url_host,
        count_label=count_label,
        reason=reason,
    )
    app.jinja_env.globals.update(
        view_title=lambda key: label(VIEW_TITLES, key),
        intent_labels=lambda: labels_of(INTENT_LABELS),
        priority_labels=lambda: labels_of(PRIORITY_LABELS),
        segment_labels=lambda: labels_of(SEGMENT_LABELS),
        gettext_format=gettext_format,
        intent_label=lambda v: label(INTENT_LABELS, v),
        priority_label=lambda v: label(PRIORITY_LABELS, v),
        segment_label=lambda v: label(SEGMENT_LABELS, v),
        status_label=lambda v: label(STATUS_LABELS, v),
        sentiment_label=lambda v: label(SENTIMENT_LABELS, v),
        kind_label=lambda v: label(KIND_LABELS, v),
        reply_status_label=lambda v: label(REPLY_STATUS_LABELS, v),
        snooze_label=lambda v: label(SNOOZE_LABELS, v),
        locale_code=lambda: str(get_locale() or "en"),
        review_column=review_column,
        review_cell=review_cell,
    )
