"""A post's images go out with each network's own media call, alt text included, and
the post stays once per key when a retry follows a lost answer (the uploads may be
repeated; the post may not). Mastodon, X and Bluesky through their real client
libraries against the local fakes, which answer in the shape the networks document."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests
from pytest_httpserver import HTTPServer

from inbox.connectors import build
from inbox.connectors.base import ChannelConfig, MediaFile, PermanentError, TransientError
from inbox.images import sniff
from tests.connectors.fake_bluesky import FakeBluesky
from tests.connectors.fake_mastodon import FakeMastodon
from tests.connectors.fake_x import FakeX
from tests.image_bytes import gif, jpeg, png


def media(data: bytes, alt: str) -> MediaFile:
    found = sniff(data)
    return MediaFile(data, found.content_type, alt, found.width, found.height, found.sha256)


PICTURES = (
    media(png(800, 600), "The band on stage in blue light"),
    media(jpeg(1200, 900), "A poster: Lyon, 12 December"),
)


# -- Mastodon ------------------------------------------------------------------------


@pytest.fixture
def mastodon(httpserver: HTTPServer) -> Iterator[FakeMastodon]:
    yield FakeMastodon(httpserver)
    httpserver.clear()


def _mastodon_config(fake: FakeMastodon) -> ChannelConfig:
    return ChannelConfig(
        channel_id=1,
        network="mastodon",
        handle=f"artist@{fake.domain}",
        external_id=fake.artist["id"],
        credentials={"access_token": fake.token},
        base_url=fake.url,
        options={"timeout": 1.0},
    )


def test_mastodon_uploads_each_image_with_its_alt_text_then_posts_the_status_naming_them(
    mastodon: FakeMastodon,
) -> None:
    sent = build("mastodon", _mastodon_config(mastodon)).publish(  # type: ignore[attr-defined]
        "New poster!", "key-m1", None, PICTURES
    )
    status = mastodon.statuses[sent.external_id]
    attached = status["media_attachments"]
    assert [a["description"] for a in attached] == [p.alt for p in PICTURES]
    assert [mastodon.media[a["id"]]["_mimetype"] for a in attached] == ["image/png", "image/jpeg"]
    assert [mastodon.media[a["id"]]["_bytes"] for a in attached] == [len(p.data) for p in PICTURES]
    # The uploaded file is named by its content hash, never by what a person called it.
    assert mastodon.media[attached[0]["id"]]["_filename"] == PICTURES[0].filename
    assert mastodon.hits["/api/v2/media"] == 2


def test_mastodon_waits_for_an_image_still_processing_before_attaching_it(
    mastodon: FakeMastodon, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inbox.connectors import mastodon as module

    monkeypatch.setattr(module, "MEDIA_POLL_SECONDS", 0.0)
    mastodon.media_processing_polls = 2  # 202, then one 206 "still processing", then done
    sent = build(
        "mastodon", _mastodon_config(mastodon)
    ).publish(  # type: ignore[attr-defined]
        "Poster", "key-m2", None, PICTURES[:1]
    )
    [attached] = mastodon.statuses[sent.external_id]["media_attachments"]
    assert attached["url"] and attached["description"] == PICTURES[0].alt


def test_mastodon_post_with_images_retried_after_a_lost_answer_exists_once(
    mastodon: FakeMastodon,
) -> None:
    """The status request times out after the server took it: the retry uploads again
    (orphans Mastodon drops) and the Idempotency-Key returns the first status."""
    connector = build("mastodon", _mastodon_config(mastodon))
    mastodon.slow_seconds = 1.5
    mastodon.path_faults["/api/v1/statuses"] = deque(["timeout"])
    with pytest.raises(Exception, match=r"network error|timed out"):
        connector.publish("Doors at 8", "key-m3", None, PICTURES)  # type: ignore[attr-defined]
    again = connector.publish("Doors at 8", "key-m3", None, PICTURES)  # type: ignore[attr-defined]
    mine = [s for s in mastodon.statuses.values() if "Doors at 8" in s["content"]]
    assert len(mine) == 1 and mine[0]["id"] == again.external_id
    assert len(mine[0]["media_attachments"]) == 2
    assert mastodon.hits["/api/v2/media"] == 4  # uploads repeated, harmlessly


def test_mastodon_refuses_more_images_than_it_takes_before_any_request(
    mastodon: FakeMastodon,
) -> None:
    with pytest.raises(PermanentError, match="at most 4 images"):
        build("mastodon", _mastodon_config(mastodon)).publish(  # type: ignore[attr-defined]
            "Five", "key-m4", None, PICTURES * 2 + PICTURES[:1]
        )
    assert "/api/v2/media" not in mastodon.hits


# -- X -------------------------------------------------------------------------------


@pytest.fixture
def x(httpserver: HTTPServer) -> Iterator[FakeX]:
    yield FakeX(httpserver)
    httpserver.clear()


def _x_config(fake: FakeX) -> ChannelConfig:
    return ChannelConfig(
        channel_id=2,
        network="x",
        handle="artist",
        external_id=fake.me_id,
        credentials={"access_token": "good-token"},
        base_url=fake.base_url,
        options={"timeout": 1.0},
    )


def test_x_uploads_through_v1_media_upload_sets_alt_text_and_tweets_the_media_ids(
    x: FakeX,
) -> None:
    sent = build("x", _x_config(x)).publish(  # type: ignore[attr-defined]
        "Poster for Lyon", "key-x1", None, PICTURES
    )
    tweet = x.tweets[sent.external_id]
    media_ids = [key.removeprefix("3_") for key in tweet["attachments"]["media_keys"]]
    assert [x.uploads[m]["alt_text"] for m in media_ids] == [p.alt for p in PICTURES]
    assert [x.uploads[m]["mimetype"] for m in media_ids] == ["image/png", "image/jpeg"]
    assert x.created[-1]["media"] == {"media_ids": media_ids}
    uploads = [p for m, p, _ in x.seen if p == "/1.1/media/upload.json" and m == "POST"]
    assert len(uploads) == 2


def test_x_post_with_images_retried_after_a_lost_answer_is_tweeted_once(x: FakeX) -> None:
    """The tweet request is cut off after X took it: the retry uploads again, X refuses
    the duplicate and the first tweet is found among the account's own."""
    connector = build("x", _x_config(x))
    real = connector.client.create_tweet  # type: ignore[attr-defined]

    def took_it_then_lost_the_answer(*args: object, **kwargs: object) -> object:
        real(*args, **kwargs)
        raise requests.ReadTimeout("read timed out")

    connector.client.create_tweet = took_it_then_lost_the_answer  # type: ignore[attr-defined]
    with pytest.raises(TransientError, match="timed out"):
        connector.publish("Poster for Lyon", "key-x2", None, PICTURES)  # type: ignore[attr-defined]
    connector.client.create_tweet = real  # type: ignore[attr-defined]
    again = connector.publish("Poster for Lyon", "key-x2", None, PICTURES)  # type: ignore[attr-defined]
    own = [t for t in x.tweets.values() if t["text"] == "Poster for Lyon"]
    assert len(own) == 1 and own[0]["id"] == again.external_id
    assert len(own[0]["attachments"]["media_keys"]) == 2


