"""The composer's counter is the server's: the outbox's own rule, per network."""

from __future__ import annotations

import re
from collections.abc import Callable

import regex
from flask.testing import FlaskClient
from twitter_text import parse_tweet

from tests import fakes
from tests.ui.conftest import HX

AsUser = Callable[[str], tuple[FlaskClient, str]]
JAPANESE = "ライブ最高でした！また東京に来てください 🇯🇵 https://example.com/tour/tokyo-2027"


def _count(client: FlaskClient, token: str, cid: int, text: str) -> tuple[int, str]:
    resp = client.post(
        f"/c/{cid}/reply/count", data={"text": text, "csrf_token": token}, headers=HX
    )
    return resp.status_code, resp.get_data(as_text=True)


def test_an_x_reply_is_counted_by_twitter_texts_weighted_length(
    ids: dict[str, int], as_user: AsUser
) -> None:
    client, token = as_user("agent")
    status, html = _count(client, token, ids["promoter"], f"  {JAPANESE}\n")
    weighted = parse_tweet(JAPANESE).weightedLength
    assert weighted == 20 * 2 + 1 + 2 + 1 + 23  # 20 CJK 2 each, a flag 2, a link 23
    assert status == 200
    assert re.fullmatch(rf'\s*<span class="count">{weighted} / 280 characters</span>\s*', html)


def test_a_bluesky_reply_is_counted_in_graphemes_and_mastodon_shortens_links_and_mentions(
    ids: dict[str, int], as_user: AsUser
) -> None:
    client, token = as_user("agent")
    hindi = "कल रात का शो शानदार था! 👍🏽"
    _, html = _count(client, token, ids["press"], hindi)
    clusters = len(regex.findall(r"\X", hindi))
    assert len(hindi) == 26 and clusters == 19  # vowel signs, a skin tone: part of a letter
    assert f">{clusters} / 300 graphemes<" in html
    text = "@marie@mastodon.social https://example.com/" + "a" * 100
    _, html = _count(client, token, ids["ticket"], text)
    assert ">30 / 500 characters<" in html  # "@marie" + " " + 23


def test_over_the_limit_the_counter_turns_red_and_the_send_is_refused_with_the_count(
    ids: dict[str, int], as_user: AsUser
) -> None:
    client, token = as_user("agent")
    _, html = _count(client, token, ids["promoter"], "日" * 150)
    assert '<span class="count over">300 / 280 characters</span>' in html
    resp = client.post(
        f"/c/{ids['promoter']}/reply", data={"text": "日" * 150, "csrf_token": token}, headers=HX
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Too long for x: 300 of 280 characters" in page
    # The page that comes back keeps the draft and counts it the same way.
    assert '<span class="count over">300 / 280 characters</span>' in page
    assert fakes.NETWORK.sent == []


def test_the_counter_needs_an_agent_and_the_forms_token(
    ids: dict[str, int], as_user: AsUser
) -> None:
    viewer, viewer_token = as_user("viewer")
    assert _count(viewer, viewer_token, ids["promoter"], "hi")[0] == 403
    agent, _token = as_user("agent")
    assert _count(agent, "forged", ids["promoter"], "hi")[0] == 400
    assert _count(agent, _token, 999_999, "hi")[0] == 404


def test_the_composer_asks_the_server_as_the_person_types(
    ids: dict[str, int], as_user: AsUser
) -> None:
    client, _token = as_user("agent")
    page = client.get(f"/c/{ids['promoter']}").get_data(as_text=True)
    area = re.search(r"<textarea id=\"reply-text\"[^>]*>", page)
    assert area is not None
    assert f'hx-post="/c/{ids["promoter"]}/reply/count"' in area.group(0)
    assert 'hx-trigger="input changed delay:150ms"' in area.group(0)
    assert '<span class="count">0 / 280 characters</span>' in page
