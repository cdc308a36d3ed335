"""The weekly review as the page, the API and ``unplugged report`` show it.

The figures are computed by :mod:`inbox.review` (below the app, so the digest
job can use them too); this module names the measures, says what each means,
lays them out as tables (each exportable as CSV) and as one JSON document,
and links the unanswered conversations to the inbox.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import delete
from sqlalchemy.orm import Session

from crm.services.messages import N_, UserError
from inbox.review import BadWeek, BusinessHours, Figures, Review, Week, compute, median, p90
from models import AuditEvent, ReviewWeek, User, Workspace

__all__ = ["BadWeek", "Review", "Week", "document", "load", "tables", "to_csv"]


class BadWeekError(UserError):
    """A week the URL or the command line names that cannot be read."""


def load(
    session: Session, workspace_id: int, week: str | None, now: datetime | None = None
) -> Review:
    """The review of ``week`` ("2026-W47"; None: the last full week)."""
    try:
        parsed = Week.parse(week) if week else None
    except BadWeek:
        raise BadWeekError(N_("week must look like 2026-W47.")) from None
    return compute(session, workspace_id, parsed, now=now)


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str  # "count", "share" (0-1) or "seconds"
    definition: str


# The measures, in the order the page, the CSV and the JSON give them. Labels and
# definitions are English source strings, translated where a person reads them.
MEASURES = (
    Measure(
        "messages",
        N_("Fan messages"),
        "count",
        N_("Messages from fans this week, not deleted, spam and scams left out."),
    ),
    Measure(
        "conversations",
        N_("Conversations"),
        "count",
        N_("Conversations with at least one fan message this week."),
    ),
    Measure(
        "fans",
        N_("Fans who wrote"),
        "count",
        N_("Different fans behind those messages (an erased fan is no longer counted)."),
    ),
    Measure(
        "needed_reply",
        N_("Needed a reply"),
        "count",
        N_("Conversations with a fan message this week: each one asks for an answer."),
    ),
    Measure(
        "reply_share",
        N_("Share replied"),
        "share",
        N_("Of those, the share we answered (at any time since the fan wrote)."),
    ),
    Measure(
        "unanswered",
        N_("Unanswered"),
        "count",
        N_("Conversations that needed a reply and have none yet."),
    ),
    Measure(
        "frt_median",
        N_("First response, median"),
        "seconds",
        N_(
            "Time from the first fan message of the week in a conversation to our first answer there: half of the answers came sooner."
        ),
    ),
    Measure(
        "frt_p90",
        N_("First response, 90th percentile"),
        "seconds",
        N_("Nine answers in ten came at least this soon (nearest rank)."),
    ),
    Measure(
        "frt_business_median",
        N_("First response in business hours, median"),
        "seconds",
        N_(
            "The same clock counting only the workspace's business hours (empty when none are set)."
        ),
    ),
    Measure(
        "frt_business_p90",
        N_("First response in business hours, 90th percentile"),
        "seconds",
        N_("Nine answers in ten came within this much business time."),
    ),
    Measure(
        "new_fans",
        N_("New fans"),
        "count",
        N_("Fans whose first message ever came this week."),
    ),
    Measure(
        "returning_fans",
        N_("Returning fans"),
        "count",
        N_(
            "Fans who wrote this week within 30 days after a personal reply from us: conversation that keeps going."
        ),
    ),
    Measure(
        "superfans_gained",
        N_("Superfans gained"),
        "count",
        N_("Superfans whose 10th message came this week."),
    ),
    Measure(
        "superfans_lapsed",
        N_("Superfans lapsed"),
        "count",
        N_("Fans of 10 messages or more whose 90 days of silence ran out this week."),
    ),
    Measure(
        "cases",
        N_("Complaints and support cases"),
        "count",
        N_("Conversations with a complaint or support message this week."),
    ),
    Measure(
        "cases_resolved",
        N_("Cases resolved"),
        "count",
        N_("Of those, the conversations marked done."),
    ),
    Measure(
        "flags",
        N_("Copy-paste confirmed"),
        "count",
        N_(
            "Replies whose exact words had gone to 3 other conversations in the day before: the warning was confirmed."
        ),
    ),
)


def measure_values(rv: Review) -> list[dict[str, Any]]:
    """Each measure with this week's value, last week's, the change and the 8-week trend."""
    out = []
    for m in MEASURES:
        trend = rv.series(m.key)
        value, previous = trend[-1], trend[-2]
        change = value - previous if value is not None and previous is not None else None
        out.append(
            {
                "key": m.key,
                "label": m.label,
                "unit": m.unit,
                "definition": m.definition,
                "value": value,
                "previous": previous,
                "change": change,
                "trend": trend,
            }
        )
    return out


def unanswered_query(rv: Review, network: str | None = None) -> str:
    """The inbox URL query of the week's conversations still waiting for us.

    The inbox filters by last activity and by day in the reader's time zone, so
    this lists every conversation still waiting that was last active that week.
    """
    params = [
        ("status", "all"),
        ("waiting", "1"),
        ("from", rv.week.monday.isoformat()),
        ("to", rv.week.sunday.isoformat()),
    ]
    if network:
        params.append(("network", network))
    return urlencode(params)


# What a table's column is called on the page (the CSV and the JSON keep the keys).
COLUMN_LABELS = {
    "measure": N_("Measure"),
    "value": N_("This week"),
    "previous": N_("Previous week"),
    "change": N_("Change"),
    "network": N_("Network"),
    "messages": N_("Messages"),
    "conversations": N_("Conversations"),
    "fans": N_("Fans"),
    "needed_reply": N_("Needed a reply"),
    "reply_share": N_("Share replied"),
    "unanswered": N_("Unanswered"),
    "frt_median_s": N_("Median first response (s)"),
    "frt_p90_s": N_("90th percentile first response (s)"),
    "member": N_("Team member"),
    "replies": N_("Replies"),
    "first_responses": N_("First responses"),
    "copy_paste_confirmed": N_("Copy-paste confirmed"),
    "fan": N_("Fan"),
    "segment": N_("Segment"),
    "intent": N_("Intent"),
    "this_week": N_("This week"),
    "previous_week": N_("Previous week"),
    "sentiment": N_("Sentiment"),
    "conversation": N_("Conversation"),
    "replied": N_("Replied"),
    "resolved": N_("Resolved"),
    "reply": N_("Reply"),
    "author": N_("Author"),
    "sent_at": N_("Sent"),
    "other_conversations": N_("Other conversations"),
}
MEASURE_LABELS = {m.key: m.label for m in MEASURES}


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]


OUTSIDE = N_("(outside Unplugged)")


def _network_row(network: str, f: Figures) -> list[Any]:
    return [
        network,
        f.messages,
        f.conversations,
        f.fans,
        f.needed_reply,
        f.reply_share,
        f.unanswered,
        median(f.frt),
        p90(f.frt),
    ]


def tables(rv: Review) -> list[Table]:
    """Every table of the page, in its order (each is a CSV export too)."""
    values = measure_values(rv)
    weeks = [str(w) for w in rv.weeks]
    return [
        Table(
            "summary",
            N_("The week in figures"),
            ["measure", "value", "previous", "change"],
            [[v["key"], v["value"], v["previous"], v["change"]] for v in values],
        ),
        Table(
            "trend",
            N_("Eight weeks"),
            ["measure", *weeks],
            [[v["key"], *v["trend"]] for v in values],
        ),
        Table(
            "networks",
            N_("By network"),
            [
                "network",
                "messages",
                "conversations",
                "fans",
                "needed_reply",
                "reply_share",
                "unanswered",
                "frt_median_s",
                "frt_p90_s",
            ],
            [_network_row(n, f) for n, f in rv.networks.items()],
        ),
        Table(
            "members",
            N_("By team member"),
            [
                "member",
                "replies",
                "first_responses",
                "frt_median_s",
                "frt_p90_s",
                "copy_paste_confirmed",
            ],
            [
                [
                    m.name or OUTSIDE,
                    m.replies,
                    m.first_responses,
                    m.frt_median_s,
                    m.frt_p90_s,
                    m.flags,
                ]
                for m in rv.members
            ],
        ),
        Table(
            "fans",
            N_("Most engaged fans"),
            ["fan", "messages", "conversations", "segment"],
            [[f.name, f.messages, f.conversations, f.segment] for f in rv.top_fans],
        ),
        Table(
            "intents",
            N_("Intents"),
            ["intent", "this_week", "previous_week"],
            [[k, v[-1], v[-2]] for k, v in rv.intents.items() if v[-1] or v[-2]],
        ),
        Table(
            "sentiment",
            N_("Sentiment"),
            ["sentiment", "this_week", "previous_week"],
            [[k, v[-1], v[-2]] for k, v in rv.sentiments.items() if v[-1] or v[-2]],
        ),
        Table(
            "cases",
            N_("Complaints and support cases"),
            ["conversation", "intent", "network", "replied", "resolved"],
            [[c.conversation_id, c.intent, c.network, c.replied, c.resolved] for c in rv.case_rows],
        ),
        Table(
            "flags",
            N_("Copy-paste confirmed"),
            ["reply", "conversation", "author", "sent_at", "other_conversations"],
            [
                [f.reply_id, f.conversation_id, f.author, f.sent_at.isoformat(), f.others]
                for f in rv.flag_rows
            ],
        ),
    ]


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if value is None:
        return ""
    return value


def to_csv(table: Table) -> str:
    """One table as CSV; cells a spreadsheet would run as a formula are quoted inert."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow([_inert(_cell(v)) for v in row])
    return buf.getvalue()


