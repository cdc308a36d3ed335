"""The sandbox network: deterministic, realistic fan traffic and a connector over it.

Everything runs on an injected clock, so the tests pin exact behaviour (same
window, same ids) rather than timing.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from string import Formatter
from typing import Any

import pytest

from inbox import connectors
from inbox.connectors.base import (
    Author,
    ChannelConfig,
    Connector,
    IncomingItem,
    PermanentError,
    ReplyTarget,
)
from inbox.connectors.sandbox import SandboxConnector
from inbox.importer import parse_line
from inbox.limits import check_length
from inbox.normalise import normalise
from inbox.sandbox import DEFAULT_DEMO_CHANNELS, DemoChannel, Persona, generate_import_lines
from inbox.sandbox.artist import DEFAULT_ARTIST
from inbox.sandbox.fillers import FillContext, Fillers, fill
from inbox.sandbox.languages import PHRASEBOOKS
from inbox.sandbox.personas import ALL_TOPICS, Group
from inbox.sandbox.phrasebook import COMPUTED_SLOTS, WORD_SLOTS, Phrasebook
from inbox.sandbox.population import build_population

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DEMO = {c.network: c for c in DEFAULT_DEMO_CHANNELS}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def config(
    network: str,
    *,
    state: Mapping[str, Any] | None = None,
    **options: Any,
) -> ChannelConfig:
    demo = DEMO[network]
    return ChannelConfig(
        channel_id=1,
        network=network,
        handle=demo.handle,
        external_id=None,
        credentials={},
        state=dict(state or {}),
        options={**demo.options(), **options},
    )


def connector(
    network: str,
    clock: Callable[[], datetime],
    *,
    state: Mapping[str, Any] | None = None,
    **options: Any,
) -> SandboxConnector:
    return SandboxConnector(config(network, state=state, **options), clock=clock)


def drain(
    conn: SandboxConnector, cursor: Mapping[str, Any] | None = None, limit: int = 100
) -> tuple[list[IncomingItem], dict[str, Any] | None, int]:
    """Every item up to the connector's now: (items, final cursor, pages)."""
    items: list[IncomingItem] = []
    pages = 0
    while True:
        result = conn.fetch_since(cursor, limit)
        pages += 1
        items.extend(result.items)
        cursor = result.cursor
        if not result.has_more:
            return items, cursor, pages


@pytest.fixture(scope="module")
def history() -> dict[str, list[IncomingItem]]:
    """Fourteen days of demo traffic on every network, fetched once for the module."""
    clock = Clock()
    return {network: drain(connector(network, clock))[0] for network in DEMO}


def all_items(history: dict[str, list[IncomingItem]]) -> Iterator[IncomingItem]:
    for items in history.values():
        yield from items


def fan_item(items: list[IncomingItem], *, kind: str | None = None) -> IncomingItem:
    """An opening message by a person who answers (not a bot), for reply tests."""
    for item in items:
        truth = item.raw["sandbox"]
        is_fan = truth["role"] == "opening" and truth["persona"] in ("superfan", "regular")
        if is_fan and (kind is None or item.kind == kind):
            return item
    raise AssertionError("no fan message in the window")


def target_of(item: IncomingItem) -> ReplyTarget:
    return ReplyTarget(
        thread_id=item.thread_id or item.external_id,
        parent_external_id=item.external_id,
        parent_author=Author(item.author.external_id, item.author.handle, item.author.name),
        subject=item.subject,
        kind=item.kind,
        parent_raw=dict(item.raw),
    )


# -- the connector as the registry builds it ----------------------------------------


def test_registered_as_sandbox_and_implements_the_connector_protocol() -> None:
    built = connectors.build("sandbox", config("x"))
    assert isinstance(built, SandboxConnector)
    assert isinstance(built, Connector)
    assert "sandbox" in connectors.available()


# -- determinism and cursors -----------------------------------------------------------


def test_same_seed_handle_network_and_window_give_the_same_items() -> None:
    first, _, _ = drain(connector("instagram", Clock()))
    again, _, _ = drain(connector("instagram", Clock()))
    assert [(i.external_id, i.text, i.created_at, i.thread_id) for i in first] == [
        (i.external_id, i.text, i.created_at, i.thread_id) for i in again
    ]
    assert [i.raw for i in first] == [i.raw for i in again]


