"""Images on posts: the Posting form's uploads checked as untrusted (real type from the
bytes, size, dimensions, alt text, count), nothing written on a refusal, served back
only to the workspace's members, deleted with a cancelled post, and sent by the job to
the network once even when a retry follows a lost answer."""

from __future__ import annotations

import io
import json
from collections import deque
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select

from crm.services import accounts
from inbox import images
from inbox import posting as posting_job
from inbox.runtime import Runtime
from models import Channel, Post, PostMedia, PostStatus, PostTarget, Role, Workspace, utcnow
from tests.conftest import PASSWORD, login
from tests.connectors.fake_mastodon import FakeMastodon
from tests.helpers import make_channel
from tests.image_bytes import gif, jpeg, png, webp


@pytest.fixture
def fake(httpserver: HTTPServer) -> Iterator[FakeMastodon]:
    instance = FakeMastodon(httpserver)
    yield instance
    httpserver.clear()


def _mastodon(rt: Runtime, ws: Workspace, fake: FakeMastodon) -> int:
    with rt.session() as s:
        ch = Channel(
            workspace_id=ws.id,
            network="mastodon",
            connector="mastodon",
            handle=f"artist@{fake.domain}",
            external_id=fake.artist["id"],
            base_url=fake.url,
            credentials_encrypted=rt.box.encrypt({"access_token": fake.token}),
            options={"timeout": 1.0},
            sync_enabled=False,
        )
        s.add(ch)
        s.flush()
        return ch.id


def _sandbox(rt: Runtime, ws: Workspace, network: str = "mastodon") -> int:
    return make_channel(
        rt,
        ws.id,
        network=network,
        connector="sandbox",
        handle="lesneons@mastodon.social",
        options={"history_days": 0.01, "live_per_hour": 0.0},
    ).id


def _form(csrf: str, channel: int, *files: tuple[bytes, str, str], **extra: str) -> dict:
    """The Posting form with images: (bytes, the name the person's file had, alt text)."""
    data: dict = {"text": "Poster for Lyon", "channel_id": [str(channel)], "csrf_token": csrf}
    for n, (content, name, alt) in enumerate(files, start=1):
        data[f"image_{n}"] = (io.BytesIO(content), name)
        data[f"alt_{n}"] = alt
    data.update(extra)
    return data


def _nothing_written(rt: Runtime) -> None:
    with rt.session() as s:
        assert s.scalar(select(func.count()).select_from(Post)) == 0
        assert s.scalar(select(func.count()).select_from(PostMedia)) == 0


def test_each_format_is_known_by_its_bytes_with_its_dimensions() -> None:
    assert (images.sniff(png(7, 9)).content_type, images.sniff(png(7, 9)).width) == (
        "image/png",
        7,
    )
    found = images.sniff(jpeg(640, 480))
    assert (found.content_type, found.width, found.height) == ("image/jpeg", 640, 480)
    assert (images.sniff(gif(3, 4)).content_type, images.sniff(gif(3, 4)).height) == (
        "image/gif",
        4,
    )
    found = images.sniff(webp(100, 50))
    assert (found.content_type, found.width, found.height) == ("image/webp", 100, 50)
    for bad in (b"", b"<svg xmlns='http://www.w3.org/2000/svg'/>", png()[:20], b"\xff\xd8\xff\xd9"):
        with pytest.raises(images.NotAnImage):
            images.sniff(bad)


