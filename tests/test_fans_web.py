"""The Fans pages over HTTP: list, a fan's page from a thread, link/undo, search, data rights."""

from __future__ import annotations

import json
import re

from flask.testing import FlaskClient
from sqlalchemy import select

import models
from inbox.pipeline import ChannelRef
from inbox.runtime import Runtime
from models import Conversation, Fan
from tests.conftest import login
from tests.test_fans import fan_of, nets, people  # noqa: F401  (the nets fixture)


def test_a_fan_is_reached_from_the_thread_and_linked_then_split(
    client: FlaskClient,
    rt: Runtime,
    workspace: models.Workspace,
    nets: dict[str, ChannelRef],  # noqa: F811
) -> None:
    people(rt, nets)
    hugo_x, hugo_bsky = fan_of(rt, "x", "x-hugo"), fan_of(rt, "bluesky", "did:plc:hugo")
    with rt.session() as s:
        conv = s.scalar(select(Conversation.id).where(Conversation.fan_id == hugo_x))
    csrf = login(client)
    thread = client.get(f"/c/{conv}").get_data(as_text=True)
    assert f'href="/fans/{hugo_x}" id="fan-page-link"' in thread
    page = client.get(f"/fans/{hugo_x}").get_data(as_text=True)
    assert "Probably the same person" in page and "Hugo ✨" in page
    assert "The same handle on X and Bluesky: hugo79" in page
    resp = client.post(
        f"/fans/{hugo_x}/merge",
        data={"csrf_token": csrf, "other": hugo_bsky, "evidence": ["handle", "link"]},
    )
    assert resp.status_code == 303
    page = client.get(f"/fans/{hugo_x}").get_data(as_text=True)
    assert "Lyon was unreal" in page and "setlist please!" in page
    assert page.count('class="fan-identity"') == 2
    # The merged fan's address leads to the person.
    assert client.get(f"/fans/{hugo_bsky}").headers["Location"].endswith(f"/fans/{hugo_x}")
    merge_id = re.search(rf"/fans/{hugo_x}/split/(\d+)", page)
    assert merge_id
    resp = client.post(f"/fans/{hugo_x}/split/{merge_id.group(1)}", data={"csrf_token": csrf})
    assert resp.status_code == 303
    page = client.get(f"/fans/{hugo_x}").get_data(as_text=True)
    assert page.count('class="fan-identity"') == 1 and "setlist please!" not in page


def test_fans_list_filters_search_and_csv(
    client: FlaskClient,
    rt: Runtime,
    workspace: models.Workspace,
    nets: dict[str, ChannelRef],  # noqa: F811
) -> None:
    people(rt, nets)
    login(client)
    page = client.get("/fans?network=email").get_data(as_text=True)
    assert "Hugo Martin" in page and "Tiago Silva" in page and "Léa M" not in page
    assert client.get("/fans?segment=vip").status_code == 400
    found = client.get("/?q=hugo79").get_data(as_text=True)
    assert 'id="fan-hits"' in found and f'/fans/{fan_of(rt, "x", "x-hugo")}"' in found
    inbox = client.get("/").get_data(as_text=True)
    assert 'class="row-fan"' in inbox
    csv_text = client.get("/fans/export.csv?network=email").get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("id,name,segment")
    assert len(csv_text.strip().splitlines()) == 3


def test_export_and_erase_from_the_page(
    client: FlaskClient,
    rt: Runtime,
    workspace: models.Workspace,
    nets: dict[str, ChannelRef],  # noqa: F811
) -> None:
    people(rt, nets)
    hugo = fan_of(rt, "x", "x-hugo")
    csrf = login(client)
    doc = json.loads(client.get(f"/fans/{hugo}/export.json").get_data(as_text=True))
    assert doc["identities"][0]["handle"] == "hugo79"
    unconfirmed = client.post(f"/fans/{hugo}/erase", data={"csrf_token": csrf})
    assert unconfirmed.status_code == 409
    resp = client.post(f"/fans/{hugo}/erase", data={"csrf_token": csrf, "confirm": "erase"})
    assert resp.status_code == 303
    with rt.session() as s:
        assert s.get(Fan, hugo) is None
    assert client.get(f"/fans/{hugo}").status_code == 404