def test_another_seed_or_handle_gives_other_traffic() -> None:
    base = {i.external_id for i in connector("x", Clock()).fetch_since(None, 200).items}
    seeded = {i.external_id for i in connector("x", Clock(), seed=99).fetch_since(None, 200).items}
    other = SandboxConnector(replace(config("x"), handle="someoneelse"), clock=Clock())
    handled = {i.external_id for i in other.fetch_since(None, 200).items}
    assert not base & seeded
    assert not base & handled


def test_pages_cover_the_window_in_order_without_gaps_or_duplicates() -> None:
    clock = Clock()
    whole = connector("x", clock).fetch_since(None, 1000)
    assert not whole.has_more
    paged, _, pages = drain(connector("x", clock), limit=37)
    assert pages > 5
    assert [i.external_id for i in paged] == [i.external_id for i in whole.items]
    keys = [(i.created_at, i.external_id) for i in paged]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert all(NOW - timedelta(days=14) < i.created_at <= NOW for i in paged)


def test_a_page_boundary_inside_one_microsecond_loses_and_repeats_nothing() -> None:
    clock = Clock()
    items, _, _ = drain(connector("youtube", clock))
    # Resume from a cursor that names an item's instant and id: the next page starts
    # exactly after that item, even if another one shared its timestamp.
    middle = items[len(items) // 2]
    first = connector("youtube", clock).fetch_since(None, 1)
    cursor = {**(first.cursor or {}), "t": middle.created_at.isoformat(), "id": middle.external_id}
    rest, _, _ = drain(connector("youtube", clock), cursor)
    expected = [i.external_id for i in items[len(items) // 2 + 1 :]]
    assert [i.external_id for i in rest] == expected
    # Without an id, a cursor's instant is done: nothing at it comes again.
    del cursor["id"]
    rest, _, _ = drain(connector("youtube", clock), cursor)
    assert [i.external_id for i in rest] == expected


def test_a_later_sync_continues_where_the_last_one_stopped() -> None:
    clock = Clock()
    conn = connector("mastodon", clock)
    before, cursor, _ = drain(conn)
    assert cursor is not None and cursor["t"] == NOW.isoformat()
    clock.advance(hours=2)
    after, _, _ = drain(conn, cursor)
    assert after, "live traffic keeps arriving"
    assert all(NOW < i.created_at <= clock.now for i in after)
    # The same span fetched in one go from the same anchors is the same traffic.
    restart = {"t": cursor["origin"], "origin": cursor["origin"], "live_from": cursor["live_from"]}
    whole, _, _ = drain(connector("mastodon", clock), restart)
    assert [i.external_id for i in whole] == [i.external_id for i in before + after]


def test_refetching_an_old_window_returns_the_same_external_ids() -> None:
    clock = Clock()
    conn = connector("bluesky", clock)
    page = conn.fetch_since(None, 50)
    clock.advance(minutes=45)
    again = connector("bluesky", clock).fetch_since(page.cursor, 50)
    replay = connector("bluesky", clock).fetch_since(page.cursor, 50)
    assert [i.external_id for i in again.items] == [i.external_id for i in replay.items]
    assert not {i.external_id for i in page.items} & {i.external_id for i in again.items}


def test_nothing_is_newer_than_now() -> None:
    clock = Clock()
    conn = connector("facebook", clock)
    _, cursor, _ = drain(conn)
    result = conn.fetch_since(cursor, 100)
    assert result.items == [] and not result.has_more
    clock.now = NOW - timedelta(minutes=5)  # a clock that went back
    assert conn.fetch_since(cursor, 100).items == []


# -- rates ------------------------------------------------------------------------------


def test_demo_channels_make_about_two_thousand_messages_of_history(
    history: dict[str, list[IncomingItem]],
) -> None:
    total = sum(len(items) for items in history.values())
    assert 1700 <= total <= 2300
    assert len(history["x"]) > len(history["mastodon"])  # busy networks are busier


def test_live_traffic_shows_a_new_message_every_minute_or_so() -> None:
    clock = Clock()
    conns = {network: connector(network, clock) for network in DEMO}
    cursors = {network: drain(conn)[1] for network, conn in conns.items()}
    arrivals: list[datetime] = []
    for _ in range(12):  # an hour, synced every five minutes
        clock.advance(minutes=5)
        for network, conn in conns.items():
            items, cursors[network], _ = drain(conn, cursors[network])
            arrivals.extend(i.created_at for i in items)
    assert 30 <= len(arrivals) <= 90
    quiet = max(b - a for a, b in zip(sorted(arrivals), sorted(arrivals)[1:], strict=False))
    assert quiet < timedelta(minutes=12)


def test_rates_come_from_the_options() -> None:
    clock = Clock()
    busy = len(drain(connector("email", clock, history_per_day=60, history_days=3))[0])
    calm = len(drain(connector("email", clock, history_per_day=6, history_days=3))[0])
    assert busy > 4 * calm > 0


# -- what the traffic looks like ---------------------------------------------------------


def test_all_four_languages_in_roughly_the_intended_mix(
    history: dict[str, list[IncomingItem]],
) -> None:
    langs = Counter(i.lang for i in all_items(history))
    total = sum(langs.values())
    assert set(langs) == {"en", "fr", "es", "de"}
    assert 0.45 <= langs["en"] / total <= 0.65
    for lang in ("fr", "es", "de"):
        assert 0.08 <= langs[lang] / total <= 0.22, lang


def test_every_persona_writes_over_the_demo_window(
    history: dict[str, list[IncomingItem]],
) -> None:
    personas = {i.raw["sandbox"]["persona"] for i in all_items(history)}
    assert personas == {p.value for p in Persona}


def test_lapsed_fans_only_write_in_the_old_part_of_the_history(
    history: dict[str, list[IncomingItem]],
) -> None:
    lapsed = [i for i in all_items(history) if i.raw["sandbox"]["persona"] == "lapsed"]
    openings = [i for i in lapsed if i.raw["sandbox"]["role"] == "opening"]
    assert openings
    assert all(i.created_at < NOW - timedelta(days=7) for i in openings)


def test_superfans_have_accounts_on_several_networks() -> None:
    population = build_population(DEMO["x"].options()["seed"])
    assert 550 <= len(population) <= 650
    superfans = [f for f in population.fans if f.persona == Persona.SUPERFAN]
    assert superfans and all(2 <= len(f.identities) <= 3 for f in superfans)
    assert len({f.full_name for f in population.fans}) > 450  # varied names


def test_messages_rarely_repeat_word_for_word(history: dict[str, list[IncomingItem]]) -> None:
    texts = [i.text for i in all_items(history)]
    assert len(set(texts)) / len(texts) > 0.9


def test_every_item_passes_the_pipelines_validation(
    history: dict[str, list[IncomingItem]],
) -> None:
    for item in all_items(history):
        normalise(item)
        assert item.created_at.tzinfo is not None


def test_texts_fit_each_networks_length_limit(history: dict[str, list[IncomingItem]]) -> None:
    for network, items in history.items():
        for item in items:
            count, limit = check_length(network, item.text)
            assert count <= limit.max, (network, item.text)


ID_FORMATS = {
    "x": r"\d{18,20}",
    "bluesky": r"at://did:plc:[a-z2-7]{24}/app\.bsky\.feed\.post/[2-7a-z]{13}",
    "instagram": r"\d{17}|aWdfZAG[\w-]{40}",
    "youtube": r"Ug[wxyz][\w-]{16}4AaABAg(\.[\w-]{22})?",
    "mastodon": r"\d{17,19}",
    "facebook": r"\d+_\d+",
    "email": r"<[^<>@\s]+@[^<>@\s]+>",
}
URL_PREFIXES = {
    "x": "https://x.com/",
    "bluesky": "https://bsky.app/profile/",
    "instagram": "https://www.instagram.com/",
    "youtube": "https://www.youtube.com/watch?v=",
    "mastodon": "https://",
    "facebook": "https://www.facebook.com/LesNeonsTranquilles/posts/",
}
KINDS_SEEN = {
    "x": {"mention", "reply", "dm"},
    "bluesky": {"mention", "reply"},
    "instagram": {"comment", "dm"},
    "youtube": {"comment"},
    "mastodon": {"mention", "reply", "dm"},
    "facebook": {"comment"},
    "email": {"email"},
}


@pytest.mark.parametrize("network", sorted(ID_FORMATS))
def test_ids_links_and_kinds_look_like_the_network(
    network: str, history: dict[str, list[IncomingItem]]
) -> None:
    items = history[network]
    for item in items:
        assert re.fullmatch(ID_FORMATS[network], item.external_id), item.external_id
        if network == "email":
            assert item.url is None and item.subject
            assert item.raw["message_id"] == item.external_id
        else:
            assert item.url and item.url.startswith(URL_PREFIXES[network]), item.url
    assert {i.kind for i in items} == KINDS_SEEN[network]


def test_x_ids_are_snowflakes_that_sort_by_time(history: dict[str, list[IncomingItem]]) -> None:
    tweets = [i for i in history["x"] if i.kind != "dm"]
    for item in tweets:
        millis = (int(item.external_id) >> 22) + 1288834974657
        assert abs(millis / 1000 - item.created_at.timestamp()) < 0.002
        assert item.raw["data"]["id"] == item.external_id
        assert "@lesneons" in item.text


def test_mastodon_text_is_plain_while_the_payload_keeps_the_html(
    history: dict[str, list[IncomingItem]],
) -> None:
    for item in history["mastodon"]:
        assert item.text.startswith("@lesneons@mastodon.social ")
        assert "<" not in item.text.replace("<3", "")
        assert 'class="u-url mention"' in item.raw["status"]["content"]


@pytest.mark.parametrize("network", ["instagram", "youtube", "facebook"])
def test_comments_hang_off_the_artists_posts_and_replies_share_the_thread(
    network: str, history: dict[str, list[IncomingItem]]
) -> None:
    comments = [i for i in history[network] if i.kind == "comment"]
    by_id = {i.external_id: i for i in comments}
    replies = [i for i in comments if i.parent_id]
    assert replies, "some fans come back to their thread or chime in"
    for item in comments:
        assert item.context is not None and item.context.title and item.context.url
    for reply in replies:
        top = by_id[reply.thread_id or ""]  # the top-level comment is in the window
        assert top.parent_id is None and top.created_at < reply.created_at
        assert reply.context == top.context


def test_fans_come_back_to_their_own_threads(history: dict[str, list[IncomingItem]]) -> None:
    for network in ("x", "bluesky", "mastodon", "email"):
        items = history[network]
        by_id = {i.external_id: i for i in items}
        followups = [i for i in items if i.raw["sandbox"]["role"] == "followup" and i.parent_id]
        assert followups, network
        for item in followups:
            parent = by_id[item.parent_id or ""]
            assert parent.author.external_id == item.author.external_id
            assert item.thread_id == parent.thread_id


def test_dms_with_one_fan_share_one_conversation(history: dict[str, list[IncomingItem]]) -> None:
    dms = [i for i in history["x"] if i.kind == "dm"]
    assert dms
    threads: dict[str, set[str]] = {}
    for item in dms:
        threads.setdefault(item.author.external_id, set()).add(item.thread_id or "")
        assert item.raw["dm_conversation_id"] == item.thread_id
    assert all(len(t) == 1 for t in threads.values())


def test_email_replies_thread_by_message_id_and_subject(
    history: dict[str, list[IncomingItem]],
) -> None:
    mails = history["email"]
    by_id = {i.external_id: i for i in mails}
    replies = [i for i in mails if i.parent_id]
    assert replies
    for reply in replies:
        first = by_id[reply.parent_id or ""]
        assert reply.raw["in_reply_to"] == first.external_id
        assert reply.raw["references"] == [reply.thread_id]
        assert reply.subject and first.subject and first.subject in reply.subject
    industry = [i for i in mails if i.raw["sandbox"]["persona"] in ("promoter", "journalist")]
    assert industry and all("\n\n" in i.text for i in industry)  # greeting, paragraphs, signature


def _templates(book: Phrasebook) -> list[str]:
    out = [
        *book.openers,
        *book.closers,
        *book.chime_ins,
        *(t for ts in book.followups.values() for t in ts),
        *(t for ts in book.answers.values() for t in ts),
        *(t for ts in book.greetings.values() for t in ts),
    ]
    for topic in book.topics.values():
        out += [*topic.short, *topic.subjects, *(t for group in topic.long for t in group)]
    return out


@pytest.mark.parametrize("lang", ["en", "fr", "es", "de"])
def test_every_phrasebook_covers_every_topic_and_fills_every_slot(lang: str) -> None:
    book = PHRASEBOOKS[lang]
    assert set(book.topics) == set(ALL_TOPICS)
    assert set(book.followups) == set(book.answers) == {g.value for g in Group}
    assert set(book.words) >= WORD_SLOTS
    assert len(book.months) == 12
    fan = build_population(7).fans[0]
    for template in _templates(book):
        slots = {field for _, field, _, _ in Formatter().parse(template) if field}
        assert slots <= COMPUTED_SLOTS | WORD_SLOTS, (template, slots)
        ctx = FillContext(DEFAULT_ARTIST, book, fan, NOW, "booking")
        filled = template.format_map(Fillers(ctx, random.Random(1)))
        assert "{" not in filled and "}" not in filled, template


def test_french_contracts_a_venues_article_but_not_a_pronoun() -> None:
    fan = build_population(7).fans[0]
    preset = {"venue": "Le Transbordeur", "city": "Lyon"}
    ctx = FillContext(DEFAULT_ARTIST, PHRASEBOOKS["fr"], fan, NOW, "praise_show", preset=preset)
    filled = fill(
        "le son à {venue} ({city}), j'ai du mal à le croire", Fillers(ctx, random.Random(1))
    )
    assert filled == "le son au Transbordeur (Lyon), j'ai du mal à le croire"


# -- replies and fan answers -------------------------------------------------------------


def test_reply_gets_a_new_network_id_and_link() -> None:
    clock = Clock()
    conn = connector("youtube", clock)
    item = fan_item(conn.fetch_since(None, 300).items)
    sent = conn.send_reply(target_of(item), "Merci beaucoup !", "reply-1")
    assert sent.external_id.startswith(item.external_id.split(".")[0] + ".")
    assert sent.created_at == NOW
    assert sent.external_id not in {item.external_id}


def test_some_fans_answer_a_few_minutes_later_exactly_once_in_their_language() -> None:
    clock = Clock()
    conn = connector("x", clock)
    items, cursor, _ = drain(conn)
    fans = [
        i
        for i in items
        if i.raw["sandbox"]["role"] == "opening"
        and i.raw["sandbox"]["persona"] in ("superfan", "regular", "newcomer")
    ][:40]
    sent = {}
    for n, item in enumerate(fans):
        sent[f"key-{n}"] = (item, conn.send_reply(target_of(item), "Thank you! 💙", f"key-{n}"))
    pending = conn.state["sandbox"]["pending"]
    assert 5 <= len(pending) <= 25  # about 35% of 40

    clock.advance(minutes=1)  # too early: answers take two minutes at least
    early, cursor, _ = drain(conn, cursor)
    assert not [i for i in early if i.raw["sandbox"]["role"] == "answer"]

    clock.advance(minutes=12)
    later, cursor, _ = drain(conn, cursor)
    answers = [i for i in later if i.raw["sandbox"]["role"] == "answer"]
    assert len(answers) == len(pending)
    replies = {s.external_id: (item, s) for item, s in sent.values()}
    for answer in answers:
        item, reply = replies[answer.parent_id or ""]
        assert answer.thread_id == (item.thread_id or item.external_id)
        assert answer.author.external_id == item.author.external_id
        assert answer.lang == item.lang
        assert timedelta(minutes=2) <= answer.created_at - reply.created_at <= timedelta(minutes=12)
    assert conn.state["sandbox"]["pending"] == []

    # A later sync, even by a fresh connector from the stored state, delivers none again.
    clock.advance(hours=1)
    again = connector("x", clock, state=conn.state)
    more, _, _ = drain(again, cursor)
    assert not {i.external_id for i in more} & {a.external_id for a in answers}


def test_the_same_idempotency_key_sends_once_and_is_answered_at_most_once() -> None:
    clock = Clock()
    conn = connector("instagram", clock, answer_rate=1.0)
    items = conn.fetch_since(None, 500).items
    fans = [i for i in items if i.raw["sandbox"]["persona"] == "superfan"][:10]
    for n, item in enumerate(fans):
        key = f"idem-{n}"
        first = conn.send_reply(target_of(item), "merci !!", key)
        clock.advance(seconds=30)
        second = conn.send_reply(target_of(item), "merci !!", key)
        restarted = connector("instagram", clock, state=conn.state)
        third = restarted.send_reply(target_of(item), "merci !!", key)
        assert first.external_id == second.external_id == third.external_id
        assert first.created_at == second.created_at == third.created_at
        # Every new key gets its answer (answer_rate=1); a repeated key none more.
        assert len(conn.state["sandbox"]["pending"]) == n + 1
        assert len(restarted.state["sandbox"]["pending"]) == n + 1


def test_dm_answers_stay_in_the_dm_conversation() -> None:
    clock = Clock()
    conn = connector("x", clock, answer_rate=1.0)
    items, cursor, _ = drain(conn)
    dm = next(i for i in items if i.kind == "dm" and i.raw["sandbox"]["persona"] != "spam_bot")
    sent = conn.send_reply(target_of(dm), "Hey, thanks for writing!", "dm-1")
    clock.advance(minutes=15)
    later, _, _ = drain(conn, cursor)
    answer = next(i for i in later if i.parent_id == sent.external_id)
    assert answer.kind == "dm" and answer.thread_id == dm.thread_id


def test_email_answers_keep_the_subject_and_references() -> None:
    clock = Clock()
    conn = connector("email", clock, answer_rate=1.0)
    items, cursor, _ = drain(conn)
    mail = fan_item(items)
    sent = conn.send_reply(target_of(mail), "Hello, thanks for your message!", "mail-1")
    assert sent.raw["in_reply_to"] == mail.external_id
    clock.advance(minutes=15)
    later, _, _ = drain(conn, cursor)
    answer = next(i for i in later if i.parent_id == sent.external_id)
    assert answer.kind == "email" and answer.thread_id == mail.thread_id
    assert answer.subject and (mail.subject or "") in answer.subject
    assert answer.raw["references"] == [mail.thread_id, sent.external_id]


@pytest.mark.parametrize(
    ("network", "fits", "too_long"),
    [
        ("x", "a" * 280, "a" * 281),
        ("x", "see https://example.com/" + "a" * 200 + " " + "b" * 32, "é" * 281),
        ("bluesky", "👍🏽" * 300, "👍🏽" * 301),
        ("mastodon", "m" * 500, "m" * 501),
        ("instagram", "i" * 2200, "i" * 2201),
    ],
)
def test_reply_length_is_checked_the_way_the_network_counts(
    network: str, fits: str, too_long: str
) -> None:
    conn = connector(network, Clock())
    item = fan_item(conn.fetch_since(None, 300).items)
    conn.send_reply(target_of(item), fits, f"{network}-ok")
    with pytest.raises(PermanentError, match="allows"):
        conn.send_reply(target_of(item), too_long, f"{network}-long")


def test_empty_replies_and_bad_targets_are_refused() -> None:
    conn = connector("facebook", Clock())
    item = fan_item(conn.fetch_since(None, 300).items)
    with pytest.raises(PermanentError, match="text"):
        conn.send_reply(target_of(item), "   ", "k1")
    with pytest.raises(PermanentError, match="idempotency"):
        conn.send_reply(target_of(item), "hi", "")
    with pytest.raises(PermanentError, match="thread"):
        conn.send_reply(replace(target_of(item), thread_id=""), "hi", "k2")


def test_replies_to_unknown_people_are_accepted_but_never_answered() -> None:
    clock = Clock()
    conn = connector("mastodon", clock, answer_rate=1.0)
    stranger = ReplyTarget(
        "123", "123", Author("nobody-here", "nobody@example.org"), kind="mention"
    )
    assert conn.send_reply(stranger, "hello", "stranger-1").external_id
    assert conn.state["sandbox"]["pending"] == []


# -- profiles ------------------------------------------------------------------------------


def test_fetch_profile_returns_the_fans_account(history: dict[str, list[IncomingItem]]) -> None:
    conn = connector("bluesky", Clock())
    item = history["bluesky"][0]
    author = conn.fetch_profile(item.author.external_id)
    assert author.external_id == item.author.external_id
    assert author.handle == item.author.handle and author.handle.endswith(".bsky.social")
    assert author.profile_url == f"https://bsky.app/profile/{author.handle}"
    assert author.avatar_url is None
    with pytest.raises(PermanentError, match="no sandbox account"):
        conn.fetch_profile("did:plc:doesnotexist")


# -- untrusted state, cursors and options ---------------------------------------------------


def test_a_damaged_pending_answer_is_reported_and_the_batch_still_arrives() -> None:
    clock = Clock()
    conn = connector("x", clock, answer_rate=1.0)
    items, cursor, _ = drain(conn)
    conn.send_reply(target_of(fan_item(items)), "thanks!", "good-key")
    state = conn.state
    broken = {
        "sandbox": {
            "sent": dict(state["sandbox"]["sent"]),
            "pending": [*state["sandbox"]["pending"], {"external_id": "x", "kind": "shout"}, 42],
        }
    }
    clock.advance(minutes=20)
    restarted = connector("x", clock, state=broken)
    result = restarted.fetch_since(cursor, 100)
    assert len(result.malformed) == 2
    assert all("pending fan answer dropped" in reason for reason, _ in result.malformed)
    assert any(i.raw["sandbox"]["role"] == "answer" for i in result.items)
    assert len(restarted.state["sandbox"]["pending"]) == 0


@pytest.mark.parametrize(
    ("cursor", "message"),
    [
        ({"t": "yesterday"}, "not an ISO 8601 time"),
        ({"t": 12}, "must be an ISO 8601 string"),
        ({"origin": NOW.isoformat()}, "has no 't'"),
        ({"t": NOW.isoformat(), "id": 5}, "'id' must be a string"),
    ],
)
def test_a_bad_cursor_is_a_clear_permanent_error(cursor: dict[str, Any], message: str) -> None:
    with pytest.raises(PermanentError, match=message):
        connector("x", Clock()).fetch_since(cursor, 10)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"history_per_day": "lots"}, "'history_per_day' must be a number"),
        ({"live_per_hour": -1}, "'live_per_hour' must be between"),
        ({"seed": 1.5}, "'seed' must be an integer or a string"),
        ({"answer_rate": 2}, "'answer_rate' must be between"),
    ],
)
def test_bad_options_are_a_clear_permanent_error(options: dict[str, Any], message: str) -> None:
    with pytest.raises(PermanentError, match=message):
        connector("x", Clock(), **options)


