"""Webhooks: verified, stored once however often delivered, processed by a job."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from crm.app import create_app
from inbox.runtime import Runtime, build_runtime, set_runtime
from models import Channel, Direction, Message, WebhookEvent, Workspace
from tests.conftest import _reset_schema, make_settings

APP_SECRET = "meta-app-secret"
VERIFY = "verify-me"
X_SECRET = "x-consumer-secret"
IG_ACCOUNT = "17841400000000001"


@pytest.fixture
def hook_rt(tmp_path: Path) -> Runtime:
    settings = replace(
        make_settings(tmp_path),
        meta_app_secret=APP_SECRET,
        meta_verify_token=VERIFY,
        x_consumer_secret=X_SECRET,
    )
    runtime = build_runtime(settings)
    _reset_schema(runtime)
    set_runtime(runtime)
    with runtime.session() as s:
        ws = Workspace(name="Band", slug="band")
        s.add(ws)
        s.flush()
        s.add(
            Channel(
                workspace_id=ws.id,
                network="instagram",
                connector="instagram",
                handle="theband",
                external_id=IG_ACCOUNT,
            )
        )
        s.add(
            Channel(
                workspace_id=ws.id,
                network="x",
                connector="x",
                handle="theband",
                external_id="2244994945",
            )
        )
    yield runtime  # type: ignore[misc]
    set_runtime(None)
    runtime.close()


@pytest.fixture
def hook_client(hook_rt: Runtime) -> FlaskClient:
    app: Flask = create_app(runtime=hook_rt)
    return app.test_client()


def ig_comment_payload(comment_id: str = "17865799348089039") -> bytes:
    return json.dumps(
        {
            "object": "instagram",
            "entry": [
                {
                    "id": IG_ACCOUNT,
                    "time": 1767000000,
                    "changes": [
                        {
                            "field": "comments",
                            "value": {
                                "from": {"id": "232323232", "username": "marie_l"},
                                "media": {"id": "123123123", "media_product_type": "FEED"},
                                "id": comment_id,
                                "text": "Quand est-ce que vous passez à Lyon ?",
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


def meta_signature(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def count(rt: Runtime, model: type) -> int:
    with rt.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_meta_subscription_challenge_needs_the_verify_token(hook_client: FlaskClient) -> None:
    ok = hook_client.get(
        "/webhooks/meta?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444"
    )
    assert ok.status_code == 200 and ok.get_data(as_text=True) == "1158201444"
    bad = hook_client.get(
        "/webhooks/meta?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1158201444"
    )
    assert bad.status_code == 403


def test_a_bad_signature_is_refused_and_nothing_is_stored(
    hook_client: FlaskClient, hook_rt: Runtime
) -> None:
    body = ig_comment_payload()
    resp = hook_client.post(
        "/webhooks/meta",
        data=body,
        headers={
            "X-Hub-Signature-256": meta_signature(body, "wrong"),
            "Content-Type": "application/json",
        },
    )
    assert resp.status_code == 401
    missing = hook_client.post("/webhooks/meta", data=body)
    assert missing.status_code == 401
    assert count(hook_rt, WebhookEvent) == 0 and count(hook_rt, Message) == 0


def test_a_delivery_made_three_times_is_stored_once(
    hook_client: FlaskClient, hook_rt: Runtime
) -> None:
    body = ig_comment_payload()
    for _ in range(3):
        resp = hook_client.post(
            "/webhooks/meta",
            data=body,
            headers={
                "X-Hub-Signature-256": meta_signature(body),
                "Content-Type": "application/json",
            },
        )
        assert resp.status_code == 200
    assert count(hook_rt, WebhookEvent) == 1
    assert count(hook_rt, Message) == 1
    with hook_rt.session() as s:
        msg = s.scalars(select(Message)).one()
        assert msg.text == "Quand est-ce que vous passez à Lyon ?"
        assert s.scalars(select(WebhookEvent)).one().processed_at is not None


def test_a_signed_body_that_is_not_json_is_refused(
    hook_client: FlaskClient, hook_rt: Runtime
) -> None:
    body = b"{not json"
    resp = hook_client.post(
        "/webhooks/meta", data=body, headers={"X-Hub-Signature-256": meta_signature(body)}
    )
    assert resp.status_code == 400 and count(hook_rt, WebhookEvent) == 0


def test_x_crc_check_answers_with_the_hmac_of_the_token(hook_client: FlaskClient) -> None:
    resp = hook_client.get("/webhooks/x?crc_token=challenge123")
    expected = base64.b64encode(
        hmac.new(X_SECRET.encode(), b"challenge123", hashlib.sha256).digest()
    ).decode()
    assert resp.get_json() == {"response_token": "sha256=" + expected}


def _x_mention(tweet_id: str, text: str, user_id: str = "777") -> bytes:
    return json.dumps(
        {
            "for_user_id": "2244994945",
            "tweet_create_events": [
                {
                    "created_at": "Wed Mar 04 18:22:05 +0000 2026",
                    "id_str": tweet_id,
                    "text": text,
                    "in_reply_to_status_id_str": None,
                    "user": {"id_str": user_id, "name": "Lena", "screen_name": "lena_b"},
                }
            ],
        }
    ).encode()


def _x_signed(body: bytes) -> str:
    digest = hmac.new(X_SECRET.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def test_the_crc_check_never_signs_a_delivery_body(
    hook_client: FlaskClient, hook_rt: Runtime
) -> None:
    forged = _x_mention("1897000000000000099", "@theband forged!")
    resp = hook_client.get("/webhooks/x", query_string={"crc_token": forged.decode()})
    assert resp.status_code == 400
    too_long = hook_client.get("/webhooks/x", query_string={"crc_token": "a" * 129})
    assert too_long.status_code == 400
    assert count(hook_rt, WebhookEvent) == 0 and count(hook_rt, Message) == 0


def test_an_edit_never_rewrites_the_bands_reply_or_another_fans_words(
    hook_client: FlaskClient, hook_rt: Runtime
) -> None:
    first = _x_mention("1897000000000000001", "@theband see you in Berlin!")
    assert (
        hook_client.post(
            "/webhooks/x", data=first, headers={"x-twitter-webhooks-signature": _x_signed(first)}
        ).status_code
        == 200
    )
    with hook_rt.session() as s:
        fan_message = s.scalars(select(Message)).one()
        reply = Message(
            workspace_id=fan_message.workspace_id,
            channel_id=fan_message.channel_id,
            conversation_id=fan_message.conversation_id,
            external_id="1897000000000000002",
            direction=Direction.OUTBOUND,
            kind=fan_message.kind,
            text="Danke Lena, bis bald!",
            sent_at=fan_message.sent_at,
        )
        s.add(reply)
    # Same ids, other words: one claims the band's reply, one claims Lena's words for someone else.
    on_reply = _x_mention("1897000000000000002", "we hate Berlin", user_id="777")
    other_author = _x_mention("1897000000000000001", "@theband rewritten", user_id="666")
    for body in (on_reply, other_author):
        resp = hook_client.post(
            "/webhooks/x", data=body, headers={"x-twitter-webhooks-signature": _x_signed(body)}
        )
        assert resp.status_code == 200
    with hook_rt.session() as s:
        texts = dict(s.execute(select(Message.external_id, Message.text)).all())
    assert texts == {
        "1897000000000000001": "@theband see you in Berlin!",
        "1897000000000000002": "Danke Lena, bis bald!",
    }
    # The fan's own edit still lands.
    edit = _x_mention("1897000000000000001", "@theband see you in Berlin!! (edited)")
    hook_client.post(
        "/webhooks/x", data=edit, headers={"x-twitter-webhooks-signature": _x_signed(edit)}
    )
    with hook_rt.session() as s:
        assert (
            s.scalar(select(Message.text).where(Message.external_id == "1897000000000000001"))
            == "@theband see you in Berlin!! (edited)"
        )


def test_x_account_activity_mentions_become_messages(
    hook_client: FlaskClient, hook_rt: Runtime
) -> None:
    body = json.dumps(
        {
            "for_user_id": "2244994945",
            "tweet_create_events": [
                {
                    "created_at": "Wed Mar 04 18:22:05 +0000 2026",
                    "id_str": "1897000000000000001",
                    "text": "@theband see you in Berlin!",
                    "in_reply_to_status_id_str": None,
                    "user": {"id_str": "777", "name": "Lena", "screen_name": "lena_b"},
                }
            ],
        }
    ).encode()
    sig = (
        "sha256="
        + base64.b64encode(hmac.new(X_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    )
    bad = hook_client.post(
        "/webhooks/x", data=body, headers={"x-twitter-webhooks-signature": "sha256=AAAA"}
    )
    assert bad.status_code == 401
    resp = hook_client.post("/webhooks/x", data=body, headers={"x-twitter-webhooks-signature": sig})
    assert resp.status_code == 200
    with hook_rt.session() as s:
        msg = s.scalars(select(Message)).one()
        assert msg.external_id == "1897000000000000001" and msg.author is not None
        assert msg.author.handle == "lena_b"


def x_signed(body: bytes) -> dict[str, str]:
    digest = hmac.new(X_SECRET.encode(), body, hashlib.sha256).digest()
    return {"x-twitter-webhooks-signature": "sha256=" + base64.b64encode(digest).decode()}


def test_an_x_delete_event_takes_the_fans_tweet_out_of_the_inbox_at_once(
    hook_client: FlaskClient, hook_rt: Runtime
) -> None:
    """Account Activity's ``tweet_delete_events`` (X's own signal) mark the stored tweet
    deleted when the delivery is processed, without waiting for a sync's check."""
    created = json.dumps(
        {
            "for_user_id": "2244994945",
            "tweet_create_events": [
                {
                    "created_at": "Wed Mar 04 18:22:05 +0000 2026",
                    "id_str": "1897000000000000001",
                    "text": "@theband see you in Berlin!",
                    "user": {"id_str": "777", "name": "Lena", "screen_name": "lena_b"},
                }
            ],
        }
    ).encode()
    assert (
        hook_client.post("/webhooks/x", data=created, headers=x_signed(created)).status_code == 200
    )
    deleted = json.dumps(  # the shape of X's documented example
        {
            "for_user_id": "2244994945",
            "tweet_delete_events": [
                {
                    "status": {"id": "1897000000000000001", "user_id": "777"},
                    "timestamp_ms": "1772648600000",
                },
                {"status": {"id": "1897000000000000999", "user_id": "778"}},  # never stored
                {"status": {"id": "not a tweet id"}},  # malformed: skipped
            ],
        }
    ).encode()
    assert (
        hook_client.post("/webhooks/x", data=deleted, headers=x_signed(deleted)).status_code == 200
    )
    with hook_rt.session() as s:
        [msg] = s.scalars(select(Message)).all()  # no row made for the unknown or bad ids
        assert msg.external_id == "1897000000000000001" and msg.deleted_at is not None
        [event] = s.scalars(select(WebhookEvent).order_by(WebhookEvent.id.desc()).limit(1))
        assert event.processed_at is not None and event.error is None