def test_x_refuses_an_image_over_its_5_mb_before_uploading(x: FakeX) -> None:
    big = media(png(10, 10, pad=5 * 1024 * 1024), "A large poster")
    with pytest.raises(PermanentError, match="at most 5,242,880 bytes"):
        build("x", _x_config(x)).publish("Big", "key-x3", None, [big])  # type: ignore[attr-defined]
    assert not x.uploads


# -- Bluesky -------------------------------------------------------------------------


@pytest.fixture
def bluesky(httpserver: HTTPServer) -> Iterator[FakeBluesky]:
    yield FakeBluesky(httpserver)
    httpserver.clear()


def _bluesky(fake: FakeBluesky, state: dict[str, object] | None = None) -> ChannelConfig:
    return ChannelConfig(
        channel_id=3,
        network="bluesky",
        handle=fake.handle,
        external_id=fake.did,
        credentials={"handle": fake.handle, "app_password": fake.password},
        base_url=fake.base_url,
        state=state or {},
        options={"timeout": 1.0},
    )


def test_bluesky_uploads_blobs_and_embeds_them_with_alt_text_and_aspect_ratio(
    bluesky: FakeBluesky,
) -> None:
    at = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    sent = build("bluesky", _bluesky(bluesky)).publish(  # type: ignore[attr-defined]
        "Poster for Lyon", "key-b1", at, [*PICTURES, media(gif(4, 3), "A dancing cat")]
    )
    embed = bluesky.posts[sent.external_id]["record"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [i["alt"] for i in embed["images"]] == [*(p.alt for p in PICTURES), "A dancing cat"]
    ratio = embed["images"][0]["aspectRatio"]
    assert (ratio["width"], ratio["height"]) == (800, 600)
    assert [i["image"]["mimeType"] for i in embed["images"]] == [
        "image/png",
        "image/jpeg",
        "image/gif",
    ]
    assert all(i["image"]["ref"]["$link"] in bluesky.blobs for i in embed["images"])


def test_bluesky_post_with_images_retried_after_a_lost_answer_exists_once_and_uploads_nothing(
    bluesky: FakeBluesky,
) -> None:
    at = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    connector = build("bluesky", _bluesky(bluesky))
    first = connector.publish("Doors at 8", "key-b2", at, PICTURES)  # type: ignore[attr-defined]
    uploads = bluesky.calls.count("com.atproto.repo.uploadBlob")
    again = build("bluesky", _bluesky(bluesky, dict(connector.state))).publish(  # type: ignore[attr-defined]
        "Doors at 8", "key-b2", at, PICTURES
    )
    assert again.external_id == first.external_id
    mine = [p for p in bluesky.posts.values() if p["record"]["text"] == "Doors at 8"]
    assert len(mine) == 1
    # The record key found the post first: no blob uploaded for nothing.
    assert bluesky.calls.count("com.atproto.repo.uploadBlob") == uploads == 2


def test_bluesky_refuses_an_image_over_2_mb_before_uploading(bluesky: FakeBluesky) -> None:
    big = media(png(10, 10, pad=2_000_001), "A large poster")
    with pytest.raises(PermanentError, match="at most 2,000,000 bytes"):
        build("bluesky", _bluesky(bluesky)).publish(  # type: ignore[attr-defined]
            "Big", "key-b3", datetime(2026, 12, 1, tzinfo=UTC), [big]
        )
    assert "com.atproto.repo.uploadBlob" not in bluesky.calls
