"""The ``/api/v1`` endpoints. Thin: parse, call a service, serialise."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

import msgspec
from flask import Blueprint, Response, g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from crm.api import serialize
from crm.api.openapi import document
from crm.api.serialize import MAX_ID, MAX_LIMIT
from crm.app import db
from crm.services import api_tokens, identity, triage_actions
from crm.services import conversations as conv_svc
from crm.services import review as review_svc
from crm.services.messages import UserError
from inbox import outbox
from models import Channel, Conversation, ConversationStatus, Fan, Identity, Reply, Role

bp = Blueprint("api", __name__, url_prefix="/api/v1")
F = TypeVar("F", bound=Callable[..., Any])
S = TypeVar("S", bound=msgspec.Struct)
MAX_MESSAGES = 200


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error(status: int, code: str, message: str) -> ResponseReturnValue:
    return reply_json(serialize.Error(serialize.ErrorDetail(code, message)), status)


def reply_json(value: msgspec.Struct, status: int = 200) -> ResponseReturnValue:
    """A struct as the JSON body the OpenAPI document describes (generated from the same type)."""
    return Response(serialize.encode(value), status=status, mimetype="application/json")


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> ResponseReturnValue:
    return error(exc.status, exc.code, exc.message)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> ResponseReturnValue:
    return error(
        exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or ""
    )


def token_required(role: Role = Role.VIEWER) -> Callable[[F], F]:
    def deco(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            owner = api_tokens.authenticate(db(), token.strip()) if scheme == "Bearer" else None
            if owner is None:
                raise ApiError(401, "unauthorized", "A valid API token is required.")
            if not owner.membership.role.at_least(role):
                raise ApiError(403, "forbidden", f"This needs the {role.value} role.")
            g.api_user, g.api_workspace_id = owner.user, owner.membership.workspace_id
            db().commit()  # last_used_at
            return view(*args, **kwargs)

        # Read by the route matrix test: every route states who may use it.
        wrapped.required_role = role  # type: ignore[attr-defined]
        wrapped.api_token = True  # type: ignore[attr-defined]
        return cast(F, wrapped)

    return deco


def _limit() -> int:
    raw = request.args.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ApiError(400, "bad_request", f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    return int(raw)


def _zone() -> ZoneInfo:
    try:
        return ZoneInfo(g.api_user.timezone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _checked_id(value: int, what: str) -> int:
    """Ids the database can hold; anything else cannot exist (404, never a 500)."""
    if not 1 <= value <= MAX_ID:
        raise ApiError(404, "not_found", f"No such {what}.")
    return value


def _conversation(conversation_id: int) -> Conversation:
    _checked_id(conversation_id, "conversation")
    try:
        return conv_svc.get_conversation(db(), g.api_workspace_id, conversation_id)
    except conv_svc.NotFound:
        raise ApiError(404, "not_found", "No such conversation.") from None


def _json_body(shape: type[S]) -> S:
    """The request body as ``shape``; a value of the wrong type is a 422 that names it."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "The body must be a JSON object.")
    try:
        return msgspec.convert(body, shape)
    except msgspec.ValidationError as exc:
        raise ApiError(422, "invalid", str(exc)) from None


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document())


@bp.get("/me")
@token_required()
def me() -> ResponseReturnValue:
    user = serialize.User(id=g.api_user.id, name=g.api_user.name, email=g.api_user.email)
    return reply_json(serialize.Me(user=user, workspace_id=g.api_workspace_id))


@bp.get("/conversations")
@token_required()
def list_conversations() -> ResponseReturnValue:
    try:
        flt, _ = conv_svc.parse_filter(request.args, user_id=g.api_user.id, zone=_zone())
    except UserError as exc:
        raise ApiError(400, "bad_request", str(exc)) from None
    cursor = request.args.get("after") or None
    if cursor is not None and len(cursor) > 200:
        raise ApiError(400, "bad_request", "after is not a cursor from this API.")
    page = conv_svc.list_inbox(db(), g.api_workspace_id, flt, cursor=cursor, limit=_limit())
    rows = [serialize.conversation(r.conversation, r.channel, r.fan) for r in page.rows]
    return reply_json(serialize.ConversationPage(data=rows, next=page.next_cursor))


@bp.get("/conversations/<int(signed=True):conversation_id>")
@token_required()
def get_conversation(conversation_id: int) -> ResponseReturnValue:
    conv = _conversation(conversation_id)
    channel = db().get_one(Channel, conv.channel_id)
    fan = db().get(Fan, conv.fan_id) if conv.fan_id else None
    messages, older = conv_svc.load_messages(db(), conv.id, window=MAX_MESSAGES)
    return reply_json(serialize.conversation_detail(conv, channel, fan, list(messages), older))


