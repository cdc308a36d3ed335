"""Full-text search: every word as a prefix, accents folded, fan names too, safe input."""

from __future__ import annotations

from sqlalchemy import select

from crm.services import search
from inbox.pipeline import ingest
from inbox.runtime import Runtime
from models import Conversation, Workspace
from models.search import catch_up
from tests.helpers import item, make_channel


def _found(rt: Runtime, workspace_id: int, query: str) -> set[str]:
    with rt.session() as s:
        catch_up(s.connection())
    with rt.session() as s:
        ids = search.match_conversation_ids(s, workspace_id, query)
        rows = s.scalars(select(Conversation.external_thread_id).where(Conversation.id.in_(ids)))
        return set(rows)


def _seed(rt: Runtime, workspace_id: int) -> None:
    ch = make_channel(rt, workspace_id)
    with rt.session() as s:
        ingest(
            s,
            ch,
            [
                item(
                    "1",
                    "Quand est-ce que vous passez à Lyon ? Les billets sont où ?",
                    author="marie",
                ),
                item("2", "Lost my tickets for the Berlin show, order #4471", author="tom"),
                item("3", "¡Qué concierto! El café después también", author="lucia"),
                item("4", "Booking inquiry: Festival Rock en Seine, fee?", author="jean-pierre"),
            ],
            defer_jobs=False,
        )


def test_words_match_as_prefixes_and_accents_fold(rt: Runtime, workspace: Workspace) -> None:
    _seed(rt, workspace.id)
    assert _found(rt, workspace.id, "lyon") == {"1"}
    assert _found(rt, workspace.id, "tick berlin") == {"2"}
    assert _found(rt, workspace.id, "cafe") == {"3"}
    assert _found(rt, workspace.id, "QUE concierto") == {"3"}
    assert _found(rt, workspace.id, "berlin lyon") == set()  # every word must match


def test_fan_names_are_searched(rt: Runtime, workspace: Workspace) -> None:
    _seed(rt, workspace.id)
    assert _found(rt, workspace.id, "lucia") == {"3"}


def test_search_syntax_typed_by_a_person_is_just_words(rt: Runtime, workspace: Workspace) -> None:
    _seed(rt, workspace.id)
    assert _found(rt, workspace.id, 'lyon OR "berlin" NEAR(') == set()
    assert _found(rt, workspace.id, "order #4471") == {"2"}
    assert _found(rt, workspace.id, "*** ((") != set()  # no words: no narrowing, no error


def test_an_edited_message_is_found_by_its_new_words(rt: Runtime, workspace: Workspace) -> None:
    _seed(rt, workspace.id)
    assert _found(rt, workspace.id, "lyon") == {"1"}
    ch = make_channel(rt, workspace.id, handle="other")
    with rt.session() as s:
        ingest(s, ch, [item("9", "see you in Marseille")], defer_jobs=False)
    assert _found(rt, workspace.id, "marseille") == {"9"}
    with rt.session() as s:
        ingest(s, ch, [item("9", "see you in Toulouse")], defer_jobs=False)
    assert _found(rt, workspace.id, "toulouse") == {"9"}
    assert _found(rt, workspace.id, "marseille") == set()


def test_another_workspace_is_not_searched(rt: Runtime, workspace: Workspace) -> None:
    from crm.services import accounts

    _seed(rt, workspace.id)
    with rt.session() as s:
        other = accounts.create_workspace(s, "Other").id
    assert _found(rt, other, "lyon") == set()


# --- the search as a list: newest matches first, stopping when the page is full ---------


def _seed_many(rt: Runtime, workspace_id: int, threads: int = 40) -> None:
    """``threads`` conversations of three messages; "ticket" in the middle message of
    every other one, "encore" in thread 7 only, and a fan called Ticket (a name matches by whole words)."""
    ch = make_channel(rt, workspace_id)
    items = []
    for t in range(threads):
        for k in range(3):
            words = "lost my ticket again" if (k == 1 and t % 2 == 0) else "see you soon"
            if t == 7 and k == 2:
                words = "one more encore please"
            items.append(
                item(
                    f"{t}-{k}",
                    words,
                    author="ticket" if t == 33 else f"fan{t}",
                    minutes=t * 10 + k,
                    thread_id=f"{t}-0",
                    parent_id=f"{t}-0" if k else None,
                )
            )
    with rt.session() as s:
        ingest(s, ch, items, defer_jobs=False)
    with rt.session() as s:
        catch_up(s.connection())


def _all_pages(rt: Runtime, workspace_id: int, flt: object, limit: int) -> tuple[list[str], list]:
    from crm.services import conversations as conv_svc

    assert isinstance(flt, conv_svc.InboxFilter)
    seen: list[str] = []
    pages = []
    cursor = None
    with rt.session() as s:
        while True:
            page = conv_svc.list_inbox(s, workspace_id, flt, cursor=cursor, limit=limit)
            pages.append(page)
            seen += [r.conversation.external_thread_id for r in page.rows]
            cursor = page.next_cursor
            if cursor is None:
                return seen, pages


def test_a_search_pages_newest_match_first_without_repeats_or_gaps(
    rt: Runtime, workspace: Workspace
) -> None:
    from crm.services import conversations as conv_svc

    _seed_many(rt, workspace.id)
    flt = conv_svc.InboxFilter(search="ticket")
    listed, pages = _all_pages(rt, workspace.id, flt, limit=4)
    # Every thread with the word, and the thread of the fan called Ticket (33) by the fan's name,
    # each once, newest first.
    expected = [f"{t}-0" for t in sorted({*range(0, 40, 2), 33}, reverse=True)]
    assert listed == expected
    assert len(pages) == 6
    assert all(p.next_cursor and p.next_cursor.startswith("s~") for p in pages[:-1])
    assert set(listed) == _found(rt, workspace.id, "ticket")


