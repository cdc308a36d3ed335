"""The operators' command line: channels, messages and a reply, through the web app's services.

Each command is run with click's CliRunner against the test database, as
``unplugged ...`` would run on a server (settings from the environment, jobs
run right after each commit since no Redis is configured).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pytest_httpserver import HTTPServer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm.cli import main
from inbox.pipeline import ingest
from inbox.runtime import Runtime
from models import (
    AuditEvent,
    Channel,
    ChannelHealth,
    Conversation,
    Message,
    Reply,
    ReplyStatus,
    User,
    Workspace,
    utcnow,
)
from tests import fakes
from tests.connectors.fake_mastodon import FakeMastodon
from tests.helpers import item, make_channel, own


@pytest.fixture(autouse=True)
def _fresh_network() -> Iterator[None]:
    fakes.NETWORK.reset()
    yield
    fakes.NETWORK.reset()


Run = Callable[..., Result]


@pytest.fixture
def run(rt: Runtime, workspace: Workspace, tmp_path: Path) -> Run:
    env = {
        "DATABASE_URL": rt.settings.database_url,
        "UNPLUGGED_SECRET_KEY": rt.settings.secret_key,
        "UNPLUGGED_ENCRYPTION_KEYS": ",".join(rt.settings.encryption_keys),
        "UNPLUGGED_INSTANCE_PATH": str(tmp_path),
        "REDIS_URL": "",
        "UNPLUGGED_JOBS": "",
    }
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(main, list(args), env=env, input=input, catch_exceptions=False)

    return invoke


def _thread(rt: Runtime, workspace: Workspace) -> dict[str, int]:
    """A mention thread where Marie then Karl write, on a channel the fake connector serves."""
    ch = make_channel(rt, workspace.id, network="mastodon", connector="fake")
    with rt.session() as s:
        ingest(
            s,
            ch,
            [
                item("marie-1", "Lyon this spring?", author="marie", thread_id="post"),
                item("karl-1", "Berlin!!", author="karl", minutes=5, thread_id="post"),
                own("band-1", "Soon", minutes=6, thread_id="post", parent_id="karl-1"),
                item("ana-1", "new album when", author="ana", minutes=60 * 24 * 3),
            ],
            defer_jobs=False,
        )
        return {e: i for e, i in s.execute(select(Message.external_id, Message.id))}


# --- channels ----------------------------------------------------------------------------


@pytest.mark.allow_hosts(["127.0.0.1", "::1", "localhost"])
def test_channel_add_connects_and_runs_the_first_sync_at_once(
    run: Run, rt: Runtime, httpserver: HTTPServer
) -> None:
    fake = FakeMastodon(httpserver)
    fan = fake.add_account("marie", display_name="Marie")
    fake.mention(fan, "see you in Lyon!")
    fake.mention(fan, "and in Grenoble?")
    result = run(
        "channel", "add", "mastodon", f"artist@{fake.domain}",
        "--base-url", fake.url, "--backfill-days", "3", "--as", "owner@example.org",
        input=f"{fake.token}\n",  # the access token is asked for, not typed in the command
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "connected mastodon:artist@" in result.stdout
    assert "first sync: up to date, 2 messages" in result.stdout
    assert fake.token not in result.stdout
    with rt.session() as s:
        channel = s.scalars(select(Channel)).one()
        assert channel.health == ChannelHealth.OK and channel.options == {"backfill_days": 3}
        assert rt.box.decrypt(channel.credentials_encrypted or b"")["access_token"] == fake.token
        texts = sorted(s.scalars(select(Message.text)))
        assert texts == ["@artist and in Grenoble?", "@artist see you in Lyon!"]
        who = s.scalars(
            select(AuditEvent.user_id).where(AuditEvent.action == "channel.connected")
        ).one()
        assert who == s.scalars(select(User.id).where(User.email == "owner@example.org")).one()


def test_channel_add_refuses_bad_input_with_a_clear_error(run: Run, rt: Runtime) -> None:
    unknown = run("channel", "add", "myspace", "band")
    assert unknown.exit_code == 2 and "'myspace' is not one of x, instagram" in unknown.stderr
    field = run("channel", "add", "mastodon", "band@m.example", "-c", "password=x")
    assert field.exit_code == 2 and "password not known for mastodon" in field.stderr
    assert "it takes: access_token" in field.stderr
    viewer = run(
        "channel", "add", "mastodon", "band@m.example", "-c", "access_token=t",
        "--as", "viewer@example.org",
    )  # fmt: skip
    assert viewer.exit_code == 1 and "viewer: this needs the manager role" in viewer.stderr
    url = run(
        "channel", "add", "mastodon", "band@m.example", "-c", "access_token=t",
        "--base-url", "ftp://m.example",
    )  # fmt: skip
    assert url.exit_code == 1 and "The server URL must start with https://" in url.stderr
    with rt.session() as s:
        assert s.scalars(select(Channel)).all() == []


def test_channel_list_pause_resume_and_remove(run: Run, rt: Runtime, workspace: Workspace) -> None:
    ids = _thread(rt, workspace)
    with rt.session() as s:
        channel = s.scalars(select(Channel)).one()
        channel.health = ChannelHealth.OK
        channel_id = channel.id
    listed = run("channel", "list")
    assert listed.exit_code == 0
    assert listed.stdout.startswith(f"{channel_id}\tmastodon:band\tok\tlast sync never\t")
    assert "up to date, 4 messages back to 2026-03-01" in listed.stdout
    rows = [
        json.loads(line) for line in run("channel", "list", "--format", "jsonl").stdout.splitlines()
    ]
    assert rows[0]["messages"] == 4 and rows[0]["state"] == "up_to_date"

    paused = run("channel", "pause", "mastodon:band")
    assert paused.exit_code == 0 and paused.stdout == "paused mastodon:band\n"
    with rt.session() as s:
        channel = s.get_one(Channel, channel_id)
        assert channel.health == ChannelHealth.PAUSED and not channel.sync_enabled
    assert run("channel", "resume", str(channel_id)).exit_code == 0
    with rt.session() as s:
        assert s.get_one(Channel, channel_id).sync_enabled
    missing = run("channel", "pause", "mastodon:nobody")
    assert missing.exit_code == 1 and "no channel 'mastodon:nobody'" in missing.stderr

    kept = run("channel", "remove", str(channel_id), input="n\n")
    assert kept.exit_code == 1 and "and the 4 messages stored from it?" in kept.stderr
    with rt.session() as s:
        assert s.get(Channel, channel_id) is not None
    removed = run("channel", "remove", str(channel_id), "--yes")
    assert removed.exit_code == 0 and removed.stdout == "removed mastodon:band and 4 messages\n"
    with rt.session() as s:
        assert s.get(Channel, channel_id) is None
        assert (
            s.scalars(select(Message)).all() == [] and s.scalars(select(Conversation)).all() == []
        )
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "channel.removed")).one()
        assert event.data == {"channel": "mastodon:band", "messages": 4}
    assert ids  # the thread existed before


def test_a_removed_channels_ids_are_searchable_again_when_reused(
    run: Run, rt: Runtime, workspace: Workspace
) -> None:
    """SQLite gives the next message a deleted one's id: the search index must still take it."""
    if not rt.settings.is_sqlite:
        pytest.skip("PostgreSQL's sequences never hand an id out twice (and it has no FTS5 table)")
    from sqlalchemy import text

    from models.search import catch_up

    def matches(s: Session, word: str) -> list[int]:
        query = text("SELECT rowid FROM message_fts WHERE message_fts MATCH :q")
        return list(s.execute(query, {"q": word}).scalars())

    old = make_channel(rt, workspace.id, network="mastodon", connector="fake", handle="old")
    with rt.session() as s:
        ingest(s, old, [item("o1", "zeppelin tickets")], defer_jobs=False)
        catch_up(s.connection())
        old_id = s.scalars(select(Message.id)).one()
    assert run("channel", "remove", "mastodon:old", "--yes").exit_code == 0
    new = make_channel(rt, workspace.id, network="x", connector="fake", handle="new")
    with rt.session() as s:
        ingest(s, new, [item("n1", "walrus merch")], defer_jobs=False)
        catch_up(s.connection())
        new_id = s.scalars(select(Message.id)).one()
        assert new_id == old_id  # the id came back, as SQLite does
        assert matches(s, "walrus") == [new_id] and matches(s, "zeppelin") == []