def test_a_viewer_reads_but_cannot_link_or_erase(
    client: FlaskClient,
    rt: Runtime,
    workspace: models.Workspace,
    nets: dict[str, ChannelRef],  # noqa: F811
) -> None:
    people(rt, nets)
    hugo = fan_of(rt, "x", "x-hugo")
    csrf = login(client, "viewer@example.org")
    page = client.get(f"/fans/{hugo}").get_data(as_text=True)
    assert "Probably the same person" in page and "merge-button" not in page
    other = fan_of(rt, "bluesky", "did:plc:hugo")
    assert (
        client.post(f"/fans/{hugo}/merge", data={"csrf_token": csrf, "other": other}).status_code
        == 403
    )
    assert client.get(f"/fans/{hugo}/export.json").status_code == 403


def test_the_api_lists_a_fans_suggestions_with_their_evidence(
    client: FlaskClient,
    rt: Runtime,
    workspace: models.Workspace,
    nets: dict[str, ChannelRef],  # noqa: F811
) -> None:
    from crm.services import api_tokens

    people(rt, nets)
    with rt.session() as s:
        owner = s.scalars(select(models.User).where(models.User.email == "owner@example.org")).one()
        token = api_tokens.create(s, owner, workspace.id, "fans")
    auth = {"Authorization": f"Bearer {token}"}
    hugo = fan_of(rt, "x", "x-hugo")
    body = client.get(f"/api/v1/fans/{hugo}/suggestions", headers=auth).get_json()
    [suggestion] = body["data"]
    assert suggestion["fan"]["id"] == fan_of(rt, "bluesky", "did:plc:hugo")
    assert {e["kind"] for e in suggestion["evidence"]} == {"handle", "link"}
    assert suggestion["certain"] is False
    tiago = fan_of(rt, "youtube", "yt-tiago")
    assert client.get(f"/api/v1/fans/{tiago}/suggestions", headers=auth).get_json() == {"data": []}
    assert client.get("/api/v1/fans/999999/suggestions", headers=auth).status_code == 404


def test_a_muted_fans_conversations_leave_the_inbox_and_stay_on_their_page(
    client: FlaskClient,
    rt: Runtime,
    nets: dict[str, ChannelRef],  # noqa: F811
) -> None:
    from crm.services import fans as fan_svc

    people(rt, nets)
    tiago = fan_of(rt, "youtube", "yt-tiago")
    with rt.session() as s:
        conv = s.scalars(select(Conversation).where(Conversation.fan_id == tiago)).first()
        assert conv is not None
        owner = s.scalar(select(models.User.id).where(models.User.email == "owner@example.org"))
        assert owner is not None
    login(client)
    assert f'href="/c/{conv.id}' in client.get("/?status=open").get_data(as_text=True)
    with rt.session() as s:
        fan_svc.set_quiet(s, s.get_one(Fan, tiago).workspace_id, tiago, owner, "muted", True)
    assert f'href="/c/{conv.id}' not in client.get("/?status=open").get_data(as_text=True)
    assert client.get(f"/c/{conv.id}").status_code == 200  # kept, not deleted
    shown = _timeline_conversations(client, tiago)
    assert conv.id in shown, "the fan's page still shows the muted fan's conversation"


def _timeline_conversations(client: FlaskClient, fan_id: int) -> set[int]:
    page = client.get(f"/fans/{fan_id}").get_data(as_text=True)
    return {int(m) for m in re.findall(r'href="/c/(\d+)', page)}


