"""In a real browser: a reply undone within its window never reaches the network; an
owner invites a teammate, who opens the emailed link, joins and is signed in."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from inbox.mail import OutgoingEmail
from inbox.pipeline import ingest
from inbox.runtime import Runtime
from models import Conversation, Reply, ReplyStatus, Workspace
from tests import fakes
from tests.browser.conftest import DESKTOP
from tests.helpers import item, make_channel

pytestmark = pytest.mark.browser
OpenAs = Callable[..., Page]


def test_send_then_undo_within_the_window_sends_nothing_and_gives_the_text_back(
    open_as: OpenAs, rt: Runtime, workspace: Workspace
) -> None:
    ch = make_channel(rt, workspace.id, network="mastodon", connector="fake")
    with rt.session() as s:
        ingest(s, ch, [item("marie-1", "Lyon this spring?", author="marie")], defer_jobs=False)
        cid = s.scalars(select(Conversation.id)).one()
    page = open_as("agent")
    page.goto(f"/c/{cid}")
    page.fill("#reply-text", "April 12, Marie!")
    page.click("#send-button")
    undo = page.locator(".undo-button")
    expect(undo).to_be_visible()
    expect(page.locator(".message.pending")).to_contain_text("Leaves in")
    undo.click()
    expect(page.locator("#reply-notice")).to_contain_text("nothing was sent")
    expect(page.locator("#reply-text")).to_have_value("April 12, Marie!")
    page.wait_for_timeout(11_000)  # past the window: still nothing on the network
    assert fakes.NETWORK.sent == []
    with rt.session() as s:
        assert s.scalars(select(Reply.status)).one() == ReplyStatus.CANCELLED


def test_an_owner_invites_a_teammate_who_joins_through_the_link_and_is_signed_in(
    open_as: OpenAs, browser: Browser, live_server: str, rt: Runtime, workspace: Workspace
) -> None:
    mails: list[OutgoingEmail] = []
    rt.extras["mail_transport"] = mails.append
    owner = open_as("owner")
    owner.goto("/team")
    owner.fill("#invite-email", "sam@example.org")
    owner.select_option("#invite-role", "agent")
    owner.click("#invite-form button[type=submit]")
    expect(owner.locator("p.notice")).to_contain_text("Invitation sent to sam@example.org")
    [mail] = mails
    link = re.search(r"https?://\S+/invite/\S+", mail.body)
    assert link and link.group(0).startswith(live_server)
    context = browser.new_context(viewport=DESKTOP, base_url=live_server)
    try:
        sam = context.new_page()
        sam.goto(link.group(0))
        expect(sam.locator("main")).to_contain_text("Join as sam@example.org")
        sam.fill("#invite-name", "Sam Team")
        sam.fill("#invite-password", "a long password 42")
        sam.click("#accept-form button[type=submit]")
        sam.wait_for_selector("#conversation-list")
        expect(sam.locator(".user-menu summary")).to_have_text("Sam Team")
        sam.goto("/team")
        expect(sam.locator(".team-members")).to_contain_text("sam@example.org")
    finally:
        context.close()
