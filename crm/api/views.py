"""The ``/api/v1`` endpoints. Thin: parse, call a service, serialise."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from crm.api import serialize
from crm.api.openapi import document
from crm.app import db
from crm.services import api_tokens, triage_actions
from crm.services import conversations as conv_svc
from crm.services.messages import UserError
from inbox import outbox
from models import Channel, Conversation, ConversationStatus, Fan, Identity, Reply, Role

bp = Blueprint("api", __name__, url_prefix="/api/v1")
F = TypeVar("F", bound=Callable[..., Any])
MAX_LIMIT = 100
MAX_MESSAGES = 200


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error(status: int, code: str, message: str) -> ResponseReturnValue:
    return jsonify(error={"code": code, "message": message}), status


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


MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


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


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "The body must be a JSON object.")
    return body


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document())


@bp.get("/me")
@token_required()
def me() -> ResponseReturnValue:
    return jsonify(
        user={"id": g.api_user.id, "name": g.api_user.name, "email": g.api_user.email},
        workspace_id=g.api_workspace_id,
    )


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
    return jsonify(
        data=[serialize.conversation(r.conversation, r.channel, r.fan) for r in page.rows],
        next=page.next_cursor,
    )


@bp.get("/conversations/<int(signed=True):conversation_id>")
@token_required()
def get_conversation(conversation_id: int) -> ResponseReturnValue:
    conv = _conversation(conversation_id)
    channel = db().get_one(Channel, conv.channel_id)
    fan = db().get(Fan, conv.fan_id) if conv.fan_id else None
    messages, older = conv_svc.load_messages(db(), conv.id, window=MAX_MESSAGES)
    return jsonify(
        **serialize.conversation(conv, channel, fan),
        older_messages=older,
        messages=[serialize.message(m) for m in messages],
    )


def _apply_conversation_update(session: Session, conv: Conversation, body: dict[str, Any]) -> None:
    """The status and assignee changes of a PATCH; a refused one raises ``UserError``."""
    if "status" in body:
        status = body["status"]
        if status not in {s.value for s in ConversationStatus}:
            raise ApiError(422, "invalid", "status must be open, snoozed or done.")
        if status == "done":
            triage_actions.mark_done(session, conv, g.api_user.id)
        elif status == "open":
            triage_actions.reopen(session, conv, g.api_user.id)
        else:
            until = body.get("snooze_until")
            when = None
            if until is not None:
                try:
                    when = datetime.fromisoformat(str(until))
                except ValueError:
                    raise ApiError(
                        422, "invalid", "snooze_until must be an ISO 8601 time."
                    ) from None
                if when.tzinfo is None:
                    raise ApiError(422, "invalid", "snooze_until needs a time zone.")
            triage_actions.snooze(session, conv, g.api_user.id, when)
    if "assignee_id" in body:
        assignee = body["assignee_id"]
        if assignee is not None and (not isinstance(assignee, int) or isinstance(assignee, bool)):
            raise ApiError(422, "invalid", "assignee_id must be a user id or null.")
        triage_actions.assign(session, conv, g.api_user.id, assignee)


@bp.patch("/conversations/<int(signed=True):conversation_id>")
@token_required(Role.AGENT)
def update_conversation(conversation_id: int) -> ResponseReturnValue:
    conv = _conversation(conversation_id)
    body = _json_body()
    session = db()
    try:
        _apply_conversation_update(session, conv, body)
    except UserError as exc:
        session.rollback()  # all of the change or none of it
        raise ApiError(422, "invalid", str(exc)) from None
    session.commit()
    channel = session.get_one(Channel, conv.channel_id)
    fan = session.get(Fan, conv.fan_id) if conv.fan_id else None
    return jsonify(serialize.conversation(conv, channel, fan))


@bp.post("/conversations/<int(signed=True):conversation_id>/replies")
@token_required(Role.AGENT)
def create_reply(conversation_id: int) -> ResponseReturnValue:
    conv = _conversation(conversation_id)
    body = _json_body()
    text = body.get("text")
    key = body.get("idempotency_key")
    if not isinstance(text, str):
        raise ApiError(422, "invalid", "text must be a string.")
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 64):
        raise ApiError(422, "invalid", "idempotency_key must be a string of 1 to 64 characters.")
    session = db()
    try:
        queued = outbox.queue_reply(
            session,
            conv,
            g.api_user.id,
            text,
            idempotency_key=key,
            confirm_identical=body.get("confirm_identical") is True,
        )
        session.commit()
    except outbox.IdenticalText as exc:
        session.rollback()
        raise ApiError(409, "identical_text", str(exc)) from None
    except outbox.ReplyRejected as exc:
        session.rollback()
        raise ApiError(422, "invalid", str(exc)) from None
    reply = session.get_one(Reply, queued.reply_id)
    return jsonify(serialize.reply(reply)), 202


@bp.get("/replies/<int(signed=True):reply_id>")
@token_required()
def get_reply(reply_id: int) -> ResponseReturnValue:
    reply = db().get(Reply, _checked_id(reply_id, "reply"))
    if reply is None or reply.workspace_id != g.api_workspace_id:
        raise ApiError(404, "not_found", "No such reply.")
    return jsonify(serialize.reply(reply))


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
    return jsonify(
        data=[serialize.fan_summary(f) for f in rows],
        next=str(rows[-1].id) if more and rows else None,
    )


@bp.get("/fans/<int(signed=True):fan_id>")
@token_required()
def get_fan(fan_id: int) -> ResponseReturnValue:
    fan = db().get(Fan, _checked_id(fan_id, "fan"))
    if fan is None or fan.workspace_id != g.api_workspace_id:
        raise ApiError(404, "not_found", "No such fan.")
    identities = list(db().scalars(select(Identity).where(Identity.fan_id == fan.id)))
    return jsonify(serialize.fan(fan, identities))
