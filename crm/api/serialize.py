"""The API's shapes as typed structs, and turning models into them.

Each response and request body is a ``msgspec.Struct``: the views encode
these, decode request bodies into them, and :mod:`crm.api.openapi` generates
the OpenAPI schemas from them (``msgspec.json.schema_components``), so the
document cannot say one thing while the API does another. Enumerated values
are the models' own enums (``Priority``, ``ReplyStatus``...), or the tuples
the app already checks against (networks, intents).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

import models
from crm.services.conversations import INTENTS
from models import ConversationStatus, Direction, MessageKind, Priority, ReplyStatus, Segment
from models.channel import NETWORKS

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL
MAX_LIMIT = 100
Network = Annotated[str, Meta(extra_json_schema={"enum": list(NETWORKS)})]
Intent = Annotated[str, Meta(extra_json_schema={"enum": list(INTENTS)})]
Time = Annotated[datetime, Meta(tz=True)]  # stored in UTC, always sent with its zone


class ErrorDetail(Struct):
    code: str
    message: str


class Error(Struct):
    error: ErrorDetail


class FanSummary(Struct):
    id: int
    name: str
    segment: Segment
    engagement_score: float


class Identity(Struct):
    network: str
    external_id: str
    handle: str
    name: str
    profile_url: str | None


class Fan(FanSummary):
    message_count: int
    first_seen_at: Time | None
    last_seen_at: Time | None
    identities: list[Identity]


class Conversation(Struct):
    id: int
    network: Network
    channel: str
    kind: MessageKind
    subject: str | None
    status: ConversationStatus
    snooze_until: Time | None
    priority: Priority
    priority_score: Annotated[int, Meta(ge=0, le=100)]
    priority_reasons: list[str]
    intent: Intent | None
    is_spam: bool
    assignee_id: int | None
    waiting_for_us: bool
    message_count: int
    preview: str
    last_activity_at: Time
    fan: FanSummary | None


class Classification(Struct):
    intent: str | None
    sentiment: str | None
    spam: bool
    spam_score: float | None
    toxic: bool
    reasons: list[str]


class Message(Struct):
    id: int
    external_id: str
    direction: Direction
    kind: MessageKind
    text: str
    lang: str | None
    sent_at: Time
    url: str | None
    author: Identity | None
    edited_at: Time | None
    deleted: bool
    classification: Classification | None


class ConversationDetail(Conversation):
    older_messages: int
    messages: list[Message]


class Reply(Struct):
    id: int
    conversation_id: int
    status: ReplyStatus
    in_reply_to: Annotated[int | None, Meta(description="The fan message this reply answers")]
    text: str
    external_id: str | None
    error: str | None
    created_at: Time
    sent_at: Time | None


class ConversationPage(Struct):
    data: list[Conversation]
    next: str | None


class Evidence(Struct):
    """Why two fans are probably one person."""

    kind: Annotated[
        str, Meta(extra_json_schema={"enum": ["email", "handle", "link", "name_avatar"]})
    ]
    certain: bool  # only the same email address on both is
    networks: list[Network]
    value: str  # the address, handle or link that matched


class FanSuggestion(Struct):
    fan: FanSummary
    certain: bool
    evidence: list[Evidence]


class FanSuggestions(Struct):
    data: list[FanSuggestion]


class FanPage(Struct):
    data: list[FanSummary]
    next: str | None


class User(Struct):
    id: int
    name: str
    email: str


class Me(Struct):
    user: User
    workspace_id: int


# -- request bodies: decoded by the views, documented from the same types --------------


class ConversationUpdate(Struct):
    """A PATCH: only the fields present change (``null`` unassigns, or snoozes until the fan
    writes again)."""

    status: ConversationStatus | UnsetType = UNSET
    snooze_until: Time | UnsetType | None = UNSET
    assignee_id: int | UnsetType | None = UNSET


class NewReply(Struct):
    text: str
    in_reply_to: Annotated[
        int | None,
        Meta(
            description="The id of the fan message to answer: a message of this conversation, "
            "written by a fan (inbound), not deleted. The network reply goes under it and "
            "mentions its author only. Default: the newest fan message not answered yet."
        ),
    ] = None
    idempotency_key: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    confirm_identical: bool = False


class WeeklyMeasure(Struct):
    key: str
    unit: Annotated[str, Meta(extra_json_schema={"enum": ["count", "share", "seconds"]})]
    definition: str
    value: float | None
    previous: float | None
    change: float | None
    trend: list[float | None]


class WeeklyTable(Struct):
    columns: list[str]
    rows: list[list[str | int | float | bool | None]]


class WeeklyReport(Struct):
    """The weekly engagement review (the Review page's figures, `unplugged report`)."""

    week: str
    timezone: str
    start: Time
    end: Time
    business_hours: bool
    weeks: list[str]
    measures: list[WeeklyMeasure]
    tables: dict[str, WeeklyTable]
    superfans_gained: list[str]
    superfans_lapsed: list[str]
    unanswered_inbox_query: str


# -- query and path parameters: documented from these, checked by the views to match ----

Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
Limit = Annotated[int, Meta(ge=1, le=MAX_LIMIT, description="Page size")]
StatusFilter = Annotated[
    str, Meta(extra_json_schema={"enum": [*(s.value for s in ConversationStatus), "all"]})
]
Waiting = Annotated[str, Meta(extra_json_schema={"enum": ["1", "0"]})]
Search = Annotated[str, Meta(max_length=200, description="Search")]
Cursor = Annotated[str, Meta(max_length=200, description="The next cursor of the previous page")]
FanCursor = Annotated[str, Meta(pattern="^[0-9]{1,9}$", description="The last fan id seen")]
IsoWeek = Annotated[
    str,
    Meta(
        pattern="^[0-9]{4}-W[0-9]{2}$",
        description="An ISO week in the workspace's time zone (default: the last full week)",
    ),
]

RESPONSES: tuple[type[Struct], ...] = (
    Error,
    Me,
    ConversationPage,
    Conversation,
    ConversationDetail,
    Reply,
    FanPage,
    Fan,
    FanSuggestions,
    WeeklyReport,
)
REQUESTS: tuple[type[Struct], ...] = (ConversationUpdate, NewReply)


def encode(value: Struct) -> bytes:
    return msgspec.json.encode(value)


# -- models -> structs --------------------------------------------------------------


def conversation(
    c: models.Conversation, channel: models.Channel, fan: models.Fan | None
) -> Conversation:
    return Conversation(
        id=c.id,
        network=channel.network,
        channel=channel.handle,
        kind=c.kind,
        subject=c.subject,
        status=c.status,
        snooze_until=c.snooze_until,
        priority=c.priority,
        priority_score=c.priority_score,
        priority_reasons=list(c.priority_reasons or []),
        intent=c.intent,
        is_spam=c.is_spam,
        assignee_id=c.assignee_id,
        waiting_for_us=c.waiting_for_us,
        message_count=c.message_count,
        preview=c.last_message_preview,
        last_activity_at=c.last_activity_at,
        fan=fan_summary(fan) if fan else None,
    )


def conversation_detail(
    c: models.Conversation,
    channel: models.Channel,
    fan: models.Fan | None,
    messages: list[models.Message],
    older: int,
) -> ConversationDetail:
    return ConversationDetail(
        **msgspec.structs.asdict(conversation(c, channel, fan)),
        older_messages=older,
        messages=[message_of(m) for m in messages],
    )


def fan_summary(f: models.Fan) -> FanSummary:
    return FanSummary(
        id=f.id,
        name=f.display_name,
        segment=f.segment,
        engagement_score=round(float(f.engagement_score), 2),
    )


def identity(i: models.Identity) -> Identity:
    return Identity(
        network=i.network,
        external_id=i.external_id,
        handle=i.handle,
        name=i.display_name,
        profile_url=i.profile_url,
    )


def fan(f: models.Fan, identities: list[models.Identity]) -> Fan:
    summary = fan_summary(f)
    return Fan(
        id=summary.id,
        name=summary.name,
        segment=summary.segment,
        engagement_score=summary.engagement_score,
        message_count=f.message_count,
        first_seen_at=f.first_seen_at,
        last_seen_at=f.last_seen_at,
        identities=[identity(i) for i in identities],
    )


def fan_suggestion(s: Any) -> FanSuggestion:
    """A :class:`crm.services.identity.Suggestion` as the API shows it."""
    return FanSuggestion(
        fan=fan_summary(s.fan),
        certain=s.certain,
        evidence=[Evidence(e.kind, e.certain, list(e.networks), e.value) for e in s.evidence],
    )


def message_of(m: models.Message) -> Message:
    return Message(
        id=m.id,
        external_id=m.external_id,
        direction=m.direction,
        kind=m.kind,
        text=m.text,
        lang=m.lang,
        sent_at=m.sent_at,
        url=m.url,
        author=identity(m.author) if m.author else None,
        edited_at=m.edited_at,
        deleted=m.deleted_at is not None,
        classification=None
        if m.classified_at is None
        else Classification(
            intent=m.intent,
            sentiment=m.sentiment,
            spam=bool(m.spam),
            spam_score=m.spam_score,
            toxic=bool(m.toxic),
            reasons=list(m.reasons or []),
        ),
    )


def message(m: models.Message) -> dict[str, Any]:
    """A message in the API's shape as JSON-ready values (``unplugged messages`` prints it)."""
    row: dict[str, Any] = msgspec.to_builtins(message_of(m))
    return row


def reply(r: models.Reply) -> Reply:
    return Reply(
        id=r.id,
        conversation_id=r.conversation_id,
        status=r.status,
        in_reply_to=r.in_reply_to_id,
        text=r.text,
        external_id=r.external_id,
        error=r.error,
        created_at=r.created_at,
        sent_at=r.sent_at,
    )


def weekly_report(doc: dict[str, Any]) -> WeeklyReport:
    """The review's JSON document (:func:`crm.services.review.document`) as its struct."""
    return msgspec.convert(doc, WeeklyReport, strict=False)
