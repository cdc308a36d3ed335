"""The OpenAPI 3.1 description of ``/api/v1`` (served at ``/api/v1/openapi.json``).

Every schema in it is generated from the structs the views encode and decode
(:mod:`crm.api.serialize`) by ``msgspec.json.schema_components``, enum values
included, so there is no second, hand-written description to drift. Only the
paths (which operation answers what) are written here. The API tests fuzz the
running app against this document (schemathesis).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec

from crm.api import serialize as shapes
from crm.services.conversations import Sort
from models import Priority

REF = "#/components/schemas/{name}"
# Query and path parameters: (name, where, type).
PARAMETERS: dict[str, tuple[str, str, Any]] = {
    "status": ("status", "query", shapes.StatusFilter),
    "network": ("network", "query", shapes.Network),
    "priority": ("priority", "query", Priority),
    "intent": ("intent", "query", shapes.Intent),
    "waiting": ("waiting", "query", shapes.Waiting),
    "q": ("q", "query", shapes.Search),
    "sort": ("sort", "query", Sort),
    "after": ("after", "query", shapes.Cursor),
    "fan_after": ("after", "query", shapes.FanCursor),
    "limit": ("limit", "query", shapes.Limit),
    "conversation_id": ("conversation_id", "path", shapes.Id),
    "reply_id": ("reply_id", "path", shapes.Id),
    "fan_id": ("fan_id", "path", shapes.Id),
    "week": ("week", "query", shapes.IsoWeek),
}


@cache
def _schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """The parameters' schemas by key, and the components (structs and enums)."""
    types = [*shapes.RESPONSES, *shapes.REQUESTS, *(t for _, _, t in PARAMETERS.values())]
    generated, components = msgspec.json.schema_components(types, ref_template=REF)
    params = dict(zip(PARAMETERS, generated[-len(PARAMETERS) :], strict=True))
    return params, components


def _param(key: str) -> dict[str, Any]:
    name, where, _ = PARAMETERS[key]
    schema = dict(_schemas()[0][key])
    description = schema.pop("description", "")
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": description,
    }


def _ref(struct: type[msgspec.Struct]) -> dict[str, str]:
    return {"$ref": REF.format(name=struct.__name__)}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref(shapes.Error)}},
    }


def _ok(struct: type[msgspec.Struct], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(struct)}}}


def _body(struct: type[msgspec.Struct]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(struct)}}}


AUTH_ERRORS = {"401": _error("No valid token"), "403": _error("The token's role is too low")}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Unplugged API",
            "version": "1.0.0",
            "description": "The inbox's conversations, messages, fans and replies. A reply "
            "sent here is written by the person whose token it is.",
        },
        "servers": [{"url": "/"}],
        "security": [{"token": []}],
        "components": {
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token (unp_...)",
                }
            },
            "schemas": _schemas()[1],
        },
        "paths": {
            "/api/v1/me": {
                "get": {
                    "operationId": "me",
                    "summary": "Who the token belongs to",
                    "responses": {"200": _ok(shapes.Me), **AUTH_ERRORS},
                }
            },
            "/api/v1/conversations": {
                "get": {
                    "operationId": "listConversations",
                    "summary": "Conversations, in the inbox's order, with the inbox's filters",
                    "parameters": [
                        _param(k)
                        for k in (
                            "status",
                            "network",
                            "priority",
                            "intent",
                            "waiting",
                            "q",
                            "sort",
                            "after",
                            "limit",
                        )
                    ],
                    "responses": {
                        "200": _ok(shapes.ConversationPage),
                        "400": _error("A filter value is not understood"),
                        **AUTH_ERRORS,
                    },
                }
            },
            "/api/v1/conversations/{conversation_id}": {
                "get": {
                    "operationId": "getConversation",
                    "summary": "A conversation and its messages",
                    "parameters": [_param("conversation_id")],
                    "responses": {
                        "200": _ok(shapes.ConversationDetail),
                        "404": _error("No such conversation"),
                        **AUTH_ERRORS,
                    },
                },
                "patch": {
                    "operationId": "updateConversation",
                    "summary": "Close, reopen, snooze or assign a conversation",
                    "parameters": [_param("conversation_id")],
                    "requestBody": _body(shapes.ConversationUpdate),
                    "responses": {
                        "200": _ok(shapes.Conversation),
                        "400": _error("The body is not a JSON object"),
                        "404": _error("No such conversation"),
                        "422": _error("A value is not acceptable"),
                        **AUTH_ERRORS,
                    },
                },
            },
            "/api/v1/conversations/{conversation_id}/replies": {
                "post": {
                    "operationId": "createReply",
                    "summary": "Queue a reply a person wrote, in the conversation's thread",
                    "parameters": [_param("conversation_id")],
                    "requestBody": _body(shapes.NewReply),
                    "responses": {
                        "202": _ok(shapes.Reply, "Queued"),
                        "400": _error("The body is not a JSON object"),
                        "404": _error("No such conversation"),
                        "409": _error("The same words went to many fans: confirm"),
                        "422": _error(
                            "Empty, too long, or not acceptable. An in_reply_to that cannot "
                            "be answered has its own code: in_reply_to_not_found (no such "
                            "message here), in_reply_to_other_conversation, "
                            "in_reply_to_not_inbound (one of ours), in_reply_to_deleted"
                        ),
                        **AUTH_ERRORS,
                    },
                }
            },
            "/api/v1/replies/{reply_id}": {
                "get": {
                    "operationId": "getReply",
                    "summary": "A reply and whether it was sent",
                    "parameters": [_param("reply_id")],
                    "responses": {
                        "200": _ok(shapes.Reply),
                        "404": _error("No such reply"),
                        **AUTH_ERRORS,
                    },
                }
            },
            "/api/v1/fans": {
                "get": {
                    "operationId": "listFans",
                    "summary": "Fans, oldest first",
                    "parameters": [_param("fan_after"), _param("limit")],
                    "responses": {
                        "200": _ok(shapes.FanPage),
                        "400": _error("A value is not understood"),
                        **AUTH_ERRORS,
                    },
                }
            },
            "/api/v1/fans/{fan_id}": {
                "get": {
                    "operationId": "getFan",
                    "summary": "A fan and their identities on every network",
                    "parameters": [_param("fan_id")],
                    "responses": {
                        "200": _ok(shapes.Fan),
                        "404": _error("No such fan"),
                        **AUTH_ERRORS,
                    },
                }
            },
            "/api/v1/fans/{fan_id}/suggestions": {
                "get": {
                    "operationId": "getFanSuggestions",
                    "summary": "Other fans that are probably this person, with the evidence",
                    "parameters": [_param("fan_id")],
                    "responses": {
                        "200": _ok(shapes.FanSuggestions),
                        "404": _error("No such fan"),
                        **AUTH_ERRORS,
                    },
                }
            },
            "/api/v1/reports/weekly": {
                "get": {
                    "operationId": "weeklyReport",
                    "summary": "The weekly engagement review: each measure with the week before "
                    "and an 8-week trend, and its tables",
                    "parameters": [_param("week")],
                    "responses": {
                        "200": _ok(shapes.WeeklyReport),
                        "400": _error("Not a week"),
                        **AUTH_ERRORS,
                    },
                }
            },
        },
    }