def test_saved_segments_save_list_open_and_delete_per_workspace(
    client: FlaskClient,
    rt: Runtime,
    workspace: models.Workspace,
    nets: dict[str, ChannelRef],  # noqa: F811
) -> None:
    from crm.services import accounts, fan_segments

    people(rt, nets)
    csrf = login(client)
    listed = client.get("/fans?network=email&sort=name").get_data(as_text=True)
    assert 'id="fan-segment-save"' in listed and 'name="network" value="email"' in listed
    resp = client.post(
        "/fans/segments",
        data={"csrf_token": csrf, "name": "  Mail  people ", "network": "email", "sort": "name"},
    )
    assert resp.status_code == 303 and "network=email" in resp.headers["Location"]
    with rt.session() as s:
        [seg] = fan_segments.list_segments(s, workspace.id)
        assert (seg.name, seg.query) == ("Mail people", {"network": "email", "sort": "name"})
        actions = s.scalars(
            select(models.AuditEvent.action).where(models.AuditEvent.action.like("fan_segment.%"))
        ).all()
        assert actions == ["fan_segment.saved"]
    page = client.get("/fans").get_data(as_text=True)
    assert f'href="/fans/segments/{seg.id}"' in page and "Mail people" in page
    opened = client.get(f"/fans/segments/{seg.id}")
    assert opened.status_code == 303
    shown = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert 'aria-current="page">Mail people' in shown
    assert "Hugo Martin" in shown and "Tiago Silva" in shown and "Léa M" not in shown
    # A name taken, no name, an unknown filter value: refused, nothing stored.
    for data in (
        {"name": "Mail people", "network": "x"},
        {"name": " ", "network": "x"},
        {"name": "VIPs", "segment": "vip"},
        {"name": "Everyone"},
    ):
        resp = client.post("/fans/segments", data={"csrf_token": csrf, **data})
        assert resp.status_code == 303
    with rt.session() as s:
        assert len(fan_segments.list_segments(s, workspace.id)) == 1
        # Another workspace neither sees nor opens nor deletes it.
        other = accounts.create_workspace(s, "Other band", timezone="UTC")
        s.flush()
        assert fan_segments.list_segments(s, other.id) == []
        assert fan_segments.get(s, other.id, seg.id) is None
        assert not fan_segments.remove(s, other.id, None, seg.id)  # type: ignore[arg-type]
    # A viewer opens segments but cannot save or delete one.
    client.post("/logout", data={"csrf_token": csrf})
    vcsrf = login(client, "viewer@example.org")
    assert 'id="fan-segment-save"' not in client.get("/fans?network=email").get_data(as_text=True)
    assert client.get(f"/fans/segments/{seg.id}").status_code == 303
    assert (
        client.post(f"/fans/segments/{seg.id}/delete", data={"csrf_token": vcsrf}).status_code
        == 403
    )
    client.post("/logout", data={"csrf_token": vcsrf})
    csrf = login(client)
    resp = client.post(f"/fans/segments/{seg.id}/delete", data={"csrf_token": csrf})
    assert resp.status_code == 303
    assert client.get(f"/fans/segments/{seg.id}").status_code == 404
    with rt.session() as s:
        assert fan_segments.list_segments(s, workspace.id) == []


def test_the_fan_page_says_which_teammate_wrote_each_reply(
    client: FlaskClient,
    rt: Runtime,
    workspace: models.Workspace,
    nets: dict[str, ChannelRef],  # noqa: F811
) -> None:
    from datetime import timedelta

    from models import Direction, Message, MessageKind, Reply, ReplyStatus, User, utcnow

    people(rt, nets)
    hugo = fan_of(rt, "x", "x-hugo")
    with rt.session() as s:
        conv = s.scalars(select(Conversation).where(Conversation.fan_id == hugo)).first()
        assert conv is not None
        agent = s.scalars(select(User).where(User.email == "agent@example.org")).one()
        now = utcnow()
        ours, theirs = (
            Message(
                workspace_id=workspace.id,
                channel_id=conv.channel_id,
                conversation_id=conv.id,
                external_id=ext,
                direction=Direction.OUTBOUND,
                kind=MessageKind.REPLY,
                text=text,
                sent_at=now + timedelta(minutes=n),
            )
            for n, (ext, text) in enumerate(
                [("out-1", "See you in Lyon again!"), ("out-2", "Typed on the phone app")]
            )
        )
        s.add_all([ours, theirs])
        s.flush()
        s.add(
            Reply(
                workspace_id=workspace.id,
                conversation_id=conv.id,
                author_id=agent.id,
                text=ours.text,
                status=ReplyStatus.SENT,
                idempotency_key="fan-page-author",
                message_id=ours.id,
            )
        )
    login(client, "viewer@example.org")
    page = client.get(f"/fans/{hugo}").get_data(as_text=True)
    assert "See you in Lyon again!" in page and "Typed on the phone app" in page
    assert "written by Ada Agent" in page  # through the reply that sent it
    assert "The team (sent on the network)" in page  # no reply of ours behind it


def test_the_fan_page_shows_what_speaks_against_a_look_alike(
    client: FlaskClient,
    rt: Runtime,
    workspace: models.Workspace,
    nets: dict[str, ChannelRef],  # noqa: F811
) -> None:
    from tests.test_fans import oskars

    oskars(rt, nets)
    login(client)
    page = client.get(f"/fans/{fan_of(rt, 'x', 'x-oskar')}").get_data(as_text=True)
    assert "But the names differ: Oskar Berg and Oskar Visser" in page
    assert page.index("A bio or signature links") < page.index("But the names differ")
