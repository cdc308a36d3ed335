"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright against a live app.

The app is the ``app`` fixture (jobs inline) served by werkzeug on 127.0.0.1
in a thread; data goes in through the real sync pipeline (tests/ui/seed.py).
One browser per session, one context per person per test.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    ViewportSize,
    sync_playwright,
)
from werkzeug.serving import make_server

import models
from tests.conftest import PASSWORD
from tests.ui.conftest import _fresh_network, _quick_password_hashing, ids, users  # noqa: F401

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make browser-deps` installs Debian's chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app on a free port of 127.0.0.1; polls every second so live tests stay short."""
    app.config["UNPLUGGED_POLL_SECONDS"] = 1
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


class Problems(list[str]):
    """Console errors and page errors (a CSP violation shows up here)."""


@pytest.fixture
def open_as(
    browser: Browser, live_server: str, workspace: models.Workspace
) -> Iterator[Callable[..., Page]]:
    contexts: list[BrowserContext] = []
    problems = Problems()

    def make(who: str = "owner", viewport: ViewportSize | None = None) -> Page:
        context = browser.new_context(viewport=viewport or DESKTOP, base_url=live_server)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(8000)

        def on_console(msg: ConsoleMessage) -> None:
            if msg.type == "error" and "favicon" not in msg.text and "404" not in msg.text:
                problems.append(f"{who}: {msg.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: problems.append(f"{who}: {exc}"))
        page.goto("/login")
        page.fill("#email", f"{who}@example.org")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#conversation-list")
        return page

    yield make
    for context in contexts:
        context.close()
    assert list(problems) == []
