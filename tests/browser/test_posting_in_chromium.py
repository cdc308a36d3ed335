"""In a real browser: schedule a post for later, see the preview and the nudge, cancel it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from inbox.runtime import Runtime
from models import Post, PostStatus, Workspace, utcnow
from tests.helpers import make_channel

pytestmark = pytest.mark.browser
OpenAs = Callable[..., Page]


def test_schedule_a_post_then_cancel_it(open_as: OpenAs, rt: Runtime, workspace: Workspace) -> None:
    x = make_channel(rt, workspace.id, network="x", connector="sandbox", handle="band_x")
    m = make_channel(rt, workspace.id, network="mastodon", connector="sandbox", handle="band_m")
    page = open_as("owner")
    page.goto("/posts")
    page.check(f"input[name=channel_id][value='{x.id}']")
    page.check(f"input[name=channel_id][value='{m.id}']")
    page.fill("#post-text", "New single out Friday!")
    preview = page.locator("#post-preview")
    expect(preview).to_contain_text("22 / 280 characters")
    expect(preview).to_contain_text("22 / 500 characters")
    expect(page.locator("#post-nudge")).to_be_visible()  # the same words on two networks
    later = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#post-at", later)
    page.click("#schedule-button")
    post_id = _stored_post(rt)
    row = page.locator(f"#post-{post_id}")
    expect(row).to_contain_text("Scheduled")
    page.click(f"#cancel-post-{post_id}")
    expect(page.locator(f"#post-{post_id}")).to_contain_text("Cancelled")
    with rt.session() as s:
        assert s.get_one(Post, post_id).status == PostStatus.CANCELLED


def _stored_post(rt: Runtime) -> int:
    """The scheduled post's id, once the form's request has stored it."""
    import time

    deadline = time.monotonic() + 10
    while True:
        with rt.session() as s:
            found = s.scalars(select(Post.id)).first()
        if found is not None or time.monotonic() > deadline:
            assert found is not None, "the post was not stored"
            return found
        time.sleep(0.1)


def test_an_image_with_its_alt_text_is_posted_and_shown_back(
    open_as: OpenAs, rt: Runtime, workspace: Workspace
) -> None:
    """The form sends the file as multipart (the preview still counts while it is chosen),
    the list shows the image from the auth-checked route with its alt text, and
    cancelling the post removes it."""
    from models import PostMedia
    from tests.image_bytes import png

    m = make_channel(rt, workspace.id, network="mastodon", connector="sandbox", handle="band_m")
    page = open_as("owner")
    page.goto("/posts")
    page.check(f"input[name=channel_id][value='{m.id}']")
    page.set_input_files(
        "#post-image-1",
        files=[{"name": "poster.png", "mimeType": "image/png", "buffer": png(40, 30)}],
    )
    page.fill("#post-alt-1", "The tour poster, in blue")
    page.fill("#post-text", "Tour poster!")
    expect(page.locator("#post-preview")).to_contain_text("12 / 500 characters")
    page.fill("#post-at", (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.click("#schedule-button")
    post_id = _stored_post(rt)
    image = page.locator(f"#post-{post_id} .post-media img")
    expect(image).to_have_attribute("alt", "The tour poster, in blue")
    expect(image).to_have_js_property("naturalWidth", 40)  # the browser decoded the served PNG
    page.click(f"#cancel-post-{post_id}")
    expect(page.locator(f"#post-{post_id}")).to_contain_text("Cancelled")
    with rt.session() as s:
        assert s.scalars(select(PostMedia)).first() is None
