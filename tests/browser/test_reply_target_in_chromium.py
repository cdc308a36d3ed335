"""In a thread where two fans talk, a person picks whom to answer, in a real browser."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from inbox.pipeline import ingest
from inbox.runtime import Runtime
from models import Conversation, Message, Workspace
from tests import fakes
from tests.helpers import item, make_channel

pytestmark = pytest.mark.browser
OpenAs = Callable[..., Page]


def test_picking_another_message_keeps_the_text_and_the_reply_answers_it(
    open_as: OpenAs, rt: Runtime, workspace: Workspace
) -> None:
    ch = make_channel(rt, workspace.id, network="mastodon", connector="fake")
    with rt.session() as s:
        ingest(
            s,
            ch,
            [
                item("marie-1", "Will you play Lyon this spring?", author="marie", thread_id="p"),
                item("karl-1", "Berlin please!!", author="karl", minutes=5, thread_id="p"),
            ],
            defer_jobs=False,
        )
        cid = s.scalars(select(Conversation.id)).one()
        marie = s.scalars(select(Message.id).where(Message.external_id == "marie-1")).one()
    page = open_as("agent")
    page.goto(f"/c/{cid}")
    target = page.locator("#reply-target")
    expect(target).to_contain_text("Replying to @karl:")  # the newest fan message, by default
    page.fill("#reply-text", "Lyon in April, Marie!")
    page.click(f"#reply-to-{marie}")
    expect(target).to_contain_text("Replying to @marie:")
    expect(target).to_contain_text("Will you play Lyon this spring?")
    expect(page.locator("#reply-text")).to_have_value("Lyon in April, Marie!")  # text kept
    expect(page.locator("#reply-count")).to_have_text("21 / 500 characters")
    page.click("#send-button")
    sent = page.locator("#messages .message.outbound:not(.pending)")
    # The first reply sent in a process loads the classifier to re-rank the conversation:
    # seconds on a busy machine, hence the longer wait.
    expect(sent).to_contain_text("Lyon in April, Marie!", timeout=30_000)
    expect(sent.locator(".in-reply-to")).to_have_text("in reply to @marie")
    [(reply_target, text, _key)] = fakes.NETWORK.sent
    assert text == "Lyon in April, Marie!" and reply_target.parent_external_id == "marie-1"
    assert reply_target.parent_author is not None
    assert reply_target.parent_author.handle == "marie"
    # Marie is answered now: the composer turns to Karl, who is still waiting.
    expect(target).to_contain_text("Replying to @karl:")


def test_the_channels_page_follows_a_first_sync_until_it_is_up_to_date(
    open_as: OpenAs, rt: Runtime, workspace: Workspace
) -> None:
    from models import Channel, ChannelHealth

    ch = make_channel(rt, workspace.id, network="mastodon", connector="fake")
    page = open_as("owner")
    page.goto("/settings/channels")
    progress = page.locator(f"#progress-{ch.id}")
    expect(progress).to_contain_text("importing… 0 messages")
    with rt.session() as s:  # a first page of the backfill is stored
        ingest(s, ch, [item("old", "from last week", minutes=-60 * 24 * 6)], defer_jobs=False)
    expect(progress).to_contain_text("importing… 1 message back to Feb 23, 2026")
    with rt.session() as s:  # the sync finished
        s.get_one(Channel, ch.id).health = ChannelHealth.OK
    expect(progress).to_contain_text("up to date")
    expect(page.locator("#channel-rows")).not_to_have_attribute("hx-trigger", "every 1s")