# --- messages ----------------------------------------------------------------------------


def test_messages_lists_a_channel_oldest_first_as_ids_or_json(
    run: Run, rt: Runtime, workspace: Workspace
) -> None:
    ids = _thread(rt, workspace)
    all_ids = run("messages", "--channel", "mastodon:band", "--format", "ids")
    assert all_ids.exit_code == 0
    order = ["marie-1", "karl-1", "band-1", "ana-1"]
    assert all_ids.stdout.split() == [str(ids[e]) for e in order]
    recent = run("messages", "--channel", "mastodon:band", "--since", "2026-03-02")
    rows = [json.loads(line) for line in recent.stdout.splitlines()]
    assert [r["external_id"] for r in rows] == ["ana-1"]
    assert rows[0]["author"]["handle"] == "ana" and rows[0]["direction"] == "inbound"
    assert rows[0]["conversation_id"] > 0 and rows[0]["deleted"] is False
    since_time = run(
        "messages", "--channel", "mastodon:band", "--since", "2026-03-01T13:05:00+01:00",
        "--format", "ids",
    )  # fmt: skip
    assert since_time.stdout.split() == [str(ids[e]) for e in ("karl-1", "band-1", "ana-1")]
    bad = run("messages", "--channel", "mastodon:band", "--since", "yesterday")
    assert bad.exit_code == 2 and "'yesterday' is not a date" in bad.stderr
    far = run("messages", "--channel", "mastodon:band", "--since", "0999-01-01")
    assert far.exit_code == 2 and "between the years 1900 and 9000" in far.stderr