def test_an_unknown_network_is_refused() -> None:
    with pytest.raises(PermanentError, match="does not imitate"):
        SandboxConnector(replace(config("x"), network="myspace"), clock=Clock())


# -- bulk history for the importer ------------------------------------------------------------


def test_import_lines_are_deterministic_and_accepted_by_the_importer() -> None:
    lines = list(generate_import_lines(3000, seed=5, end=NOW))
    assert lines == list(generate_import_lines(3000, seed=5, end=NOW))
    assert lines != list(generate_import_lines(3000, seed=6, end=NOW))
    for line in lines:
        network, channel, item = parse_line(json.dumps(line, ensure_ascii=False))
        assert channel == DEMO[network].handle
        assert item.created_at <= NOW
    times = [line["created_at"] for line in lines]
    assert times == sorted(times)
    assert len({line["external_id"] for line in lines}) == len(lines)
    assert {line["network"] for line in lines} == set(DEMO)


def test_import_lines_cover_personas_languages_and_threads() -> None:
    lines = list(generate_import_lines(10_000, end=NOW, include_truth=True))
    assert {line["sandbox"]["persona"] for line in lines} == {p.value for p in Persona}
    langs = Counter(line["lang"] for line in lines)
    assert set(langs) == {"en", "fr", "es", "de"}
    assert 0.45 <= langs["en"] / len(lines) <= 0.65
    threads = Counter(line["thread_id"] for line in lines)
    assert sum(1 for n in threads.values() if n > 1) > 250


def test_import_lines_respect_the_span_and_custom_channels() -> None:
    channels = [DemoChannel("email", "band@example.org", "The Band", 5, 1)]
    lines = list(generate_import_lines(500, channels=channels, end=NOW, days=30))
    assert {line["channel"] for line in lines} == {"band@example.org"}
    first = datetime.fromisoformat(lines[0]["created_at"])
    assert NOW - timedelta(days=30) <= first and lines[-1]["created_at"] <= NOW.isoformat()
    with pytest.raises(ValueError, match="non-negative"):
        list(generate_import_lines(-1))


def test_import_lines_are_fast_enough_for_the_benchmark() -> None:
    started = time.perf_counter()
    count = sum(1 for _ in generate_import_lines(20_000, end=NOW))
    elapsed = time.perf_counter() - started
    assert count == 20_000
    # ~1s here; 100,000 lines for the benchmark in a few seconds.
    assert elapsed < 4.0, f"{elapsed:.1f}s for 20,000 lines"