def test_images_with_alt_text_are_kept_with_their_real_type_not_the_name_they_came_with(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    ch = _sandbox(rt, workspace)
    csrf = login(client)
    resp = client.post(
        "/posts",
        data=_form(
            csrf,
            ch,
            (jpeg(1200, 800), "poster.png", "  The poster: Lyon, 12 December  "),
            (webp(10, 10), "x.gif", "A small blue square"),
        ),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303
    with rt.session() as s:
        stored = s.scalars(select(PostMedia).order_by(PostMedia.position)).all()
        assert [(m.content_type, m.width, m.height) for m in stored] == [
            ("image/jpeg", 1200, 800),
            ("image/webp", 10, 10),
        ]
        assert stored[0].alt == "The poster: Lyon, 12 December"
        assert stored[0].sha256 == images.sniff(jpeg(1200, 800)).sha256
        assert stored[0].data == jpeg(1200, 800)


@pytest.mark.parametrize(
    ("files", "says"),
    [
        ([(b"<html><script>alert(1)</script></html>", "cat.jpg", "A cat")], "is not a JPEG, PNG"),
        ([(png(pad=images.MAX_IMAGE_BYTES), "big.png", "Big")], "Image 1 is larger than 5 MB"),
        ([(png(), "a.png", "A"), (gif(), "b.gif", "   ")], "Image 2 needs its alt text"),
        ([(png(), f"{n}.png", f"Image {n}") for n in range(1, 6)], "At most 4 images"),
        ([(png(9000, 10), "wide.png", "A wide strip")], "at most 8192 a side"),
        ([(png(), "a.png", "x" * 1001)], "longer than 1000 characters"),
    ],
    ids=["disguised-type", "too-big", "missing-alt", "five-images", "too-wide", "alt-too-long"],
)
def test_a_refused_upload_says_why_and_writes_nothing(
    client: FlaskClient,
    rt: Runtime,
    workspace: Workspace,
    files: list[tuple[bytes, str, str]],
    says: str,
) -> None:
    ch = _sandbox(rt, workspace)
    csrf = login(client)
    resp = client.post("/posts", data=_form(csrf, ch, *files), content_type="multipart/form-data")
    assert resp.status_code == 422
    assert says in resp.get_data(as_text=True)
    _nothing_written(rt)


def test_bluesky_s_smaller_image_limit_is_checked_when_the_post_is_written(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    ch = _sandbox(rt, workspace, network="bluesky")
    csrf = login(client)
    resp = client.post(
        "/posts",
        data=_form(csrf, ch, (png(pad=2_100_000), "p.png", "A poster")),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert "Bluesky takes images of at most 2 MB; image 1 is larger." in resp.get_data(as_text=True)
    _nothing_written(rt)


def _post_with_image(client: FlaskClient, rt: Runtime, workspace: Workspace) -> tuple[int, int]:
    ch = _sandbox(rt, workspace)
    csrf = login(client)
    at = (utcnow() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    resp = client.post(
        "/posts",
        data=_form(csrf, ch, (png(4, 3), "../../etc/passwd.png", "Four by three"), at=at),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303
    with rt.session() as s:
        media = s.scalars(select(PostMedia)).one()
        return media.post_id, media.id


def test_the_preview_serves_the_image_to_members_only_with_its_real_type_and_no_name(
    client: FlaskClient, app: object, rt: Runtime, workspace: Workspace
) -> None:
    post_id, media_id = _post_with_image(client, rt, workspace)
    url = f"/posts/{post_id}/media/{media_id}"
    page = client.get("/posts").get_data(as_text=True)
    assert f'src="{url}"' in page and 'alt="Four by three"' in page
    resp = client.get(url)
    assert resp.status_code == 200 and resp.data == png(4, 3)
    assert resp.headers["Content-Type"] == "image/png"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"] == "inline"
    assert "passwd" not in str(resp.headers)
    # A member of another workspace: 404, as for an image that does not exist.
    with rt.session() as s:
        other = accounts.create_workspace(s, "Someone else")
        stranger = accounts.create_user(s, "stranger@example.org", "Sam Stranger", PASSWORD)
        accounts.add_member(s, other, stranger, Role.OWNER)
    outsider = app.test_client()  # type: ignore[attr-defined]
    login(outsider, "stranger@example.org")
    assert outsider.get(url).status_code == 404
    assert outsider.get(f"/posts/{post_id}/media/{media_id + 1}").status_code == 404
    # Nobody logged in: the login page, never the image.
    anonymous = app.test_client()  # type: ignore[attr-defined]
    assert anonymous.get(url).status_code == 302


def test_cancelling_a_post_deletes_its_images(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    post_id, media_id = _post_with_image(client, rt, workspace)
    csrf = login(client)
    assert client.post(f"/posts/{post_id}/cancel", data={"csrf_token": csrf}).status_code == 303
    with rt.session() as s:
        assert s.scalar(select(func.count()).select_from(PostMedia)) == 0
    assert client.get(f"/posts/{post_id}/media/{media_id}").status_code == 404


def test_the_demo_network_publishes_the_images_with_their_alt_text(
    client: FlaskClient, rt: Runtime, workspace: Workspace
) -> None:
    ch = _sandbox(rt, workspace)
    csrf = login(client)
    client.post(
        "/posts",
        data=_form(csrf, ch, (png(4, 3), "a.png", "Four by three"), (gif(), "b.gif", "A dot")),
        content_type="multipart/form-data",
    )
    with rt.session() as s:
        post_id = s.scalars(select(Post.id)).one()
    assert posting_job.publish_post(rt, post_id) == PostStatus.SENT
    with rt.session() as s:
        key = s.scalars(select(PostTarget.idempotency_key)).one()
        state = rt.box.decrypt(s.get_one(Channel, ch).state_encrypted)
    # The sandbox keeps what it published in its ledger (the channel's state), as a
    # network keeps the post: its images' type, size and alt text, in order.
    assert '"Four by three"' in json.dumps(state) and key in json.dumps(state)
    assert json.dumps(state).index("Four by three") < json.dumps(state).index("A dot")


def test_a_post_with_images_retried_after_a_lost_answer_is_on_mastodon_once(
    client: FlaskClient,
    rt: Runtime,
    workspace: Workspace,
    fake: FakeMastodon,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The job's status request times out after Mastodon took it; the post stays
    sending; the clock's retry (once the attempt is stale) uploads the images again and
    the Idempotency-Key returns the first status: one status, with both images."""
    ch = _mastodon(rt, workspace, fake)
    csrf = login(client)
    client.post(
        "/posts",
        data=_form(csrf, ch, (png(4, 3), "a.png", "Four by three"), (jpeg(), "b.jpg", "A poster")),
        content_type="multipart/form-data",
    )
    with rt.session() as s:
        post_id = s.scalars(select(Post.id)).one()
    fake.slow_seconds = 1.5
    fake.path_faults["/api/v1/statuses"] = deque(["timeout"])
    with pytest.raises(Exception, match="network error"):
        posting_job.publish_post(rt, post_id)
    with rt.session() as s:
        assert s.get_one(Post, post_id).status == PostStatus.SENDING
    later = utcnow() + posting_job.SENDING_STALE_AFTER + timedelta(seconds=5)
    monkeypatch.setattr(posting_job, "utcnow", lambda: later)
    assert posting_job.publish_post(rt, post_id) == PostStatus.SENT
    mine = [st for st in fake.statuses.values() if "Poster for Lyon" in st["content"]]
    assert len(mine) == 1
    assert [a["description"] for a in mine[0]["media_attachments"]] == [
        "Four by three",
        "A poster",
    ]
    with rt.session() as s:
        target = s.scalars(select(PostTarget)).one()
        assert target.external_id == mine[0]["id"] and target.attempts == 2
