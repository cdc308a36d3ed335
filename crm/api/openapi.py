"""The OpenAPI 3.0 description of ``/api/v1`` (served at ``/api/v1/openapi.json``).

Kept beside the serialisers it describes; the API tests fuzz the running app
against this document (schemathesis), so a drift between the two fails CI.
"""

from __future__ import annotations

from typing import Any

from crm.services.conversations import INTENTS
from models.channel import NETWORKS


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


STR = {"type": "string"}
INT = {"type": "integer"}
TIME = {"type": "string", "format": "date-time"}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": STR, "message": STR},
            }
        },
    },
    "FanSummary": {
        "type": "object",
        "required": ["id", "name", "segment", "engagement_score"],
        "properties": {
            "id": INT,
            "name": STR,
            "segment": {
                "type": "string",
                "enum": ["new", "regular", "superfan", "lapsed", "industry", "bot", "troll"],
            },
            "engagement_score": {"type": "number"},
        },
    },
    "Identity": {
        "type": "object",
        "required": ["network", "external_id", "handle", "name", "profile_url"],
        "properties": {
            "network": STR,
            "external_id": STR,
            "handle": STR,
            "name": STR,
            "profile_url": _nullable(STR),
        },
    },
    "Fan": {
        "allOf": [
            {"$ref": "#/components/schemas/FanSummary"},
            {
                "type": "object",
                "required": ["message_count", "first_seen_at", "last_seen_at", "identities"],
                "properties": {
                    "message_count": INT,
                    "first_seen_at": _nullable(TIME),
                    "last_seen_at": _nullable(TIME),
                    "identities": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Identity"},
                    },
                },
            },
        ]
    },
    "Conversation": {
        "type": "object",
        "required": [
            "id",
            "network",
            "channel",
            "kind",
            "status",
            "priority",
            "priority_score",
            "priority_reasons",
            "is_spam",
            "waiting_for_us",
            "message_count",
            "preview",
            "last_activity_at",
            "fan",
        ],
        "properties": {
            "id": INT,
            "network": {"type": "string", "enum": list(NETWORKS)},
            "channel": STR,
            "kind": {"type": "string", "enum": ["mention", "comment", "reply", "dm", "email"]},
            "subject": _nullable(STR),
            "status": {"type": "string", "enum": ["open", "snoozed", "done"]},
            "snooze_until": _nullable(TIME),
            "priority": {"type": "string", "enum": ["urgent", "high", "normal", "low"]},
            "priority_score": {"type": "integer", "minimum": 0, "maximum": 100},
            "priority_reasons": {"type": "array", "items": STR},
            "intent": _nullable({"type": "string", "enum": list(INTENTS)}),
            "is_spam": {"type": "boolean"},
            "assignee_id": _nullable(INT),
            "waiting_for_us": {"type": "boolean"},
            "message_count": INT,
            "preview": STR,
            "last_activity_at": TIME,
            "fan": _nullable({"$ref": "#/components/schemas/FanSummary"}),
        },
    },
    "Message": {
        "type": "object",
        "required": ["id", "external_id", "direction", "kind", "text", "sent_at", "deleted"],
        "properties": {
            "id": INT,
            "external_id": STR,
            "direction": {"type": "string", "enum": ["inbound", "outbound"]},
            "kind": {"type": "string", "enum": ["mention", "comment", "reply", "dm", "email"]},
            "text": STR,
            "lang": _nullable(STR),
            "sent_at": TIME,
            "url": _nullable(STR),
            "author": _nullable({"$ref": "#/components/schemas/Identity"}),
            "edited_at": _nullable(TIME),
            "deleted": {"type": "boolean"},
            "classification": _nullable(
                {
                    "type": "object",
                    "properties": {
                        "intent": _nullable(STR),
                        "sentiment": _nullable(STR),
                        "spam": {"type": "boolean"},
                        "spam_score": _nullable({"type": "number"}),
                        "toxic": {"type": "boolean"},
                        "reasons": {"type": "array", "items": STR},
                    },
                }
            ),
        },
    },
    "ConversationDetail": {
        "allOf": [
            {"$ref": "#/components/schemas/Conversation"},
            {
                "type": "object",
                "required": ["messages", "older_messages"],
                "properties": {
                    "older_messages": INT,
                    "messages": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Message"},
                    },
                },
            },
        ]
    },
    "Reply": {
        "type": "object",
        "required": ["id", "conversation_id", "status", "text", "created_at"],
        "properties": {
            "id": INT,
            "conversation_id": INT,
            "status": {"type": "string", "enum": ["draft", "queued", "sending", "sent", "failed"]},
            "text": STR,
            "external_id": _nullable(STR),
            "error": _nullable(STR),
            "created_at": TIME,
            "sent_at": _nullable(TIME),
        },
    },
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _page(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["data", "next"],
        "properties": {"data": {"type": "array", "items": _ref(item)}, "next": _nullable(STR)},
    }