def _x_delivery(n: int, for_user: str = "2244994945") -> str:
    return json.dumps(
        {
            "for_user_id": for_user,
            "tweet_create_events": [
                {
                    "created_at": "Wed Mar 04 18:22:05 +0000 2026",
                    "id_str": str(1_897_000_000_000_100_000 + n),
                    "text": f"@theband see you in Berlin! #{n}",
                    "in_reply_to_status_id_str": None,
                    "user": {"id_str": str(800 + n), "name": f"Fan {n}", "screen_name": f"fan{n}"},
                }
            ],
        }
    )


def _waiting(rt: Runtime, bodies: list[str]) -> list[int]:
    """Deliveries stored as the view stores them, their jobs not run yet."""
    with rt.session() as s:
        events = [
            WebhookEvent(source="x", body_sha256=hashlib.sha256(b.encode()).hexdigest(), body=b)
            for b in bodies
        ]
        s.add_all(events)
        s.flush()
        return [e.id for e in events]


def test_one_job_turns_the_deliveries_waiting_beside_it_into_messages_in_one_classifier_batch(
    hook_rt: Runtime,
) -> None:
    """Under load deliveries wait for the worker: the first job takes them all, the
    classifier reads them as one batch, and the other jobs find their delivery done."""
    from inbox import webhooks

    ids = _waiting(hook_rt, [_x_delivery(n) for n in range(30)])
    batches: list[int] = []

    def classifier_for(_workspace_id: int):  # type: ignore[no-untyped-def]
        def classify(items):  # type: ignore[no-untyped-def]
            batches.append(len(items))
            return [None] * len(items)

        return classify

    first = webhooks.process(hook_rt, ids[0], classifier_for=classifier_for)
    assert first.created == 30 and batches == [30]
    assert all(
        webhooks.process(hook_rt, i, classifier_for=classifier_for).created == 0 for i in ids[1:]
    )
    assert count(hook_rt, Message) == 30 and batches == [30]
    with hook_rt.session() as s:
        assert s.scalar(select(func.count()).where(WebhookEvent.processed_at.is_(None))) == 0
        assert set(s.scalars(select(WebhookEvent.attempts))) == {1}