def _inert(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def document(rv: Review) -> dict[str, Any]:
    """The whole review as JSON-ready data: the CLI's ``--format json`` and the API."""
    return {
        "week": str(rv.week),
        "timezone": rv.zone.key,
        "start": rv.start.isoformat(),
        "end": rv.end.isoformat(),
        "business_hours": rv.business_hours is not None,
        "weeks": [str(w) for w in rv.weeks],
        "measures": [{k: v for k, v in m.items() if k != "label"} for m in measure_values(rv)],
        "tables": {t.key: {"columns": t.columns, "rows": t.rows} for t in tables(rv)[2:]},
        "superfans_gained": rv.gained_names,
        "superfans_lapsed": rv.lapsed_names,
        "unanswered_inbox_query": unanswered_query(rv),
    }


# -- who gets the digest, and the workspace's clock ---------------------------------------


class ReviewSettingsError(UserError):
    """A review setting that cannot be used; the message says why."""


def set_digest(session: Session, user: User, on: bool) -> None:
    """A person opts in to (or out of) the weekly digest email: their own choice."""
    user.weekly_digest = on
    session.add(
        AuditEvent(
            user_id=user.id,
            action="user.weekly_digest",
            subject_type="user",
            subject_id=user.id,
            data={"on": on},
        )
    )


def update_settings(
    session: Session,
    workspace: Workspace,
    actor_id: int,
    *,
    days: list[str],
    start: str,
    end: str,
    digest_weekday: str,
    digest_hour: str,
) -> None:
    """Business hours (no days: every hour counts) and the digest's day and hour."""
    try:
        weekdays = sorted({int(d) for d in days})
        weekday, hour = int(digest_weekday), int(digest_hour)
    except ValueError:
        raise ReviewSettingsError(N_("Days and hours must be numbers.")) from None
    if not set(weekdays) <= set(range(1, 8)) or not 1 <= weekday <= 7:
        raise ReviewSettingsError(N_("Days go from 1 (Monday) to 7 (Sunday)."))
    if not 0 <= hour <= 23:
        raise ReviewSettingsError(N_("The hour goes from 0 to 23."))
    hours: dict[str, Any] | None = None
    if weekdays:
        setting = {"days": weekdays, "start": start.strip(), "end": end.strip()}
        if BusinessHours.from_setting(setting) is None:
            raise ReviewSettingsError(
                N_("Business hours need a start before their end, like 09:00 and 18:00.")
            )
        hours = setting
    workspace.business_hours = hours
    workspace.digest_weekday, workspace.digest_hour = weekday, hour
    session.add(
        AuditEvent(
            workspace_id=workspace.id,
            user_id=actor_id,
            action="workspace.review_settings",
            subject_type="workspace",
            subject_id=workspace.id,
            data={"business_hours": hours, "digest_weekday": weekday, "digest_hour": hour},
        )
    )
    # Kept weeks were counted with the old clock: count them again.
    session.execute(delete(ReviewWeek).where(ReviewWeek.workspace_id == workspace.id))
