"""The sync pipeline: de-duplication, threading, identities, edits, deletions, reopening."""

from __future__ import annotations

from sqlalchemy import func, select

from inbox.connectors.base import Author, IncomingItem
from inbox.pipeline import ingest
from inbox.runtime import Runtime
from models import Conversation, ConversationStatus, Direction, Fan, Identity, Message, Workspace
from tests.helpers import T0, item, make_channel, own


def _count(rt: Runtime, model: type) -> int:
    with rt.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_same_items_twice_are_stored_once(rt: Runtime, workspace: Workspace) -> None:
    ch = make_channel(rt, workspace.id)
    batch = [item("1"), item("2", author="fan2"), item("1")]
    with rt.session() as s:
        first = ingest(s, ch, batch, defer_jobs=False)
    with rt.session() as s:
        second = ingest(s, ch, batch, defer_jobs=False)
    assert first.created == 2 and first.duplicates == 1
    assert second.created == 0 and second.duplicates == 3
    assert _count(rt, Message) == 2


def test_replies_join_their_parents_thread(rt: Runtime, workspace: Workspace) -> None:
    ch = make_channel(rt, workspace.id)
    with rt.session() as s:
        ingest(s, ch, [item("10", "first")], defer_jobs=False)
    with rt.session() as s:
        ingest(
            s,
            ch,
            [own("11", parent_id="10", minutes=1), item("12", "again", parent_id="11", minutes=2)],
            defer_jobs=False,
        )
    with rt.session() as s:
        conv = s.scalars(select(Conversation)).one()
        msgs = s.scalars(select(Message).order_by(Message.sent_at)).all()
        assert [m.conversation_id for m in msgs] == [conv.id] * 3
        assert msgs[1].direction == Direction.OUTBOUND and msgs[1].author_identity_id is None
        assert msgs[1].parent_id == msgs[0].id and msgs[2].parent_id == msgs[1].id
        assert conv.message_count == 3 and conv.waiting_for_us
        assert conv.last_message_preview == "again"


def test_one_identity_and_fan_per_network_account(rt: Runtime, workspace: Workspace) -> None:
    ch = make_channel(rt, workspace.id)
    with rt.session() as s:
        ingest(s, ch, [item("1"), item("2", minutes=5)], defer_jobs=False)
    with rt.session() as s:
        ingest(s, ch, [item("3", minutes=9)], defer_jobs=False)
    assert _count(rt, Identity) == 1 and _count(rt, Fan) == 1
    with rt.session() as s:
        fan = s.scalars(select(Fan)).one()
        assert fan.message_count == 3
        assert fan.first_seen_at == T0 and fan.last_seen_at is not None
        assert fan.last_seen_at.minute == 9


def test_an_edit_upstream_updates_the_message(rt: Runtime, workspace: Workspace) -> None:
    ch = make_channel(rt, workspace.id)
    with rt.session() as s:
        ingest(s, ch, [item("1", "helo")], defer_jobs=False)
    with rt.session() as s:
        report = ingest(s, ch, [item("1", "hello", edited_at=T0)], defer_jobs=False)
    assert report.updated == 1 and _count(rt, Message) == 1
    with rt.session() as s:
        msg = s.scalars(select(Message)).one()
        assert msg.text == "hello" and msg.edited_at == T0


def test_a_deletion_upstream_marks_the_message_deleted(rt: Runtime, workspace: Workspace) -> None:
    ch = make_channel(rt, workspace.id)
    with rt.session() as s:
        ingest(s, ch, [item("1")], defer_jobs=False)
    with rt.session() as s:
        report = ingest(s, ch, [item("1", "", deleted=True)], defer_jobs=False)
    assert report.deleted == 1
    with rt.session() as s:
        assert s.scalars(select(Message)).one().deleted_at is not None


def test_a_fan_writing_again_reopens_a_done_conversation(rt: Runtime, workspace: Workspace) -> None:
    ch = make_channel(rt, workspace.id)
    with rt.session() as s:
        ingest(s, ch, [item("1", thread_id="t")], defer_jobs=False)
    with rt.session() as s:
        s.scalars(select(Conversation)).one().status = ConversationStatus.DONE
    with rt.session() as s:
        ingest(s, ch, [item("2", thread_id="t", minutes=3)], defer_jobs=False)
    with rt.session() as s:
        assert s.scalars(select(Conversation)).one().status == ConversationStatus.OPEN


def test_a_malformed_item_is_skipped_and_the_batch_goes_on(
    rt: Runtime, workspace: Workspace, caplog: object
) -> None:
    ch = make_channel(rt, workspace.id)
    bad = IncomingItem(
        external_id="", text="x", created_at=T0, author=Author("a", "a"), raw={"id": None}
    )
    weird_kind = IncomingItem(
        external_id="9", text="x", created_at=T0, author=Author("a", "a"), kind="carrier-pigeon"
    )
    with rt.session() as s:
        report = ingest(s, ch, [bad, item("1"), weird_kind, item("2")], defer_jobs=False)
    assert report.created == 2
    assert [reason for _, reason in report.skipped] == [
        "missing external id",
        "unknown kind 'carrier-pigeon'",
    ]
    assert "raw={'id': None}" in caplog.text  # type: ignore[attr-defined]


def test_control_characters_are_removed_and_text_kept(rt: Runtime, workspace: Workspace) -> None:
    ch = make_channel(rt, workspace.id)
    with rt.session() as s:
        ingest(s, ch, [item("1", "hi\x00 <script>alert(1)</script>\nbye")], defer_jobs=False)
    with rt.session() as s:
        assert s.scalars(select(Message)).one().text == "hi <script>alert(1)</script>\nbye"
