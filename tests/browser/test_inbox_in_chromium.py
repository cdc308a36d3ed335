"""The inbox in a real browser: the flows a person uses every day, mouse and keyboard."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from inbox.runtime import Runtime
from models import Workspace
from tests import fakes
from tests.browser.conftest import PHONE
from tests.ui.seed import fan_writes

pytestmark = pytest.mark.browser
OpenAs = Callable[..., Page]


def thread_url(cid: int) -> re.Pattern[str]:
    return re.compile(rf"/c/{cid}(\?|$)")


def test_reply_then_done_lands_on_the_next_conversation(
    open_as: OpenAs, ids: dict[str, int]
) -> None:
    page = open_as("agent")
    page.get_by_role("link", name=re.compile("^Needs reply")).click()
    expect(page.locator("h1#inbox-title")).to_have_text("Needs reply")
    page.locator(f"#conversation-{ids['promoter']} .row-link").click()
    expect(page).to_have_url(thread_url(ids["promoter"]))
    expect(page.locator("#messages")).to_contain_text("600 capacity")
    page.fill("#reply-text", "Hello! Our agent will write to you today.")
    expect(page.locator("#reply-count")).to_have_text("41 / 280 characters")
    page.click("#send-button")
    sent = page.locator("#messages .message.outbound:not(.pending)")
    # sent, not just queued: after the composer's 10 s undo window
    expect(sent).to_contain_text("Our agent will write", timeout=20_000)
    assert [text for _t, text, _k in fakes.NETWORK.sent] == [
        "Hello! Our agent will write to you today."
    ]
    page.click("#done-button")
    high = "|".join(str(ids[k]) for k in ("ticket", "press", "email"))
    expect(page).to_have_url(re.compile(rf"/c/({high})\?view=needs-reply"))
    expect(page.locator("#back-link")).to_contain_text("Needs reply")


def test_triage_with_the_keyboard_only(open_as: OpenAs, ids: dict[str, int]) -> None:
    page = open_as("agent")
    keys = page.keyboard
    keys.press("j")
    expect(page.locator(f"#conversation-{ids['promoter']} .row-link")).to_be_focused()
    keys.press("j")
    expect(page.locator(f"#conversation-{ids['ticket']}")).to_have_class(re.compile("is-current"))
    keys.press("o")
    expect(page).to_have_url(thread_url(ids["ticket"]))
    keys.press("a")
    expect(page.locator("#assign-menu")).to_have_attribute("open", "")
    keys.press("Enter")  # the first teammate: Ada Agent (me)
    expect(page.locator("#assignee")).to_have_text("Ada Agent")
    keys.press("l")
    expect(page.locator("#label-name")).to_be_focused()
    keys.type("vip")
    keys.press("Enter")
    expect(page.locator("#thread-side .tag-list")).to_contain_text("vip")
    keys.press("r")
    expect(page.locator("#reply-text")).to_be_focused()
    keys.press("Escape")
    keys.press("e")
    expect(page).to_have_url(thread_url(ids["press"]))
    keys.press("s")
    expect(page.locator("#snooze-menu")).to_have_attribute("open", "")
    keys.press("Enter")  # later today
    # priority first: the email (high, older) came after press (high, newer)
    expect(page).to_have_url(thread_url(ids["email"]))
    keys.press("k")
    expect(page).to_have_url(thread_url(ids["promoter"]))
    keys.press("u")
    expect(page.locator("#conversation-list")).to_be_visible()
    keys.press("?")
    expect(page.locator("#keys-dialog")).to_be_visible()
    keys.press("Escape")
    expect(page.locator("#keys-dialog")).to_be_hidden()
    keys.press("/")
    expect(page.locator("#search")).to_be_focused()
    rows = page.locator("#conversation-list > li.row")
    expect(rows).to_have_count(4)  # ticket done, press snoozed


def test_search_finds_and_highlights(open_as: OpenAs, ids: dict[str, int]) -> None:
    page = open_as("owner")
    page.fill("#search", "ticket")
    page.press("#search", "Enter")
    expect(page.locator("#conversation-list > li.row")).to_have_count(1)
    expect(page.locator(f"#conversation-{ids['ticket']} mark")).to_have_text("ticket")


def test_filters_update_the_list_in_place(open_as: OpenAs, ids: dict[str, int]) -> None:
    page = open_as("owner")
    page.evaluate("window.__samePage = true")
    page.click("#filters > summary")
    page.get_by_label("Bluesky").check()
    expect(page.locator("#conversation-list > li.row")).to_have_count(1)
    expect(page.locator(f"#conversation-{ids['press']}")).to_be_visible()
    expect(page).to_have_url(re.compile("network=bluesky"))
    assert page.evaluate("window.__samePage") is True  # no reload


def test_snooze_from_the_menu(open_as: OpenAs, ids: dict[str, int]) -> None:
    page = open_as("agent")
    page.goto(f"/c/{ids['question']}")
    page.click("#snooze-menu > summary")
    page.get_by_role("button", name=re.compile("^Tomorrow morning")).click()
    expect(page).to_have_url(thread_url(ids["praise"]))  # priority first: normal, then low
    page.goto("/?view=snoozed")
    expect(page.locator(f"#conversation-{ids['question']}")).to_contain_text("until")


def test_assign_without_a_reload(open_as: OpenAs, ids: dict[str, int]) -> None:
    page = open_as("owner")
    page.goto(f"/c/{ids['press']}")
    page.evaluate("window.__samePage = true")
    page.click("#assign-menu > summary")
    page.get_by_role("button", name="Ada Agent").click()
    expect(page.locator("#assignee")).to_have_text("Ada Agent")
    assert page.evaluate("window.__samePage") is True


def test_bulk_label_a_selection(open_as: OpenAs, ids: dict[str, int]) -> None:
    page = open_as("agent")
    for key in ("praise", "question"):
        page.locator(f"#select-{ids[key]}").check()
    expect(page.locator("#selected-count")).to_have_text("2 selected")
    page.click("#bulk-label > summary")
    page.fill("#bulk-new-label", "merch")
    page.press("#bulk-new-label", "Enter")
    expect(page.locator("#flash")).to_contain_text("2 conversations labelled.")
    for key in ("praise", "question"):
        expect(page.locator(f"#conversation-{ids[key]} .tag")).to_have_text("merch")
    expect(page.locator(f"#conversation-{ids['ticket']} .tag")).to_have_count(0)
    expect(page.locator("#conversation-list > li.row")).to_have_count(6)  # nothing closed


def test_a_phone_sized_screen_reads_and_replies(open_as: OpenAs, ids: dict[str, int]) -> None:
    page = open_as("agent", viewport=PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator(f"#conversation-{ids['ticket']} .row-link").click()
    expect(page.locator("#messages")).to_contain_text("never arrived")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.fill("#reply-text", "So sorry! A new ticket is on its way 🎟️")
    page.click("#send-button")
    expect(page.locator("#messages .message.outbound:not(.pending)")).to_contain_text(
        "A new ticket",
        timeout=35_000,  # the 10 s undo window, then the clock (every 5 s) and the job
    )
    page.click("#done-button")
    # the reply moved this conversation to the top; "next" is still the one that was below it
    expect(page).to_have_url(thread_url(ids["press"]))


def test_a_teammate_sees_the_collision_notice(open_as: OpenAs, ids: dict[str, int]) -> None:
    olive = open_as("owner")
    ada = open_as("agent")
    olive.goto(f"/c/{ids['ticket']}")
    ada.goto(f"/c/{ids['ticket']}")
    expect(olive.locator("#presence")).to_contain_text("Ada Agent is looking at this conversation.")
    ada.fill("#reply-text", "Hi Marie, ")
    ada.type("#reply-text", "checking")
    expect(olive.locator("#presence")).to_contain_text("Ada Agent is writing a reply.")
    expect(ada.locator("#presence")).to_contain_text("Olive Owner is looking at this conversation.")


def test_new_messages_appear_without_a_reload(
    open_as: OpenAs, ids: dict[str, int], rt: Runtime, workspace: Workspace
) -> None:
    page = open_as("owner")
    page.goto("/?sort=newest")  # new activity comes in on top of a newest-first list
    page.evaluate("window.__samePage = true")
    fan_writes(rt, workspace.id, "youtube", "leafy", "Found the tuning: DADGAD!")
    first = page.locator("#conversation-list > li.row").first
    expect(first).to_contain_text("DADGAD")
    expect(page.locator(f"#conversation-{ids['question']}")).to_have_count(1)
    page.goto(f"/c/{ids['ticket']}")
    page.evaluate("window.__samePage = true")
    fan_writes(rt, workspace.id, "mastodon", "marie", "Update: it just arrived, thanks!")
    expect(page.locator("#messages")).to_contain_text("it just arrived")
    assert page.evaluate("window.__samePage") is True