def test_a_search_combines_with_the_other_filters(rt: Runtime, workspace: Workspace) -> None:
    from crm.services import conversations as conv_svc

    _seed_many(rt, workspace.id)
    with rt.session() as s:
        done = s.scalars(
            select(Conversation).where(Conversation.external_thread_id.in_(["38-0", "20-0"]))
        ).all()
        for c in done:
            c.status = conv_svc.ConversationStatus.DONE
    listed, _ = _all_pages(rt, workspace.id, conv_svc.InboxFilter(search="ticket"), limit=3)
    assert "38-0" not in listed and "20-0" not in listed
    assert listed[0] == "36-0"
    listed, _ = _all_pages(
        rt, workspace.id, conv_svc.InboxFilter(search="ticket", status=None), limit=3
    )
    assert listed[:2] == ["38-0", "36-0"]


def test_a_search_says_how_many_only_when_it_read_every_match(
    rt: Runtime, workspace: Workspace
) -> None:
    from crm.services import conversations as conv_svc

    _seed_many(rt, workspace.id)
    with rt.session() as s:
        rare = conv_svc.list_inbox(s, workspace.id, conv_svc.InboxFilter(search="encore"))
        common = conv_svc.list_inbox(
            s, workspace.id, conv_svc.InboxFilter(search="ticket"), limit=5
        )
        all_of_them = conv_svc.list_inbox(
            s, workspace.id, conv_svc.InboxFilter(search="ticket"), limit=50
        )
        counted = conv_svc.count_capped(
            s, workspace.id, conv_svc.InboxFilter(search="ticket"), cap=8
        )
    assert [r.conversation.external_thread_id for r in rare.rows] == ["7-0"]
    assert rare.total == 1
    assert common.total is None and common.next_cursor is not None  # more than 5
    assert all_of_them.total == 21 and all_of_them.next_cursor is None
    assert counted == 8


def test_a_search_stops_reading_matches_once_the_page_is_full(
    rt: Runtime, workspace: Workspace, monkeypatch: object
) -> None:
    import pytest

    from crm.services import conversations as conv_svc

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    _seed_many(rt, workspace.id, threads=120)
    monkeypatch.setattr(search, "FIRST_CHUNK", 8)
    asked: list[int] = []
    real = search._matches

    def counting(*args: object, **kw: object) -> object:
        asked.append(args[-1])  # type: ignore[arg-type]
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(search, "_matches", counting)
    with rt.session() as s:
        page = conv_svc.list_inbox(s, workspace.id, conv_svc.InboxFilter(search="ticket"), limit=3)
    assert len(page.rows) == 3
    assert sum(asked) < 60  # of 60 matches: the newest few, not all of them


def test_the_prefix_index_migration_keeps_indexed_messages_and_the_catch_up(
    tmp_path: object,
) -> None:
    from pathlib import Path

    import pytest

    from crm import migrate
    from models.db import make_engine
    from tests.conftest import PG_URL

    if PG_URL:
        pytest.skip("SQLite's FTS5 table (PostgreSQL's GIN indexes are unchanged)")
    assert isinstance(tmp_path, Path)
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate.upgrade(engine, "0011")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO workspaces (id, name, slug, timezone, created_at)"
            " VALUES (1, 'W', 'w', 'UTC', '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO channels (id, workspace_id, network, connector, handle, display_name,"
            " health, sync_enabled, sync_interval_s, consecutive_failures, created_at)"
            " VALUES (1, 1, 'x', 'x', 'b', 'b', 'ok', 0, 120, 0, '2026-01-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO conversations (id, workspace_id, channel_id, external_thread_id, kind,"
            " status, priority, priority_score, is_spam, waiting_for_us, message_count,"
            " last_message_preview, last_activity_at, created_at) VALUES (1, 1, 1, 't', 'dm',"
            " 'open', 'normal', 50, 0, 1, 2, '', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        )
        for i, words in ((1, "lost my tickets"), (2, "tickets again")):
            conn.exec_driver_sql(
                "INSERT INTO messages (id, workspace_id, channel_id, conversation_id, external_id,"
                " direction, kind, text, sent_at, created_at) VALUES (?, 1, 1, 1, ?, 'inbound',"
                " 'dm', ?, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                (i, f"m{i}", words),
            )
            if i == 1:
                catch_up(conn)  # the second one waits for the next catch-up
    migrate.upgrade(engine, "0012")
    with engine.begin() as conn:
        sql = "SELECT rowid FROM message_fts WHERE message_fts MATCH '\"tick\"*' ORDER BY rowid"
        assert [r[0] for r in conn.exec_driver_sql(sql)] == [1]
        catch_up(conn)
        assert [r[0] for r in conn.exec_driver_sql(sql)] == [1, 2]
        ddl = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'message_fts'"
        ).scalar()
        assert "prefix=" in str(ddl)
    engine.dispose()


def test_postgres_reads_every_match_of_a_middling_word_but_walks_for_a_common_one() -> None:
    from crm.services.search import _PgEstimate

    million = 1_000_000.0
    assert _PgEstimate(10_000, million).read_all(256)  # "setlist", 1%: 17 ms, not 170
    assert _PgEstimate(383, million).read_all(256)  # a rare word: its few matches
    assert not _PgEstimate(98_591, million).read_all(256)  # "ticket", 10%: the walk stops early
    assert not _PgEstimate(0, million).read_all(256)  # no estimate: walk, as the planner would