# --- reply -------------------------------------------------------------------------------


def test_reply_goes_through_the_outbox_once_to_the_message_named(
    run: Run, rt: Runtime, workspace: Workspace
) -> None:
    ids = _thread(rt, workspace)
    args = ("reply", "--message", str(ids["marie-1"]), "--text", "Lyon in April!")
    sent = run(*args, "--as", "agent@example.org", "--idempotency-key", "cli-1")
    assert sent.exit_code == 0, sent.output
    assert sent.stdout.endswith("by agent@example.org: sent\n")
    again = run(*args, "--as", "agent@example.org", "--idempotency-key", "cli-1")
    assert again.exit_code == 0
    [(target, text, key)] = fakes.NETWORK.sent
    assert (text, key, target.parent_external_id) == ("Lyon in April!", "cli-1", "marie-1")
    assert target.parent_author is not None and target.parent_author.handle == "marie"
    with rt.session() as s:
        reply = s.scalars(select(Reply)).one()
        agent = s.scalars(select(User).where(User.email == "agent@example.org")).one()
        assert reply.author_id == agent.id and reply.in_reply_to_id == ids["marie-1"]
        assert reply.status == ReplyStatus.SENT
        queued = s.scalars(select(AuditEvent).where(AuditEvent.action == "reply.queued")).one()
        assert queued.user_id == agent.id


def test_reply_without_as_is_written_by_the_workspace_owner(
    run: Run, rt: Runtime, workspace: Workspace
) -> None:
    ids = _thread(rt, workspace)
    result = run("reply", "--message", str(ids["ana-1"]), "--text", "-", input="Soon!\n")
    assert result.exit_code == 0 and "by owner@example.org: sent" in result.stdout
    assert [text for _t, text, _k in fakes.NETWORK.sent] == ["Soon!"]


def test_reply_refuses_what_the_composer_refuses(
    run: Run, rt: Runtime, workspace: Workspace
) -> None:
    ids = _thread(rt, workspace)
    with rt.session() as s:
        s.execute(update(Message).where(Message.id == ids["karl-1"]).values(deleted_at=utcnow()))
    cases = [
        (("--message", str(ids["band-1"]), "--text", "hi"), "is one of ours"),
        (("--message", str(ids["karl-1"]), "--text", "hi"), "was deleted on the network"),
        (("--message", "999999", "--text", "hi"), "no message 999999"),
        (("--message", str(ids["marie-1"]), "--text", "  "), "The reply is empty."),
        (("--message", str(ids["marie-1"]), "--text", "x" * 501), "Too long for mastodon"),
        (
            ("--message", str(ids["marie-1"]), "--text", "hi", "--as", "viewer@example.org"),
            "viewer: this needs the agent role",
        ),
        (
            ("--message", str(ids["marie-1"]), "--text", "hi", "--as", "who@example.org"),
            "who@example.org is not a member",
        ),
    ]
    for args, words in cases:
        result = run("reply", *args)
        assert result.exit_code == 1, (args, result.output)
        assert words in result.stderr, (args, result.stderr)
    assert fakes.NETWORK.sent == []
    with rt.session() as s:
        assert s.scalars(select(Reply)).all() == []
