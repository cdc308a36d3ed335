"""The JSON API: token auth, the inbox's data, replies, and conformance to its OpenAPI document."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from crm.services import api_tokens
from inbox.pipeline import ingest
from inbox.runtime import Runtime
from models import Conversation, Reply, ReplyStatus, User, Workspace
from tests import fakes
from tests.helpers import item, make_channel


@pytest.fixture
def seeded(rt: Runtime, workspace: Workspace) -> dict[str, str]:
    fakes.NETWORK.reset()
    ch = make_channel(rt, workspace.id, network="mastodon", connector="fake")
    with rt.session() as s:
        ingest(
            s,
            ch,
            [
                item("m1", "When do tickets for Lyon go on sale?", author="marie"),
                item("m2", "Booking request for June 12 in Berlin", author="karl", minutes=5),
                item("m3", "love the new album", author="ana", minutes=9),
            ],
            defer_jobs=False,
        )
        tokens = {}
        for email in ("owner@example.org", "agent@example.org", "viewer@example.org"):
            user = s.scalars(select(User).where(User.email == email)).one()
            tokens[email.split("@")[0]] = api_tokens.create(s, user, workspace.id, "tests")
    return tokens


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_the_api_needs_a_valid_token(client: FlaskClient, seeded: dict[str, str]) -> None:
    assert client.get("/api/v1/conversations").status_code == 401
    bad = client.get("/api/v1/conversations", headers=auth("unp_not-a-token"))
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "unauthorized"


def test_conversations_are_listed_newest_first_with_filters(
    client: FlaskClient, seeded: dict[str, str]
) -> None:
    resp = client.get("/api/v1/conversations", headers=auth(seeded["viewer"]))
    assert resp.status_code == 200
    previews = [c["preview"] for c in resp.get_json()["data"]]
    assert previews[0] == "love the new album" and len(previews) == 3
    page = client.get("/api/v1/conversations?limit=2", headers=auth(seeded["viewer"])).get_json()
    assert len(page["data"]) == 2 and page["next"]
    rest = client.get(
        f"/api/v1/conversations?limit=2&after={page['next']}", headers=auth(seeded["viewer"])
    ).get_json()
    assert [c["preview"] for c in rest["data"]] == ["When do tickets for Lyon go on sale?"]
    bad = client.get("/api/v1/conversations?priority=extreme", headers=auth(seeded["viewer"]))
    assert bad.status_code == 400


def test_a_reply_through_the_api_is_sent_and_traceable(
    client: FlaskClient, rt: Runtime, seeded: dict[str, str]
) -> None:
    with rt.session() as s:
        cid = s.scalars(select(Conversation.id).order_by(Conversation.id)).first()
    viewer = client.post(
        f"/api/v1/conversations/{cid}/replies", json={"text": "hi"}, headers=auth(seeded["viewer"])
    )
    assert viewer.status_code == 403
    resp = client.post(
        f"/api/v1/conversations/{cid}/replies",
        json={"text": "On sale Friday at 10!", "idempotency_key": "api-1"},
        headers=auth(seeded["agent"]),
    )
    assert resp.status_code == 202
    reply_id = resp.get_json()["id"]
    status = client.get(f"/api/v1/replies/{reply_id}", headers=auth(seeded["agent"])).get_json()
    assert status["status"] == "sent" and status["external_id"] == "sent-api-1"
    with rt.session() as s:
        reply = s.get_one(Reply, reply_id)
        assert reply.status == ReplyStatus.SENT and reply.author_id is not None
    assert len(fakes.NETWORK.sent) == 1
    empty = client.post(
        f"/api/v1/conversations/{cid}/replies", json={"text": "  "}, headers=auth(seeded["agent"])
    )
    assert empty.status_code == 422


def test_status_changes_through_the_api(
    client: FlaskClient, seeded: dict[str, str], rt: Runtime
) -> None:
    with rt.session() as s:
        cid = s.scalars(select(Conversation.id)).first()
    resp = client.patch(
        f"/api/v1/conversations/{cid}", json={"status": "done"}, headers=auth(seeded["agent"])
    )
    assert resp.status_code == 200 and resp.get_json()["status"] == "done"
    bad = client.patch(
        f"/api/v1/conversations/{cid}", json={"status": "archived"}, headers=auth(seeded["agent"])
    )
    assert bad.status_code == 422


def test_a_refused_change_changes_nothing_and_is_a_422(
    client: FlaskClient, seeded: dict[str, str], rt: Runtime
) -> None:
    with rt.session() as s:
        conv = s.scalars(select(Conversation).order_by(Conversation.id)).first()
        assert conv is not None
        cid, status, assignee = conv.id, conv.status, conv.assignee_id
    for body in (
        {"status": "snoozed", "snooze_until": "2000-01-01T00:00:00Z"},  # in the past
        {"status": "done", "assignee_id": 99_999},  # valid status, then an unknown teammate
    ):
        resp = client.patch(
            f"/api/v1/conversations/{cid}", json=body, headers=auth(seeded["agent"])
        )
        assert resp.status_code == 422, body
        assert resp.get_json()["error"]["code"] == "invalid"
        with rt.session() as s:
            after = s.get_one(Conversation, cid)
            assert (after.status, after.assignee_id) == (status, assignee)


def test_the_api_serves_its_openapi_document(client: FlaskClient) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.") and "/api/v1/conversations" in doc["paths"]


@pytest.mark.slow
def test_the_api_conforms_to_its_openapi_document_under_fuzzing(
    app: Flask, seeded: dict[str, str]
) -> None:
    """schemathesis generates requests from the document: no 500s, every response as documented."""
    import schemathesis
    from hypothesis import HealthCheck, settings
    from schemathesis import checks

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    token = seeded["agent"]
    failures: list[str] = []
    from hypothesis import given

    def fuzz(operation: schemathesis.APIOperation) -> None:
        @settings(
            max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
            response = case.call()
            if response.status_code >= 500:
                failures.append(f"{operation.label}: {response.status_code}")
            # Business rules (the assignee must be a teammate, a reply must fit the network)
            # cannot be written in a schema: a documented 422 for them is right, so the
            # "valid data must be accepted" check is left out; every other check runs.
            case.validate_response(response, excluded_checks=[checks.positive_data_acceptance])

        check()

    for result in schema.get_all_operations():
        fuzz(result.ok())
    assert failures == []


@pytest.mark.parametrize(
    "body",
    [
        b'{"text": "half \\ud800 an emoji"}',
        b'{"text": "fine", "idempotency_key": "key-\\udfff"}',
    ],
)
def test_a_lone_surrogate_in_a_reply_is_refused_and_nothing_is_queued(
    client: FlaskClient, seeded: dict[str, str], rt: Runtime, body: bytes
) -> None:
    with rt.session() as s:
        cid = s.scalars(select(Conversation.id)).first()
    resp = client.post(
        f"/api/v1/conversations/{cid}/replies",
        data=body,
        headers={**auth(seeded["agent"]), "Content-Type": "application/json"},
    )
    assert resp.status_code in (400, 422), resp.get_data(as_text=True)
    with rt.session() as s:
        assert s.scalars(select(Reply)).all() == []


def test_huge_ids_in_api_paths_are_not_found(client: FlaskClient, seeded: dict[str, str]) -> None:
    for path in (f"/api/v1/conversations/{2**64}", f"/api/v1/fans/{-(2**64)}"):
        assert client.get(path, headers=auth(seeded["viewer"])).status_code == 404


def test_a_signed_webhook_nested_too_deep_is_refused() -> None:
    from inbox import webhooks

    deep = b'{"entry": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(webhooks.BadDelivery):
        webhooks.parse_delivery(deep)


def test_a_reply_through_the_api_answers_the_message_named_by_in_reply_to(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    """Two fans in one thread: in_reply_to picks the one answered, and only they are mentioned."""
    from models import Message

    fakes.NETWORK.reset()
    ch = make_channel(rt, workspace.id, network="mastodon", connector="fake")
    with rt.session() as s:
        ingest(
            s,
            ch,
            [
                item("a1", "Lyon please", author="marie", thread_id="post"),
                item("b1", "Berlin please", author="karl", minutes=3, thread_id="post"),
            ],
            defer_jobs=False,
        )
        cid = s.scalars(select(Conversation.id)).one()
        marie = s.scalars(select(Message.id).where(Message.external_id == "a1")).one()
        agent = s.scalars(select(User).where(User.email == "agent@example.org")).one()
        token = api_tokens.create(s, agent, workspace.id, "tests")
    resp = client.post(
        f"/api/v1/conversations/{cid}/replies",
        json={"text": "Lyon in April!", "in_reply_to": marie},
        headers=auth(token),
    )
    assert resp.status_code == 202 and resp.get_json()["in_reply_to"] == marie
    [(target, _text, _key)] = fakes.NETWORK.sent
    assert target.parent_external_id == "a1"
    assert target.parent_author is not None and target.parent_author.handle == "marie"
    doc = client.get("/api/v1/openapi.json").get_json()
    body = doc["paths"]["/api/v1/conversations/{conversation_id}/replies"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "in_reply_to" in schema["properties"] and schema["required"] == ["text"]


def test_in_reply_to_must_be_a_live_fan_message_of_the_same_conversation(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import update

    from crm.services import accounts
    from models import Message
    from tests.helpers import own

    fakes.NETWORK.reset()
    ch = make_channel(rt, workspace.id, network="mastodon", connector="fake")
    with rt.session() as s:
        other_ws = accounts.create_workspace(s, "Someone else")
        other_ws_id = other_ws.id
    elsewhere = make_channel(rt, other_ws_id, network="mastodon", connector="fake", handle="x")
    with rt.session() as s:
        ingest(
            s,
            ch,
            [
                item("a1", "Lyon please", author="marie", thread_id="post"),
                own("ours", "Soon!", minutes=1, thread_id="post", parent_id="a1"),
                item("gone", "deleted later", author="karl", minutes=2, thread_id="post"),
                item("c1", "another thread", author="ana", minutes=3, thread_id="other-post"),
            ],
            defer_jobs=False,
        )
        ingest(s, elsewhere, [item("w1", "not yours", author="zed")], defer_jobs=False)
        ids = {e: i for e, i in s.execute(select(Message.external_id, Message.id))}
        s.execute(
            update(Message).where(Message.id == ids["gone"]).values(deleted_at=datetime.now(UTC))
        )
        cid = s.scalars(select(Message.conversation_id).where(Message.external_id == "a1")).one()
        agent = s.scalars(select(User).where(User.email == "agent@example.org")).one()
        token = api_tokens.create(s, agent, workspace.id, "tests")
    cases: list[tuple[object, str]] = [
        (ids["c1"], "in_reply_to_other_conversation"),
        (ids["ours"], "in_reply_to_not_inbound"),
        (ids["gone"], "in_reply_to_deleted"),
        (ids["w1"], "in_reply_to_not_found"),  # another workspace's message
        (2**40, "in_reply_to_not_found"),
        ("12", "invalid"),
        (True, "invalid"),
    ]
    for value, code in cases:
        resp = client.post(
            f"/api/v1/conversations/{cid}/replies",
            json={"text": "hello", "in_reply_to": value},
            headers=auth(token),
        )
        assert resp.status_code == 422, (value, resp.get_json())
        error = resp.get_json()["error"]
        assert error["code"] == code, (value, error)
        assert "not yours" not in error["message"]
    assert fakes.NETWORK.sent == []
    with rt.session() as s:
        assert s.scalars(select(Reply)).all() == []


def test_the_documents_schemas_are_the_structs_and_the_models_enums(client: FlaskClient) -> None:
    import msgspec

    from crm.api import serialize
    from models import Priority, ReplyStatus, Segment

    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    _, generated = msgspec.json.schema_components(
        serialize.RESPONSES + serialize.REQUESTS, ref_template="#/components/schemas/{name}"
    )
    assert {name: schemas[name] for name in generated} == generated
    for enum in (Priority, ReplyStatus, Segment):
        assert sorted(schemas[enum.__name__]["enum"]) == sorted(e.value for e in enum)
    conversation = schemas["Conversation"]["properties"]
    assert conversation["last_activity_at"] == {"type": "string", "format": "date-time"}


def test_a_body_of_the_wrong_shape_is_a_422_that_names_the_field(
    client: FlaskClient, seeded: dict[str, str], rt: Runtime
) -> None:
    with rt.session() as s:
        cid = s.scalars(select(Conversation.id)).first()
    for path, body, field in (
        (f"/api/v1/conversations/{cid}", {"assignee_id": True}, "$.assignee_id"),
        (f"/api/v1/conversations/{cid}", {"status": "snoozed", "snooze_until": "tomorrow"},
         "$.snooze_until"),
        (f"/api/v1/conversations/{cid}", {"status": "snoozed",
                                          "snooze_until": "2099-01-01T10:00:00"},
         "$.snooze_until"),  # no time zone
        (f"/api/v1/conversations/{cid}/replies", {"text": 5}, "$.text"),
        (f"/api/v1/conversations/{cid}/replies", {"text": "hi", "idempotency_key": ""},
         "$.idempotency_key"),
    ):  # fmt: skip
        send = client.patch if path.endswith(str(cid)) else client.post
        resp = send(path, json=body, headers=auth(seeded["agent"]))
        assert resp.status_code == 422, body
        error = resp.get_json()["error"]
        assert error["code"] == "invalid" and field in error["message"], (body, error)
    with rt.session() as s:
        assert s.scalars(select(Reply)).all() == []
