"""The weekly review digest: an email to each teammate who opted in, once a week.

The clock calls :func:`send_due` (from :func:`inbox.scheduler.tick`); a workspace
is due on its chosen ISO weekday (``Workspace.digest_weekday``) from its chosen
hour (``digest_hour``) in its own time zone. The week it goes out for is the
last full week; ``digest_sent_week`` is claimed with one conditional UPDATE
before anything is sent, so two workers ticking at once, or a tick every few
seconds, send it once.

Each teammate with ``User.weekly_digest`` gets it in their language (English or
French: the strings are here because ``inbox`` cannot use the web app's
catalogue), as plain text and HTML, with the headline figures, their change
against the week before, and a link back to the Review page. The figures come
from :mod:`inbox.review`, the same computation the page shows.
"""

from __future__ import annotations

import html
import logging
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from inbox import mail, review
from inbox.runtime import Runtime
from models import Membership, User, Workspace

log = logging.getLogger(__name__)

# (key, unit): the digest's figures, in the page's order.
HEADLINE = (
    ("messages", "count"),
    ("conversations", "count"),
    ("reply_share", "share"),
    ("unanswered", "count"),
    ("frt_median", "seconds"),
    ("new_fans", "count"),
    ("returning_fans", "count"),
    ("cases", "count"),
    ("flags", "count"),
)

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "sep": ": ",
        "subject": "Your weekly review, {week}: {share} of conversations answered",
        "intro": "How the conversation with your fans went in {week} ({start} to {end}).",
        "open": "Open the Review page",
        "previous": "previous week",
        "messages": "Fan messages",
        "conversations": "Conversations",
        "reply_share": "Share replied",
        "unanswered": "Unanswered",
        "frt_median": "First response, median",
        "new_fans": "New fans",
        "returning_fans": "Returning fans",
        "cases": "Complaints and support cases",
        "flags": "Copy-paste confirmed",
        "why": "You get this because you asked for the weekly digest in Unplugged.",
    },
    "fr": {
        "sep": " : ",
        "subject": "Votre revue de la semaine {week} : {share} des conversations ont une réponse",
        "intro": "Comment s’est passée la conversation avec vos fans en {week} (du {start} au {end}).",
        "open": "Ouvrir la page Bilan",
        "previous": "semaine précédente",
        "messages": "Messages de fans",
        "conversations": "Conversations",
        "reply_share": "Part des réponses",
        "unanswered": "Sans réponse",
        "frt_median": "Première réponse, médiane",
        "new_fans": "Nouveaux fans",
        "returning_fans": "Fans qui reviennent",
        "cases": "Réclamations et demandes d’aide",
        "flags": "Copier-coller confirmés",
        "why": "Vous recevez ce message car vous avez demandé la revue hebdomadaire dans Unplugged.",
    },
}


def _words(locale: str | None) -> dict[str, str]:
    return WORDS.get((locale or "en")[:2], WORDS["en"])


