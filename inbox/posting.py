"""Sending a scheduled post to each of its channels (the job behind the Posting page).

The clock (:mod:`inbox.scheduler`) queues :func:`publish_post` for posts whose
time has come. A post is claimed (scheduled -> sending) with one conditional
UPDATE, so two workers never both send it; each channel's copy then goes out
with its own idempotency key and is recorded at once, so a crash between two
networks resends neither (the networks here take a key: Mastodon's
Idempotency-Key, Bluesky's record key chosen from it and the post's time;
X refuses a duplicate and the first tweet is found). A channel whose
connector cannot post is failed with a reason; the post ends sent, partly sent or failed.

A post's images (``post_media``) are read once and handed to every channel's
``publish``: each network uploads them with its own media call before the post,
so a retry may upload them again (harmless: unattached uploads expire) while the
post itself stays once per key.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import undefer

from inbox.connectors.base import ConnectorError, MediaFile, Publishes, TransientError
from inbox.runtime import Runtime
from models import AuditEvent, Channel, Post, PostMedia, PostStatus, PostTarget, utcnow

log = logging.getLogger(__name__)
SENDING_STALE_AFTER = timedelta(minutes=2)


def due_posts(rt: Runtime, now: datetime) -> list[int]:
    """Posts whose time has come, and posts a dead worker left sending."""
    with rt.session() as s:
        return list(
            s.scalars(
                select(Post.id).where(
                    ((Post.status == PostStatus.SCHEDULED) & (Post.scheduled_at <= now))
                    | (
                        (Post.status == PostStatus.SENDING)
                        & (Post.updated_at < now - SENDING_STALE_AFTER)
                    )
                )
            )
        )


def _claim(rt: Runtime, post_id: int) -> bool:
    now = utcnow()
    with rt.session() as s:
        result = s.execute(
            update(Post)
            .where(
                Post.id == post_id,
                ((Post.status == PostStatus.SCHEDULED) & (Post.scheduled_at <= now))
                | (
                    (Post.status == PostStatus.SENDING)
                    & (Post.updated_at < now - SENDING_STALE_AFTER)
                ),
            )
            .values(status=PostStatus.SENDING, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def publish_post(rt: Runtime, post_id: int) -> PostStatus | None:
    """Send a due post to each channel not yet done; None if it was not due or taken."""
    from inbox.sync import build_connector, store_state

    if not _claim(rt, post_id):
        return None
    with rt.session() as s:
        scheduled_at = s.get_one(Post, post_id).scheduled_at
        media = tuple(
            MediaFile(
                data=m.data,
                content_type=m.content_type,
                alt=m.alt,
                width=m.width,
                height=m.height,
                sha256=m.sha256,
            )
            for m in s.scalars(
                select(PostMedia)
                .where(PostMedia.post_id == post_id)
                .order_by(PostMedia.position)
                .options(undefer(PostMedia.data))
            )
        )
        pending = [
            (t.id, t.channel_id, t.text, t.idempotency_key)
            for t in s.scalars(
                select(PostTarget).where(
                    PostTarget.post_id == post_id,
                    PostTarget.status.in_([PostStatus.SCHEDULED, PostStatus.SENDING]),
                )
            )
        ]
    for target_id, channel_id, text, key in pending:
        with rt.session() as s:
            channel = s.get_one(Channel, channel_id)
            connector = build_connector(rt, channel)
            t = s.get_one(PostTarget, target_id)
            t.status, t.attempts = PostStatus.SENDING, t.attempts + 1
        try:
            if not isinstance(connector, Publishes):
                raise ConnectorError(f"posting to {channel.network} is not supported yet")
            sent = connector.publish(text, key, scheduled_at, media)
        except TransientError as exc:
            log.info("post %s on channel %s: %s; the clock tries again", post_id, channel_id, exc)
            with rt.session() as s:
                s.get_one(PostTarget, target_id).error = str(exc)[:2000]
            raise  # the queue retries; a stale "sending" post is queued again by the clock
        except ConnectorError as exc:
            with rt.session() as s:
                t = s.get_one(PostTarget, target_id)
                t.status, t.error = PostStatus.FAILED, f"{type(exc).__name__}: {exc}"[:2000]
            continue
        finally:
            with rt.session() as s:
                store_state(rt, s.get_one(Channel, channel_id), connector)
        with rt.session() as s:
            t = s.get_one(PostTarget, target_id)
            t.status, t.error = PostStatus.SENT, None
            t.external_id, t.url, t.sent_at = sent.external_id, sent.url, sent.created_at
    with rt.session() as s:
        post = s.get_one(Post, post_id)
        states = {t.status for t in post.targets}
        if states == {PostStatus.SENT}:
            post.status = PostStatus.SENT
        elif PostStatus.SENT in states:
            post.status = PostStatus.PARTLY_SENT
        else:
            post.status = PostStatus.FAILED
        post.sent_at = utcnow()
        s.add(
            AuditEvent(
                workspace_id=post.workspace_id,
                user_id=post.author_id,
                action="post.published",
                data={"post_id": post.id, "status": post.status.value},
            )
        )
        return post.status


def publish_post_job(post_id: int) -> str:
    """The queued job (ids only, as every job): :func:`publish_post` in this process's runtime."""
    from inbox.runtime import get_runtime

    status = publish_post(get_runtime(), post_id)
    return status.value if status is not None else "not due"