def test_a_delivery_that_breaks_its_batch_does_not_hold_up_the_others(
    hook_rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch that fails is done again one delivery at a time: the good ones are stored,
    the bad one stays waiting with its attempt counted, and the job fails to be retried."""
    from inbox import webhooks

    parse = webhooks.x_activity_items

    def parser_with_a_bug(payload: dict[str, object]) -> list[object]:
        if payload.get("trips_a_bug"):
            raise RuntimeError("a parser bug")
        return parse(payload)  # type: ignore[return-value]

    monkeypatch.setattr(webhooks, "x_activity_items", parser_with_a_bug)
    broken = json.dumps({"for_user_id": "2244994945", "trips_a_bug": True})
    ids = _waiting(hook_rt, [_x_delivery(1), broken, _x_delivery(2), _x_delivery(3)])
    with pytest.raises(RuntimeError, match="a parser bug"):
        webhooks.process(hook_rt, ids[0])
    assert count(hook_rt, Message) == 3
    with hook_rt.session() as s:
        waiting = s.scalars(select(WebhookEvent).where(WebhookEvent.processed_at.is_(None))).all()
        assert [(e.id, e.attempts) for e in waiting] == [(ids[1], 1)]
    # The retry of the broken one's own job fails alone and counts a second attempt.
    with pytest.raises(RuntimeError, match="a parser bug"):
        webhooks.process(hook_rt, ids[1])
    with hook_rt.session() as s:
        assert s.get_one(WebhookEvent, ids[1]).attempts == 2
    assert count(hook_rt, Message) == 3


def test_a_drain_takes_every_fresh_delivery_and_leaves_a_failed_one_to_the_clock(
    hook_rt: Runtime,
) -> None:
    """The drain store() queues reads the deliveries never tried, in batches; one that
    failed before (its attempt counted) is the clock's to queue alone, with spacing."""
    from inbox import webhooks

    ids = _waiting(hook_rt, [_x_delivery(n) for n in range(250)])
    with hook_rt.session() as s:
        s.get_one(WebhookEvent, ids[7]).attempts = 1
    report = webhooks.drain(hook_rt)
    assert report.created == 249 and count(hook_rt, Message) == 249
    with hook_rt.session() as s:
        left = s.scalars(select(WebhookEvent.id).where(WebhookEvent.processed_at.is_(None))).all()
        assert left == [ids[7]]


def test_a_drain_out_of_time_queues_itself_again(hook_rt: Runtime) -> None:
    from inbox import webhooks
    from inbox.queue import JobSpec

    submitted: list[JobSpec] = []
    hook_rt.queue.submit = submitted.append  # type: ignore[method-assign]
    _waiting(hook_rt, [_x_delivery(n) for n in range(3)])
    assert webhooks.drain(hook_rt, budget_s=0).created == 0
    assert [(j.func, j.job_id) for j in submitted] == [
        ("inbox.jobs.drain_webhooks", webhooks.DRAIN_JOB_ID)
    ]
    assert webhooks.drain(hook_rt).created == 3


def test_every_delivery_queues_the_same_drain_so_the_queue_holds_one(
    hook_client: FlaskClient, hook_rt: Runtime
) -> None:
    """Each stored delivery asks for the one drain job by its id; the queues keep one
    job per id waiting (tests/test_jobs.py), so a wave of deliveries queues one drain."""
    from inbox import webhooks
    from inbox.queue import JobSpec

    submitted: list[JobSpec] = []
    hook_rt.queue.submit = submitted.append  # type: ignore[method-assign]
    for n in range(5):
        body = _x_delivery(n).encode()
        assert hook_client.post("/webhooks/x", data=body, headers=x_signed(body)).status_code == 200
    assert {(j.func, j.job_id) for j in submitted} == {
        ("inbox.jobs.drain_webhooks", webhooks.DRAIN_JOB_ID)
    }
    assert webhooks.drain(hook_rt).created == 5