def _shown(value: float | int | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "share":
        return f"{value * 100:.0f} %"
    if unit == "seconds":
        minutes = round(value / 60)
        if minutes < 60:
            return f"{minutes} min"
        hours, minutes = divmod(minutes, 60)
        return f"{hours} h {minutes:02d}" if hours < 48 else f"{hours // 24} d {hours % 24} h"
    return f"{int(value):,}".replace(",", " ")


@dataclass(frozen=True)
class Digest:
    to: str
    subject: str
    text: str
    html: str


def render(rv: review.Review, to: str, locale: str | None, link: str) -> Digest:
    """One teammate's digest, both parts; fan-written text never appears in it."""
    w = _words(locale)
    this, before = rv.summaries[-1], rv.summaries[-2]
    week = str(rv.week)
    intro = w["intro"].format(
        week=week, start=rv.week.monday.isoformat(), end=rv.week.sunday.isoformat()
    )
    lines = []
    rows = []
    for key, unit in HEADLINE:
        now, then = _shown(this.get(key), unit), _shown(before.get(key), unit)
        lines.append(f"{w[key]}{w['sep']}{now} ({w['previous']}{w['sep']}{then})")
        rows.append(
            f"<tr><th scope='row' align='left'>{html.escape(w[key])}</th>"
            f"<td>{html.escape(now)}</td><td>{html.escape(then)}</td></tr>"
        )
    text = "\n".join([intro, "", *lines, "", f"{w['open']}{w['sep']}{link}", "", w["why"], ""])
    body = (
        f"<!doctype html><html lang='{html.escape((locale or 'en')[:2])}'><body>"
        f"<p>{html.escape(intro)}</p>"
        f"<table><thead><tr><th></th><th>{html.escape(week)}</th>"
        f"<th>{html.escape(w['previous'])}</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"<p><a href='{html.escape(link, quote=True)}'>{html.escape(w['open'])}</a></p>"
        f"<p><small>{html.escape(w['why'])}</small></p></body></html>"
    )
    subject = w["subject"].format(week=week, share=_shown(this.get("reply_share"), "share"))
    return Digest(to, subject, text, body)


def due_week(ws: Workspace, now: datetime) -> review.Week | None:
    """The week whose digest is due for ``ws`` at ``now``, if its day and hour have come."""
    zone = review.zone_of(ws.timezone)
    local = now.astimezone(zone)
    if local.isoweekday() != ws.digest_weekday or local.hour < ws.digest_hour:
        return None
    week = review.Week.last_full(now, zone)
    return None if ws.digest_sent_week == str(week) else week


def any_due(session: Session, now: datetime) -> bool:
    """Whether some workspace's digest is due: the clock's cheap question before it
    queues :func:`send_due` as a job (computing a review can take seconds)."""
    return any(due_week(ws, now) for ws in session.scalars(select(Workspace)))


def send_due(rt: Runtime, now: datetime | None = None) -> list[str]:
    """Send every digest that is due; returns the addresses written to."""
    now = now or datetime.now(UTC)
    sent: list[str] = []
    with rt.session() as s:
        due = [(ws.id, w) for ws in s.scalars(select(Workspace)) if (w := due_week(ws, now))]
    for workspace_id, week in due:
        with rt.session() as s:
            claimed = s.execute(
                update(Workspace)
                .where(
                    Workspace.id == workspace_id,
                    or_(
                        Workspace.digest_sent_week.is_(None),
                        Workspace.digest_sent_week != str(week),
                    ),
                )
                .values(digest_sent_week=str(week))
                .execution_options(synchronize_session=False)
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]
                continue  # another worker took it
            readers = s.execute(
                select(User.email, User.locale)
                .join(Membership, Membership.user_id == User.id)
                .where(
                    Membership.workspace_id == workspace_id,
                    User.weekly_digest.is_(True),
                    User.is_active.is_(True),
                )
                .order_by(User.id)
            ).all()
            if not readers:
                continue
            rv = review.compute(s, workspace_id, week, now=now)
        base = rt.settings.public_url or ""
        link = f"{base}/review?week={week}"
        for email, locale in readers:
            try:
                deliver(rt, render(rv, email, locale, link))
                sent.append(email)
            except (OSError, smtplib.SMTPException, ValueError):
                log.exception("weekly digest to %s not sent", email)
    return sent


def deliver(rt: Runtime, digest: Digest) -> None:
    """Hand one digest to SMTP (``UNPLUGGED_SMTP_URL``), both parts in one message."""
    settings = rt.settings
    if not settings.smtp_url or not settings.mail_from:
        log.warning(
            "digest to %s not sent: UNPLUGGED_SMTP_URL / UNPLUGGED_MAIL_FROM unset", digest.to
        )
        return
    email = mail.OutgoingEmail(digest.to, digest.subject[:200], digest.text, html=digest.html)
    mail.smtp_send(settings.smtp_url, settings.mail_from, email)
