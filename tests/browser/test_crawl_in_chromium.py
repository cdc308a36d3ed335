"""Issue 18's acceptance in Chromium: every page of the URL map, in English and French, at
desktop (1440x900) and phone (390x844) size, with no console error, no failed request for
the page's own resources, nothing wider than a phone at 390 px, and no English word on a
French page.

The list of pages is the app's URL map (every GET route), with real ids from the seeded
inbox, the way tests/ui/test_french_crawl.py builds it, plus a saved view and a saved
segment; the French check is that crawl's, applied to the text Chromium rendered. One
browser, one context per language and size, pages visited in sequence.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, ViewportSize
from sqlalchemy import select, update

from crm.services import fan_segments, saved_views
from inbox import learning
from inbox.runtime import Runtime
from models import AuditEvent, User, Workspace
from tests.browser.conftest import PHONE
from tests.conftest import PASSWORD
from tests.helpers import make_channel
from tests.ui.test_french_crawl import (
    NOT_PAGES,
    _enrich,
    _url,
    _words,
    english_words,
    people_wrote,
    visible_text,
)

pytestmark = pytest.mark.browser
WIDE: ViewportSize = {"width": 1440, "height": 900}

# Skipped beyond the French crawl's NOT_PAGES (static files, probes, webhooks, logout,
# OAuth redirects, CSV and JSON exports), each with its reason; ``api.*`` routes are
# JSON for scripts, never a page.
SKIPPED = {
    **NOT_PAGES,
    "review.export": "a CSV download",
    "posting.media": "an uploaded image's bytes, not a page",
    "live.inbox_updates": "the inbox's poll answer (out-of-band fragments), not a page",
    "favicon": "redirects to the icon, an image",
}


def _pages(app: Flask, rt: Runtime, workspace_id: int, ids: dict[str, int]) -> list[str]:
    """Every GET route with real ids, then each built-in view, a saved view and segment."""
    # a channel that can publish, so the crawl opens a real scheduled post's page
    make_channel(rt, workspace_id, network="sandbox", connector="sandbox", handle="demo-band")
    route_ids: dict[str, Any] = _enrich(rt, workspace_id, ids)
    with rt.session() as s:
        owner = s.scalars(select(User).where(User.email == "owner@example.org")).one()
        view = saved_views.save(s, workspace_id, owner.id, "Urgent bookings", {"q": ["ticket"]})
        segment = fan_segments.save(s, workspace_id, owner.id, "Superfans", {"segment": "superfan"})
        # a retraining under way, at its third head, so the Classifier page shows its progress
        for action, data in (
            (learning.RETRAIN_REQUESTED, {"corrections": 12}),
            (learning.RETRAIN_STEP, {"step": "head", "num": 3, "total": 7, "seconds": 41.0}),
        ):
            s.add(AuditEvent(workspace_id=workspace_id, user_id=owner.id, action=action, data=data))
        s.commit()
        route_ids |= {"segment_id": segment.id, "view_id": view.id}
        saved = f"/?view=saved-{view.id}"
    urls: list[str] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if "GET" not in (rule.methods or set()) or rule.endpoint in SKIPPED:
            continue
        if rule.endpoint.startswith("api."):  # JSON for scripts and tools
            continue
        urls.append(_url(rule, route_ids))
    urls += [
        "/?view=needs-reply",
        saved,
        "/?q=ticket",
        "/fans?segment=superfan",
        "/settings/channels?network=email",
        "/settings/channels?network=x",
    ]
    return list(dict.fromkeys(urls))


def _sign_in(page: Page) -> None:
    page.goto("/login")
    page.fill("#email", "owner@example.org")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#conversation-list")


def _crawl(
    browser: Browser,
    live_server: str,
    urls: list[str],
    viewport: ViewportSize,
    english: set[str] | None,
    written: list[str],
) -> dict[str, list[str]]:
    """Visit ``urls`` in one fresh context; per URL, what went wrong there."""
    context = browser.new_context(viewport=viewport, base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(15000)
    _sign_in(page)
    current: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            current.append(f"console: {msg.text} ({msg.location.get('url', '')})")

    def on_response(resp: Response) -> None:
        if resp.status >= 400 and resp.url.startswith(live_server):
            current.append(f"HTTP {resp.status}: {resp.url[len(live_server) :]}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda exc: current.append(f"page error: {exc}"))
    found: dict[str, list[str]] = {}
    for url in urls:
        current.clear()
        page.goto(url)
        page.wait_for_load_state("networkidle")
        if (
            url == "/settings/model"
            and page.locator('#retrain-step[data-step="head"]').count() != 1
        ):
            current.append("the retraining's stage is not shown")
        if viewport["width"] <= PHONE["width"]:
            width = int(page.evaluate("document.documentElement.scrollWidth"))
            if width > viewport["width"]:
                current.append(f"{width} px wide")
        if english is not None:
            text = "\n".join(
                " ".join(line.split()) for line in visible_text(page.content()).splitlines()
            )
            for piece in written:
                text = text.replace(piece, " ")
            bad = _words(text) & english
            current += [
                f"English: {line.strip()[:100]}" for line in text.splitlines() if _words(line) & bad
            ]
        if current:
            found[url] = list(current)
    context.close()
    return found


def test_every_page_in_both_languages_at_both_sizes_is_clean_in_chromium(
    browser: Browser,
    live_server: str,
    app: Flask,
    rt: Runtime,
    ids: dict[str, int],
    workspace: Workspace,
) -> None:
    urls = _pages(app, rt, workspace.id, ids)
    assert len(urls) >= 25  # the URL map's pages, not a handful
    written = people_wrote(rt)
    english = english_words()
    problems: dict[str, dict[str, list[str]]] = {}
    for locale in ("en", "fr"):
        with rt.session() as s:
            s.execute(update(User).values(locale=locale))
            s.commit()
        for name, viewport in (("desktop", WIDE), ("phone", PHONE)):
            run = f"{locale} {name}"
            found = _crawl(
                browser, live_server, urls, viewport, english if locale == "fr" else None, written
            )
            print(f"{run}: {len(urls)} pages crawled, {len(found)} with a problem")
            if found:
                problems[run] = found
    assert problems == {}, "\n".join(
        f"{run} {url}: {issue}"
        for run, found in problems.items()
        for url, issues in found.items()
        for issue in issues
    )
