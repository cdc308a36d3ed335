"""The fast reading stores messages at sync speed; a job gives each the full reading."""

from __future__ import annotations

from sqlalchemy import select

from inbox import jobs, triage
from inbox.pipeline import FAST_SUFFIX, ingest
from inbox.runtime import Runtime
from models import Conversation, Message, Workspace
from tests.helpers import item, make_channel
from triage.classifier import MessageInput, load_model
from triage.priority import score_priority

BOOKING_IN_CASUAL_WORDS = "is there any chance you'd do a set at ours in may? we pay well"


def _versions(rt: Runtime) -> list[str | None]:
    with rt.session() as s:
        return list(s.scalars(select(Message.classifier_version).order_by(Message.id)))


def test_a_synced_message_is_stored_fast_then_read_in_full_by_the_job(
    rt: Runtime, workspace: Workspace
) -> None:
    ch = make_channel(rt, workspace.id)
    with rt.session() as s:
        ingest(s, ch, [item("1", BOOKING_IN_CASUAL_WORDS)], triage.classify_items, defer_jobs=False)
    (stored,) = _versions(rt)
    assert stored is not None and stored.endswith(FAST_SUFFIX)

    with rt.session() as s:
        ids = list(s.scalars(select(Message.id)))
    assert jobs.refine_messages(ids) == 1
    model = load_model()
    (full,) = model.classify([MessageInput(BOOKING_IN_CASUAL_WORDS, "fan1")])
    with rt.session() as s:
        message = s.scalars(select(Message)).one()
        conversation = s.scalars(select(Conversation)).one()
        assert message.classifier_version == model.version
        assert message.intent == full.intent
        assert message.intent_score == full.intent_score
        assert message.intent_scores == full.intent_scores
        # What was stored is enough to recompute the classifier's own priority.
        assert score_priority(triage.StoredVerdict.of(message))[1] == full.priority_score
        assert conversation.priority_score is not None
    # Run twice (a retried job): nothing is left to refine.
    assert jobs.refine_messages(ids) == 0


def test_the_sync_queues_the_refinement_so_live_messages_get_the_full_reading(
    rt: Runtime, workspace: Workspace
) -> None:
    ch = make_channel(rt, workspace.id)
    with rt.session() as s:  # the test runtime runs jobs when the session commits
        ingest(
            s,
            ch,
            [item("1", BOOKING_IN_CASUAL_WORDS), item("2", "worst gig i've been to")],
            triage.classify_items,
        )
    assert _versions(rt) == [load_model().version] * 2


def test_a_bulk_import_is_classified_fast_and_then_refined(
    rt: Runtime, workspace: Workspace
) -> None:
    ch = make_channel(rt, workspace.id)
    with rt.session() as s:
        ingest(s, ch, [item(str(n), f"message {n}: where is the merch stand") for n in range(5)])
    assert _versions(rt) == [load_model().version] * 5
