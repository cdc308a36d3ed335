"""``unplugged import``: idempotent, reports bad lines, never half-written."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from inbox import importer, pipeline
from inbox.runtime import Runtime
from models import Channel, Conversation, Direction, Message, Workspace


def line(ext: str, **kw: Any) -> str:
    obj: dict[str, Any] = {
        "network": "bluesky",
        "channel": "band.bsky.social",
        "external_id": ext,
        "text": f"message {ext}",
        "created_at": "2026-03-01T12:00:00Z",
        "author": {"external_id": "did:plc:fan", "handle": "fan.bsky.social", "name": "Fan"},
    }
    obj.update(kw)
    return json.dumps(obj)


def count(rt: Runtime) -> int:
    with rt.session() as s:
        return int(s.scalar(select(func.count()).select_from(Message)) or 0)


def test_importing_the_same_file_twice_adds_nothing(rt: Runtime, workspace: Workspace) -> None:
    lines = [line(str(i), created_at=f"2026-03-01T12:{i:02d}:00+00:00") for i in range(30)]
    first = importer.import_lines(rt.sessionmaker, workspace.id, lines, batch_size=7)
    second = importer.import_lines(rt.sessionmaker, workspace.id, lines, batch_size=7)
    assert (first.created, second.created, second.duplicates) == (30, 0, 30)
    assert count(rt) == 30
    assert first.channels_created == ["bluesky:band.bsky.social"]


def test_the_line_is_kept_as_the_messages_raw_payload(rt: Runtime, workspace: Workspace) -> None:
    importer.import_lines(rt.sessionmaker, workspace.id, [line("7", extra={"likes": 3})])
    with rt.session() as s:
        raw = s.scalars(select(Message.raw)).one()
    assert raw == json.loads(line("7", extra={"likes": 3}))  # an object, on every database


def test_a_bad_line_is_named_and_the_good_lines_go_in(rt: Runtime, workspace: Workspace) -> None:
    lines = [
        line("1"),
        "{not json",
        line("2", created_at="yesterday"),
        json.dumps({"network": "x", "text": "no ids"}),
        line("3", network="myspace"),
        "",
        line("4"),
    ]
    report = importer.import_lines(rt.sessionmaker, workspace.id, lines)
    assert report.created == 2
    by_line = dict(report.errors)
    assert set(by_line) == {2, 3, 4, 5}
    assert by_line[2].startswith("not valid JSON")
    assert "ISO 8601" in by_line[3]
    assert "missing 'channel'" in by_line[4]
    assert "unknown network 'myspace'" in by_line[5]


def test_the_channels_own_messages_are_outbound(rt: Runtime, workspace: Workspace) -> None:
    lines = [
        line("1"),
        line(
            "2",
            parent_id="1",
            created_at="2026-03-01T12:05:00Z",
            author={"external_id": "did:plc:band", "handle": "band.bsky.social", "name": "B"},
        ),
    ]
    importer.import_lines(rt.sessionmaker, workspace.id, lines)
    with rt.session() as s:
        msgs = s.scalars(select(Message).order_by(Message.sent_at)).all()
        assert [m.direction for m in msgs] == [Direction.INBOUND, Direction.OUTBOUND]
        assert s.scalar(select(func.count()).select_from(Conversation)) == 1
        conv = s.scalars(select(Conversation)).one()
        assert conv.waiting_for_us is False


def test_an_import_killed_midway_leaves_whole_batches_and_resumes(
    rt: Runtime, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [line(str(i), thread_id=f"t{i % 4}") for i in range(20)]
    real_update = pipeline._update_conversations
    calls = {"n": 0}

    def dies_on_third_batch(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("killed")
        real_update(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_update_conversations", dies_on_third_batch)
    with pytest.raises(KeyboardInterrupt):
        importer.import_lines(rt.sessionmaker, workspace.id, lines, batch_size=5)
    assert count(rt) == 10  # two whole batches, nothing of the third
    with rt.session() as s:
        for conv in s.scalars(select(Conversation)):
            stored = s.scalar(
                select(func.count()).select_from(Message).where(Message.conversation_id == conv.id)
            )
            assert conv.message_count == stored
    monkeypatch.setattr(pipeline, "_update_conversations", real_update)
    report = importer.import_lines(rt.sessionmaker, workspace.id, lines, batch_size=5)
    assert report.created == 10 and count(rt) == 20
    with rt.session() as s:
        assert s.scalar(select(func.count()).select_from(Channel)) == 1


def test_the_fast_reading_of_a_line_agrees_with_the_checked_one() -> None:
    from inbox.sandbox import generate_import_lines

    lines = [json.dumps(o, ensure_ascii=False) for o in generate_import_lines(300, seed=3)]
    base = json.loads(lines[0])
    odd = [
        {**base, "external_id": 12345},  # a number as an id
        {**base, "thread_id": ""},  # an empty optional field
        {**base, "kind": ""},
        {**base, "author": {**base["author"], "handle": None}},
        {**base, "subject": "s" * 600},  # too long: refused
        {**base, "created_at": "yesterday"},
        {**base, "network": "myspace"},
        {**base, "text": ""},
        {**base, "extra": {"nested": [1, 2]}},  # unknown fields are kept in raw only
    ]
    lines += [json.dumps(o) for o in odd] + ["[1, 2]", "{not json"]
    for line in lines:
        try:
            expected = importer.parse_line_checked(line)
        except importer.LineError as exc:
            with pytest.raises(importer.LineError, match=re.escape(str(exc))):
                importer.parse_line(line)
            continue
        network, channel, item = importer.parse_line(line)
        assert (network, channel) == expected[:2]
        assert item == expected[2], line
        assert item.raw.text == expected[2].raw.text == line.strip()  # type: ignore[attr-defined]


def test_lines_that_cannot_be_stored_are_named_and_the_rest_go_in(
    rt: Runtime, workspace: Workspace
) -> None:
    good = [line(str(n)).encode() for n in range(3)]
    lines = [
        good[0],
        b'{"network": "x", "text": "caf\xe9"}',  # Latin-1, not UTF-8
        ("[" * 50_000 + "]" * 50_000).encode(),  # nested 50,000 deep
        line("lone", text="half an emoji \ud800").encode(),  # json escapes the surrogate
        good[1],
        line("long", text="x" * 60_000).encode(),
        good[2],
    ]
    report = importer.import_lines(rt.sessionmaker, workspace.id, lines)
    by_line = dict(report.errors)
    assert set(by_line) == {2, 3, 4}, report.errors
    assert by_line[2] == "not valid UTF-8 (byte 0xe9 at position 29)"
    assert by_line[3] == "JSON nested too deeply"
    assert "lone surrogate" in by_line[4]
    assert report.created == 4
    assert report.notes == [(6, "text cut to 50,000 characters")]
    with rt.session() as s:
        texts = s.scalars(select(Message.text)).all()
    assert max(len(t) for t in texts) == 50_000


def test_the_command_line_names_bad_lines_and_imports_the_rest(
    rt: Runtime, workspace: Workspace, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from crm.cli import main

    path = tmp_path / "fans.jsonl"
    path.write_bytes(line("a").encode() + b"\n" + b"\xff\xfe broken\n" + line("b").encode() + b"\n")
    env = {
        "DATABASE_URL": rt.settings.database_url,
        "UNPLUGGED_SECRET_KEY": rt.settings.secret_key,
        "UNPLUGGED_ENCRYPTION_KEYS": ",".join(rt.settings.encryption_keys),
        "UNPLUGGED_INSTANCE_PATH": str(tmp_path),
    }
    result = CliRunner().invoke(main, ["import", str(path)], env=env)
    assert "Traceback" not in result.output
    assert "3 lines: 2 new messages" in result.output
    assert "line 2: not valid UTF-8" in result.output