def _apply_conversation_update(
    session: Session, conv: Conversation, body: serialize.ConversationUpdate
) -> None:
    """The status and assignee changes of a PATCH; a refused one raises ``UserError``."""
    if body.status is ConversationStatus.DONE:
        triage_actions.mark_done(session, conv, g.api_user.id)
    elif body.status is ConversationStatus.OPEN:
        triage_actions.reopen(session, conv, g.api_user.id)
    elif body.status is ConversationStatus.SNOOZED:
        until = body.snooze_until
        triage_actions.snooze(
            session, conv, g.api_user.id, None if until is msgspec.UNSET else until
        )
    if body.assignee_id is not msgspec.UNSET:
        triage_actions.assign(session, conv, g.api_user.id, body.assignee_id)


@bp.patch("/conversations/<int(signed=True):conversation_id>")
@token_required(Role.AGENT)
def update_conversation(conversation_id: int) -> ResponseReturnValue:
    conv = _conversation(conversation_id)
    body = _json_body(serialize.ConversationUpdate)
    session = db()
    try:
        _apply_conversation_update(session, conv, body)
    except UserError as exc:
        session.rollback()  # all of the change or none of it
        raise ApiError(422, "invalid", str(exc)) from None
    session.commit()
    channel = session.get_one(Channel, conv.channel_id)
    fan = session.get(Fan, conv.fan_id) if conv.fan_id else None
    return reply_json(serialize.conversation(conv, channel, fan))


@bp.post("/conversations/<int(signed=True):conversation_id>/replies")
@token_required(Role.AGENT)
def create_reply(conversation_id: int) -> ResponseReturnValue:
    conv = _conversation(conversation_id)
    body = _json_body(serialize.NewReply)
    session = db()
    try:
        queued = outbox.queue_reply(
            session,
            conv,
            g.api_user.id,
            body.text,
            in_reply_to_id=body.in_reply_to,
            idempotency_key=body.idempotency_key,
            confirm_identical=body.confirm_identical,
        )
        session.commit()
    except outbox.BadReplyParent as exc:
        session.rollback()
        raise ApiError(422, f"in_reply_to_{exc.code}", str(exc)) from None
    except outbox.IdenticalText as exc:
        session.rollback()
        raise ApiError(409, "identical_text", str(exc)) from None
    except outbox.ReplyRejected as exc:
        session.rollback()
        raise ApiError(422, "invalid", str(exc)) from None
    reply = session.get_one(Reply, queued.reply_id)
    return reply_json(serialize.reply(reply), 202)


@bp.get("/replies/<int(signed=True):reply_id>")
@token_required()
def get_reply(reply_id: int) -> ResponseReturnValue:
    reply = db().get(Reply, _checked_id(reply_id, "reply"))
    if reply is None or reply.workspace_id != g.api_workspace_id:
        raise ApiError(404, "not_found", "No such reply.")
    return reply_json(serialize.reply(reply))


@bp.get("/fans")
@token_required()
def list_fans() -> ResponseReturnValue:
    after = request.args.get("after", "0")
    if not after.isdigit() or len(after) > 9:
        raise ApiError(400, "bad_request", "after must be a fan id.")
    limit = _limit()
    rows = list(
        db().scalars(
            select(Fan)
            .where(Fan.workspace_id == g.api_workspace_id, Fan.id > int(after))
            .order_by(Fan.id)
            .limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return reply_json(
        serialize.FanPage(
            data=[serialize.fan_summary(f) for f in rows],
            next=str(rows[-1].id) if more and rows else None,
        )
    )


@bp.get("/fans/<int(signed=True):fan_id>")
@token_required()
def get_fan(fan_id: int) -> ResponseReturnValue:
    fan = db().get(Fan, _checked_id(fan_id, "fan"))
    if fan is None or fan.workspace_id != g.api_workspace_id:
        raise ApiError(404, "not_found", "No such fan.")
    identities = list(db().scalars(select(Identity).where(Identity.fan_id == fan.id)))
    return reply_json(serialize.fan(fan, identities))


@bp.get("/fans/<int(signed=True):fan_id>/suggestions")
@token_required()
def fan_suggestions(fan_id: int) -> ResponseReturnValue:
    """Other fans that are probably this person, each with its evidence (a person links them)."""
    fan = db().get(Fan, _checked_id(fan_id, "fan"))
    if fan is None or fan.workspace_id != g.api_workspace_id:
        raise ApiError(404, "not_found", "No such fan.")
    found = identity.suggestions_for(db(), g.api_workspace_id, fan.id)
    return reply_json(serialize.FanSuggestions(data=[serialize.fan_suggestion(s) for s in found]))


@bp.get("/reports/weekly")
@token_required()
def weekly_report() -> ResponseReturnValue:
    try:
        rv = review_svc.load(db(), g.api_workspace_id, request.args.get("week") or None)
    except UserError as exc:
        raise ApiError(400, "bad_request", str(exc)) from None
    db().commit()  # finished weeks counted now are kept (review_weeks)
    return reply_json(serialize.weekly_report(review_svc.document(rv)))
