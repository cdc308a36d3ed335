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


def _lines(n: int) -> list[str]:
    texts = (
        "my ticket never arrived, can you help?",
        "love the new album so much",
        "hi, I book shows for a venue in Lyon, are you free in March?",
    )
    return [
        line(
            f"m{i}",
            text=texts[i % 3],
            thread_id=f"t{i // 2}",
            created_at=f"2026-03-01T12:{i // 60 % 60:02d}:{i % 60:02d}Z",
            author={"external_id": f"fan{i % 7}", "handle": f"fan{i % 7}", "name": "Fan"},
        )
        for i in range(n)
    ]


def test_a_classified_import_stores_verdicts_segments_priorities_and_the_index(
    rt: Runtime, workspace: Workspace
) -> None:
    from crm.services import search
    from models import Fan

    steps: list[str] = []
    report = importer.import_lines(
        rt.sessionmaker,
        workspace.id,
        _lines(60),
        batch_size=7,
        classify=importer.ModelSpec(),
        progress=lambda r, step: steps.append(step),
    )
    assert report.created == 60 and not report.errors
    with rt.session() as s:
        unread = s.scalar(select(func.count()).where(Message.classified_at.is_(None)))
        intents = set(s.scalars(select(Message.intent)))
        versions = set(s.scalars(select(Message.classifier_version)))
        scored = s.scalars(select(Conversation.priority_reasons)).all()
        fans = s.scalars(select(Fan.segment_reasons)).all()
        found = s.scalars(
            select(Conversation.external_thread_id).where(
                Conversation.id.in_(search.match_conversation_ids(s, workspace.id, "ticket"))
            )
        ).all()
    assert unread == 0
    assert {"support", "praise"} & intents
    assert all(v.endswith(pipeline.FAST_SUFFIX) for v in versions)
    assert all(r is not None for r in scored)  # every conversation got its priority
    assert all(r for r in fans)  # and every fan a segment, with reasons
    assert len(found) == 20  # every third message: the search index caught up
    assert steps.count("storing") == 9  # one per batch of 7
    assert steps[-1] == "segments and priorities" and "search index" in steps


def test_a_classified_import_agrees_with_classifying_after_storing(
    rt: Runtime, workspace: Workspace
) -> None:
    from triage.classifier import MessageInput, load_model

    importer.import_lines(
        rt.sessionmaker, workspace.id, _lines(9), batch_size=4, classify=importer.ModelSpec()
    )
    with rt.session() as s:
        stored = s.execute(select(Message.text, Message.intent, Message.spam_score)).all()
    fresh = load_model().classify(
        [MessageInput(text=t, author="Fan", lang=None) for t, _, _ in stored], fast=True
    )
    assert [(i, round(p, 3)) for _, i, p in stored] == [
        (v.intent, round(v.spam_score, 3)) for v in fresh
    ]


def test_the_command_line_shows_its_progress_and_classifies(
    rt: Runtime, workspace: Workspace, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from crm.cli import main

    path = tmp_path / "fans.jsonl"
    path.write_text("\n".join(_lines(30)) + "\n")
    env = {
        "DATABASE_URL": rt.settings.database_url,
        "UNPLUGGED_SECRET_KEY": rt.settings.secret_key,
        "UNPLUGGED_ENCRYPTION_KEYS": ",".join(rt.settings.encryption_keys),
        "UNPLUGGED_INSTANCE_PATH": str(tmp_path),
        "UNPLUGGED_JOBS": "inline",
    }
    result = CliRunner().invoke(main, ["import", str(path)], env=env)
    assert result.exit_code == 0, result.output + result.stderr
    assert "30 lines: 30 new messages" in result.stdout
    assert re.search(r"30 lines \([\d,]+/s\), 30 new messages", result.stderr)
    assert "segments and priorities" in result.stderr
    assert "have the fast reading" in result.stdout
    with rt.session() as s:
        assert s.scalar(select(func.count()).where(Message.classified_at.is_(None))) == 0


def test_an_imports_priorities_are_those_the_app_computes(
    rt: Runtime, workspace: Workspace
) -> None:
    from inbox import triage

    importer.import_lines(
        rt.sessionmaker, workspace.id, _lines(40), batch_size=9, classify=importer.ModelSpec()
    )
    columns = (
        Conversation.id,
        Conversation.priority,
        Conversation.priority_score,
        Conversation.priority_reasons,
        Conversation.intent,
        Conversation.is_spam,
    )
    with rt.session() as s:
        imported = s.execute(select(*columns).order_by(Conversation.id)).all()
        triage.refresh_conversations(s, [row.id for row in imported])
        s.flush()
        recomputed = s.execute(select(*columns).order_by(Conversation.id)).all()
        s.rollback()
    assert imported == recomputed
    assert len(imported) == 20


def test_the_import_command_says_its_rate_time_left_and_a_closing_line(
    rt: Runtime, workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 18: a long import shows lines done, the rate and the time left on a terminal,
    and a summary line when piped."""
    from click.testing import CliRunner

    from crm.cli import _ImportProgress, main
    from inbox.importer import ImportReport

    path = tmp_path / "fans.jsonl"
    path.write_bytes(b"".join(line(str(i)).encode() + b"\n" for i in range(40)))
    env = {
        "DATABASE_URL": rt.settings.database_url,
        "UNPLUGGED_SECRET_KEY": rt.settings.secret_key,
        "UNPLUGGED_ENCRYPTION_KEYS": ",".join(rt.settings.encryption_keys),
        "UNPLUGGED_INSTANCE_PATH": str(tmp_path),
    }
    piped = CliRunner().invoke(main, ["import", str(path)], env=env)
    assert re.search(r"done in \d+ s: 40 lines \([\d,]+ lines/s\)", piped.output), piped.output

    with path.open("rb") as file:  # a terminal, half-way through the file after 30 s
        progress = _ImportProgress(file)
        progress._tty = True
        progress._clock = lambda: progress.started + 30
        file.seek(path.stat().st_size // 2)
        report = ImportReport()
        report.lines, report.created = 20, 20
        progress(report, "storing")
    shown = capsys.readouterr().err
    assert "20 lines (1/s), 20 new messages, 0 errors, 50%, about 30 s left: storing" in shown
    assert shown.startswith("\r")  # one line, rewritten in place