def _param(
    name: str, schema: dict[str, Any], where: str = "query", description: str = ""
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": description,
    }


AUTH_ERRORS = {"401": _error("No valid token"), "403": _error("The token's role is too low")}
LIMIT = _param("limit", {"type": "integer", "minimum": 1, "maximum": 100}, description="Page size")
ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
CONV_ID = _param("conversation_id", ID, "path")


def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
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
            "schemas": SCHEMAS,
        },
        "paths": {
            "/api/v1/me": {
                "get": {
                    "operationId": "me",
                    "summary": "Who the token belongs to",
                    "responses": {
                        "200": _ok(
                            {
                                "type": "object",
                                "required": ["user", "workspace_id"],
                                "properties": {"user": {"type": "object"}, "workspace_id": INT},
                            }
                        ),
                        **AUTH_ERRORS,
                    },
                }
            },
            "/api/v1/conversations": {
                "get": {
                    "operationId": "listConversations",
                    "summary": "Conversations, in the inbox's order, with the inbox's filters",
                    "parameters": [
                        _param(
                            "status", {"type": "string", "enum": ["open", "snoozed", "done", "all"]}
                        ),
                        _param("network", {"type": "string", "enum": list(NETWORKS)}),
                        _param(
                            "priority",
                            {"type": "string", "enum": ["urgent", "high", "normal", "low"]},
                        ),
                        _param("intent", {"type": "string", "enum": list(INTENTS)}),
                        _param("waiting", {"type": "string", "enum": ["1", "0"]}),
                        _param("q", {"type": "string", "maxLength": 200}, description="Search"),
                        _param("sort", {"type": "string", "enum": ["newest", "priority"]}),
                        _param(
                            "after",
                            {"type": "string", "maxLength": 200},
                            description="The next cursor of the previous page",
                        ),
                        LIMIT,
                    ],
                    "responses": {
                        "200": _ok(_page("Conversation")),
                        "400": _error("A filter value is not understood"),
                        **AUTH_ERRORS,
                    },
                }
            },
            "/api/v1/conversations/{conversation_id}": {
                "get": {
                    "operationId": "getConversation",
                    "summary": "A conversation and its messages",
                    "parameters": [CONV_ID],
                    "responses": {
                        "200": _ok(_ref("ConversationDetail")),
                        "404": _error("No such conversation"),
                        **AUTH_ERRORS,
                    },
                },
                "patch": {
                    "operationId": "updateConversation",
                    "summary": "Close, reopen, snooze or assign a conversation",
                    "parameters": [CONV_ID],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {
                                        "status": {
                                            "type": "string",
                                            "enum": ["open", "snoozed", "done"],
                                        },
                                        "snooze_until": _nullable(TIME),
                                        "assignee_id": _nullable(INT),
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _ok(_ref("Conversation")),
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
                    "parameters": [CONV_ID],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["text"],
                                    "properties": {
                                        "text": STR,
                                        "idempotency_key": {
                                            "type": "string",
                                            "minLength": 1,
                                            "maxLength": 64,
                                        },
                                        "confirm_identical": {"type": "boolean"},
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "202": _ok(_ref("Reply"), "Queued"),
                        "400": _error("The body is not a JSON object"),
                        "404": _error("No such conversation"),
                        "409": _error("The same words went to many fans: confirm"),
                        "422": _error("Empty, too long, or not acceptable"),
                        **AUTH_ERRORS,
                    },
                }
            },
            "/api/v1/replies/{reply_id}": {
                "get": {
                    "operationId": "getReply",
                    "summary": "A reply and whether it was sent",
                    "parameters": [_param("reply_id", ID, "path")],
                    "responses": {
                        "200": _ok(_ref("Reply")),
                        "404": _error("No such reply"),
                        **AUTH_ERRORS,
                    },
                }
            },
            "/api/v1/fans": {
                "get": {
                    "operationId": "listFans",
                    "summary": "Fans, oldest first",
                    "parameters": [
                        _param("after", {"type": "string", "pattern": "^[0-9]{1,9}$"}),
                        LIMIT,
                    ],
                    "responses": {
                        "200": _ok(_page("FanSummary")),
                        "400": _error("A value is not understood"),
                        **AUTH_ERRORS,
                    },
                }
            },
            "/api/v1/fans/{fan_id}": {
                "get": {
                    "operationId": "getFan",
                    "summary": "A fan and their identities on every network",
                    "parameters": [_param("fan_id", ID, "path")],
                    "responses": {
                        "200": _ok(_ref("Fan")),
                        "404": _error("No such fan"),
                        **AUTH_ERRORS,
                    },
                }
            },
        },
    }
