"""On the demo inbox, Urgent is a short list of real cases, and segments rest on evidence.

The sandbox knows who every author really is (a promoter, a fan, a spam bot:
``inbox.sandbox.population``); the CRM has to work it out from the messages.
This checks the classifier, priority and segments together against that truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm import demo
from inbox.runtime import Runtime, build_runtime, set_runtime
from inbox.sandbox.artist import DEFAULT_SEED
from inbox.sandbox.personas import Group, profile
from inbox.sandbox.population import build_population
from models import (
    Conversation,
    ConversationStatus,
    Direction,
    Fan,
    Identity,
    Message,
    Priority,
    Segment,
)
from tests.conftest import make_settings
from triage.text import EMOJI_RE

URGENT_SHARE = 0.05
# The kinds of message that may be urgent: business with a clock on it, or danger.
URGENT_INTENTS = {"booking", "press", "collab", "support"}


@pytest.fixture(scope="module")
def demo_rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    path: Path = tmp_path_factory.mktemp("demo")
    rt = build_runtime(make_settings(path, database_url=f"sqlite:///{path / 'demo.db'}"))
    set_runtime(rt)
    demo.setup(rt)
    yield rt
    set_runtime(None)
    rt.close()


def _groups() -> dict[tuple[str, str], Group]:
    """(network, account id) -> who the sandbox says the author really is."""
    population = build_population(DEFAULT_SEED)
    return {
        (network, ident.external_id): profile(fan.persona).group
        for fan in population.fans
        for network, ident in fan.identities.items()
    }


def test_urgent_is_at_most_five_percent_of_open_conversations_each_with_its_reason(
    demo_rt: Runtime,
) -> None:
    with demo_rt.session() as s:
        open_total = s.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.status == ConversationStatus.OPEN)
        )
        urgent = s.scalars(
            select(Conversation).where(
                Conversation.status == ConversationStatus.OPEN,
                Conversation.priority == Priority.URGENT,
            )
        ).all()
        assert open_total and open_total > 1000
        assert len(urgent) / open_total <= URGENT_SHARE
        for conv in urgent:
            reasons = conv.priority_reasons or []
            assert reasons, f"conversation {conv.id} is urgent without a reason"
            safety = any(r.startswith("safety:") for r in reasons)
            assert safety or conv.intent in URGENT_INTENTS, (conv.intent, reasons)
            assert not conv.is_spam


def test_urgent_conversations_come_from_people_with_business_or_a_problem(
    demo_rt: Runtime,
) -> None:
    groups = _groups()
    with demo_rt.session() as s:
        authors = s.execute(
            select(Conversation.id, Identity.network, Identity.external_id)
            .join(Message, Message.conversation_id == Conversation.id)
            .join(Identity, Identity.id == Message.author_identity_id)
            .where(
                Conversation.status == ConversationStatus.OPEN,
                Conversation.priority == Priority.URGENT,
                Message.direction == Direction.INBOUND,
            )
        ).all()
    truth = [groups.get((network, external)) for _, network, external in authors]
    real = [g for g in truth if g in (Group.INDUSTRY, Group.SUPPORT)]
    # A fan's thread can hold a booker's chime-in; most urgent authors must be real cases.
    assert truth and len(real) / len(truth) >= 0.8, truth


def test_no_fan_is_industry_on_one_message_or_a_bot_for_an_emoji_name(demo_rt: Runtime) -> None:
    with demo_rt.session() as s:
        rows = s.execute(
            select(
                Fan.id,
                Fan.segment,
                Fan.segment_reasons,
                func.count(Message.id),
                func.sum(func.coalesce(Message.spam, False).cast(type_=Message.id.type)),
            )
            .join(Identity, Identity.fan_id == Fan.id)
            .join(Message, Message.author_identity_id == Identity.id)
            .where(Message.direction == Direction.INBOUND)
            .group_by(Fan.id)
        ).all()
    evidence = ("writes from", "profile says", "set by")
    for _fan_id, segment, reasons, count, spam in rows:
        if segment == Segment.INDUSTRY and count < 2:
            # one message is only enough with evidence in the profile or address
            assert any(r.startswith(evidence) for r in reasons or []), reasons
        if segment == Segment.BOT:
            assert (spam or 0) >= 2, f"a bot on {spam} spam message(s): {reasons}"
    with demo_rt.session() as s:
        names = dict(s.execute(select(Fan.id, Fan.display_name)).all())
    emoji_named_bots_on_one_spam = [
        names[fan_id]
        for fan_id, segment, _reasons, _count, spam in rows
        if segment == Segment.BOT and EMOJI_RE.search(names[fan_id] or "") and (spam or 0) < 2
    ]
    assert emoji_named_bots_on_one_spam == []
