"""Issue 18 in Chromium: every page fits a phone, the phone inbox keeps priority and intent,
no console error on the pages and the thread's actions, and actions answer on the spot."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import ConsoleMessage, Page, Response, Route, expect
from sqlalchemy import update

from inbox.runtime import Runtime
from models import User
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser
OpenAs = Callable[..., Page]

PAGES = (
    "/",
    "/?view=needs-reply",
    "/?q=ticket",
    "/notifications",
    "/review",
    "/fans",
    "/team",
    "/settings/tokens",
    "/posts",
    "/settings/channels",
    "/settings/channels?network=email",
    "/settings/channels?network=x",
    "/settings/model",
    "/preferences",
    "/snippets",
    "/keys",
)


def watch(page: Page) -> list[str]:
    """Every console error and failed response (a 404 favicon included) from now on."""
    problems: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            problems.append(f"console: {msg.text} ({page.url})")

    def on_response(resp: Response) -> None:
        if resp.status >= 400:
            problems.append(f"HTTP {resp.status}: {resp.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    return problems


def widest(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_every_page_fits_a_phone_and_rows_keep_priority_and_intent(
    open_as: OpenAs, ids: dict[str, int], rt: Runtime, locale: str
) -> None:
    with rt.session() as s:  # French words are longer: the pages must fit in both
        s.execute(update(User).values(locale=locale))
    page = open_as("owner", viewport=PHONE)
    problems = watch(page)
    row = page.locator(f"#conversation-{ids['promoter']}")
    expect(row.locator(".chip.prio")).to_be_visible()
    expect(row.locator(".chip.prio")).to_have_text("Urgent" if locale == "en" else "Urgente")
    expect(row.locator(".chip.intent")).to_be_visible()
    expect(row.locator(".chip.intent")).to_have_text("Booking")
    box = row.locator(".chip.intent").bounding_box()
    assert box and box["x"] + box["width"] <= PHONE["width"]
    fan_href = row.locator(".row-fan").get_attribute("href")
    too_wide = {}
    for url in (*PAGES, f"/c/{ids['email']}", f"/c/{ids['promoter']}", fan_href or "/fans"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if widest(page) > PHONE["width"]:
            too_wide[url] = widest(page)
    assert too_wide == {}
    assert problems == []


def test_no_console_error_on_the_pages_and_the_threads_actions(
    open_as: OpenAs, ids: dict[str, int]
) -> None:
    page = open_as("owner", viewport=DESKTOP)
    problems = watch(page)
    page.reload()  # the first page again, watched from its start (the favicon too)
    for url in PAGES:
        page.goto(url)
        page.wait_for_load_state("networkidle")
    page.goto(f"/c/{ids['press']}")
    page.click("#assign-menu > summary")
    page.get_by_role("button", name=re.compile("^Ada Agent")).click()
    expect(page.locator("#assignee")).to_have_text("Ada Agent")
    page.keyboard.press("l")
    page.keyboard.type("vip")
    page.keyboard.press("Enter")
    expect(page.locator("#thread-side .tag-list")).to_contain_text("vip")
    page.click("#priority-menu > summary")
    page.locator("#priority-menu button[value=urgent]").click()
    expect(page.locator("#priority-menu button[value=urgent]")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.click("#intent-menu > summary")
    page.locator("#intent-menu button[value=collab]").click()
    expect(page.locator("#intent-menu button[value=collab]")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.fill("#reply-text", "Thank you, we will write back this week.")
    expect(page.locator("#reply-count")).to_contain_text("/ 300")
    page.click("#done-button")
    expect(page).not_to_have_url(re.compile(rf"/c/{ids['press']}(\?|$)"))
    page.wait_for_load_state("networkidle")
    assert problems == []


def test_a_heartbeat_answering_after_the_thread_was_left_changes_nothing(
    open_as: OpenAs, ids: dict[str, int]
) -> None:
    """The thread's heartbeat targets #presence and brings #messages out of band: an
    answer that arrives after the person went back to the list must be dropped, not
    swapped into a page without those targets (a console error) or into another thread."""
    page = open_as("owner", viewport=DESKTOP)
    problems = watch(page)
    page.goto(f"/c/{ids['press']}")
    held: list[Route] = []
    pulse = re.compile(r"/c/\d+/pulse$")

    def hold(route: Route) -> None:
        held.append(route)

    page.route(pulse, hold)
    # A stale version makes the answer carry the messages and the version out of band.
    page.evaluate("document.getElementById('thread-version').value = 'stale'")
    page.evaluate("document.body.dispatchEvent(new CustomEvent('presence-change'))")
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the heartbeat was not sent"
    page.click("#back-link")
    expect(page.locator("#conversation-list")).to_be_visible()
    for route in held:
        route.continue_()
    page.wait_for_timeout(500)
    page.wait_for_load_state("networkidle")
    assert page.locator("#messages").count() == 0
    assert problems == []


def test_sync_now_and_save_view_answer_on_the_spot(open_as: OpenAs, ids: dict[str, int]) -> None:
    page = open_as("owner", viewport=DESKTOP)
    problems = watch(page)
    page.evaluate("window.__samePage = true")
    page.click("#filters > summary")
    page.get_by_label("Bluesky").check()
    expect(page.locator("#conversation-list > li.row")).to_have_count(1)
    page.fill("#save-view-name", "Zines")
    page.click("#save-view button[type=submit]")
    expect(page.locator(".views .view-list a", has_text="Zines")).to_be_visible()
    expect(page.locator("h1#inbox-title")).to_have_text("Zines")

    page.goto("/settings/channels")
    page.evaluate("window.__samePage = true")
    first = page.locator("#channel-rows button[id^=sync-]").first
    channel_id = (first.get_attribute("id") or "").removeprefix("sync-")
    first.click()
    expect(page.locator(f"#sync-status-{channel_id}")).to_contain_text(
        re.compile(r"Sync (started|done)")
    )
    expect(page.locator(f"#sync-status-{channel_id}")).to_contain_text("Sync done", timeout=15_000)
    assert page.evaluate("window.__samePage") is True  # no reload
    assert problems == []
