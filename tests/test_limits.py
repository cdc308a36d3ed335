"""A reply's length is counted the way each network counts it, in every script.

Each text is checked twice: against the figure of the library that implements
the network's rule (twitter-text for X, ``regex``'s ``\\X`` for Bluesky) and
against the figure the rule gives by hand (X weighs a CJK character or an emoji
2 and anything below U+1100 1; a grapheme is what a reader sees as one letter),
so a change of library version that changes the count fails here.
"""

from __future__ import annotations

import pytest
import regex
from flask.testing import FlaskClient
from sqlalchemy import select
from twitter_text import parse_tweet

from inbox.limits import check_length, graphemes, mastodon_countable
from inbox.pipeline import ingest
from inbox.runtime import Runtime
from models import Conversation, Reply, Workspace
from tests import fakes
from tests.conftest import login
from tests.helpers import item, make_channel

# name: (text, X's weighted length, graphemes)
TEXTS: dict[str, tuple[str, int, int]] = {
    # 41 kana/kanji + 2 full-width punctuation marks (also weighted 2): 43 x 2.
    "japanese": (
        "ライブ最高でした！また東京に来てください。新しいアルバムも毎日聴いています。ありがとう",
        86,
        43,
    ),
    # 19 Hangul syllables (2 each) + 6 spaces + "!" (1 each).
    "korean": ("어제 공연 정말 최고였어요! 서울에 또 와 주세요", 46, 27),
    # 22 Han characters and full-width punctuation, 2 each.
    "chinese": ("昨晚的演出太棒了！请再来上海演出，我们等你。", 44, 22),
    # Devanagari is below U+1100: every code point weighs 1 on X (67), but a
    # reader sees 47 letters (conjuncts and vowel signs join their consonant).
    "hindi": ("कल रात का शो शानदार था! कृपया फिर से दिल्ली आइए, हम इंतज़ार करेंगे।", 67, 47),
    # Thai vowel and tone marks combine with their consonant: 57 code points, 44 graphemes.
    "thai": ("คอนเสิร์ตเมื่อคืนสุดยอดมาก! กลับมาเล่นที่กรุงเทพอีกนะครับ", 57, 44),
    # Two tanween marks (U+064B) sit on their letters: 52 code points, 50 graphemes.
    "arabic": ("الحفل كان رائعاً! نتمنى أن تعودوا إلى القاهرة قريباً", 52, 50),
    # A ZWJ family (7 code points), a flag (2) and a thumbs-up with skin tone (2) are
    # one emoji each: 3 x 2 + " merci !" (8) on X; 3 + 8 graphemes.
    "emoji": ("👨\u200d👩\u200d👧\u200d👦🇫🇷👍🏽 merci !", 14, 11),
    # Any URL weighs 23 on X, however long: "Billets : " (10) + 23 + " merci" (6).
    "url": ("Billets : https://example.com/tickets/lyon-2027?ref=fan-mail-and-more merci", 39, 75),
}


@pytest.mark.parametrize("name", list(TEXTS))
def test_x_counts_twitter_texts_weighted_length(name: str) -> None:
    text, weighted, _ = TEXTS[name]
    used, limit = check_length("x", text)
    assert used == parse_tweet(text).weightedLength == weighted
    assert limit.max == 280


@pytest.mark.parametrize("name", list(TEXTS))
def test_bluesky_counts_extended_grapheme_clusters(name: str) -> None:
    text, _, clusters = TEXTS[name]
    used, limit = check_length("bluesky", text)
    assert used == len(regex.findall(r"\X", text)) == clusters
    assert (limit.max, limit.unit) == (300, "graphemes")


def test_the_issues_examples_count_as_the_networks_do() -> None:
    japanese_41 = "ライブ最高でした" * 5 + "!"  # 40 CJK characters and "!"
    assert len(japanese_41) == 41 and check_length("x", japanese_41)[0] == 81
    assert check_length("x", "日" * 41)[0] == 82
    # 150 Japanese characters were 150 "characters" for Unplugged and 300 for X: refused now.
    assert check_length("x", "日" * 150)[0] == 300
    hindi = "नमस्ते दोस्तों "
    assert graphemes(hindi) == 7 and len(hindi) == 15
    # A Hindi reply of 250 graphemes (more than 300 code points) fits Bluesky.
    long_hindi = hindi * 35 + "धन्यवाद"  # "thank you": ध, न्य, वा, द
    assert check_length("bluesky", long_hindi)[0] == 7 * 35 + 4 <= 300 < len(long_hindi)


def test_mastodon_counts_links_as_23_and_remote_mentions_by_their_user_name() -> None:
    text = (
        "Thanks @marie@mastodon.social and @karl, the setlist: "
        "https://example.com/a/very/long/path/to/the/setlist/of/the/lyon/show 🎸"
    )
    assert mastodon_countable(text) == ("Thanks @marie and @karl, the setlist: " + "x" * 23 + " 🎸")
    used, limit = check_length("mastodon", text)
    assert used == len("Thanks @marie and @karl, the setlist: ") + 23 + 2 and limit.max == 500
    # Only links with a scheme are shortened; a bare domain is text, as on Mastodon.
    assert check_length("mastodon", "see example.com")[0] == 15
    # A mention inside a link is part of the link; an e-mail address is no mention.
    assert mastodon_countable("https://mastodon.social/@marie@x.y") == "x" * 23
    assert mastodon_countable("write to fan@example.org") == "write to fan@example.org"
    # Graphemes, as Mastodon's validator counts: the family emoji is one.
    assert check_length("mastodon", "👨\u200d👩\u200d👧\u200d👦")[0] == 1


def test_other_networks_count_characters() -> None:
    assert check_length("instagram", "日本語 👍🏽")[0] == 6
    assert check_length("email", "x" * 10)[1].max == 100_000


def _x_conversation(rt: Runtime, workspace: Workspace, network: str) -> int:
    ch = make_channel(rt, workspace.id, network=network, connector="fake")
    with rt.session() as s:
        ingest(s, ch, [item("m1", "東京に来てください", author="yuki")], defer_jobs=False)
        return s.scalars(select(Conversation.id)).one()


@pytest.fixture(autouse=True)
def _fresh_network() -> None:
    fakes.NETWORK.reset()


def test_the_outbox_refuses_a_japanese_reply_that_x_would_refuse(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    cid = _x_conversation(rt, workspace, "x")
    csrf = login(client)
    resp = client.post(
        f"/c/{cid}/reply",
        data={"text": "日" * 150, "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 422
    assert "Too long for x: 300 of 280 characters" in resp.get_data(as_text=True)
    assert fakes.NETWORK.sent == []


def test_the_outbox_accepts_a_hindi_reply_of_250_graphemes_on_bluesky(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    cid = _x_conversation(rt, workspace, "bluesky")
    csrf = login(client)
    text = "क्षि" * 250  # 4 code points, one grapheme each: 1,000 code points
    assert graphemes(text) == 250
    resp = client.post(f"/c/{cid}/reply", data={"text": text, "csrf_token": csrf})
    assert resp.status_code == 200
    with rt.session() as s:
        assert s.scalars(select(Reply.text)).one() == text
    assert [sent for _target, sent, _key in fakes.NETWORK.sent] == [text]
