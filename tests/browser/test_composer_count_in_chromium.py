"""In a real browser, the composer counts a Japanese reply to X as X does (twitter-text)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from twitter_text import parse_tweet

from tests import fakes

pytestmark = pytest.mark.browser
OpenAs = Callable[..., Page]
REPLY = "ありがとうございます！3月14日のリヨン公演、ぜひお願いします。マネージャーから連絡します 🙏"


def test_typing_a_japanese_reply_to_x_shows_twitter_texts_count(
    open_as: OpenAs, ids: dict[str, int]
) -> None:
    page = open_as("agent")
    page.goto(f"/c/{ids['promoter']}")  # a conversation on X
    counter = page.locator("#reply-count")
    expect(counter).to_have_text("0 / 280 characters")
    page.locator("#reply-text").press_sequentially(REPLY, delay=5)
    weighted = parse_tweet(REPLY).weightedLength
    assert weighted > len(REPLY)  # X weighs each CJK character and the emoji 2
    expect(counter).to_have_text(f"{weighted} / 280 characters")
    expect(counter.locator(".count")).not_to_have_class(re.compile("over"))
    page.click("#send-button")
    sent = page.locator("#messages .message.outbound:not(.pending)")
    expect(sent).to_contain_text("リヨン公演", timeout=20_000)  # after the 10 s undo window
    assert [text for _t, text, _k in fakes.NETWORK.sent] == [REPLY]


def test_a_japanese_reply_too_long_for_x_turns_the_counter_red(
    open_as: OpenAs, ids: dict[str, int]
) -> None:
    page = open_as("agent")
    page.goto(f"/c/{ids['promoter']}")
    text = REPLY * 4  # 180 characters, 360 by X's weights
    weighted = parse_tweet(text).weightedLength
    assert len(text) < 280 < weighted
    page.fill("#reply-text", text)
    counter = page.locator("#reply-count")
    expect(counter).to_have_text(f"{weighted} / 280 characters")
    expect(counter.locator(".count")).to_have_class(re.compile("over"))
    # Sending it is refused by the outbox with the same figure (the refusal answers
    # 422, which this harness counts as a console error): tests/ui/test_composer_count.py.
