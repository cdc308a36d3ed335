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
