"""A fan's page in a real browser: from a thread to the person, linking their accounts, undoing it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from inbox.runtime import Runtime
from models import Conversation, Workspace
from tests.helpers import make_channel
from tests.test_fans import fan_of, people

pytestmark = pytest.mark.browser
OpenAs = Callable[..., Page]


def test_open_a_fan_from_a_thread_link_a_suggestion_and_undo_it(
    open_as: OpenAs, rt: Runtime, workspace: Workspace
) -> None:
    nets = {
        n: make_channel(rt, workspace.id, network=n, connector=n, handle="band")
        for n in ("x", "bluesky", "email", "youtube", "instagram")
    }
    people(rt, nets)
    hugo_x, hugo_bsky = fan_of(rt, "x", "x-hugo"), fan_of(rt, "bluesky", "did:plc:hugo")
    with rt.session() as s:
        conv = s.scalars(select(Conversation.id).where(Conversation.fan_id == hugo_x)).one()
    page = open_as("agent")
    page.goto(f"/c/{conv}")
    page.click("#fan-page-link")
    expect(page).to_have_url(f"/fans/{hugo_x}")
    expect(page.locator("#fan-name")).to_have_text("Hugo")
    timeline = page.locator("#fan-timeline .fan-message")
    expect(timeline).to_have_count(1)
    suggestion = page.locator(f'.suggestion[data-fan="{hugo_bsky}"]')
    expect(suggestion).to_contain_text("The same handle on X and Bluesky: hugo79")
    suggestion.locator(".merge-button").click()
    # One person now: both accounts, and what they wrote on X and on Bluesky.
    expect(page.locator(".fan-identity")).to_have_count(2)
    expect(timeline).to_have_count(2)
    expect(page.locator('#fan-timeline .fan-message[data-network="bluesky"]')).to_contain_text(
        "setlist please!"
    )
    expect(page.locator('#fan-timeline .fan-message[data-network="x"]')).to_contain_text(
        "Lyon was unreal"
    )
    expect(page.locator(".suggestion")).to_have_count(0)
    page.click(".split-button")
    expect(page.locator(".fan-identity")).to_have_count(1)
    expect(timeline).to_have_count(1)
    expect(page.locator(f'.suggestion[data-fan="{hugo_bsky}"]')).to_be_visible()
