"""Posting: the artist's own posts, written once for one or more channels, scheduled.

Kept away from replies on purpose (its own page, its own table): a post speaks to
everyone, a reply to one fan. Each channel gets its copy checked by the network's
own length rule (:mod:`inbox.limits`, the function the composer uses), and the
same text going to several networks earns a nudge to adapt it. Until the clock
takes it (:mod:`inbox.posting`), a post may be edited or cancelled.

A post may carry up to 4 images, each with its alt text (required: people who
cannot see the image read it). An upload is untrusted: its real type and size are
read from its bytes (:mod:`inbox.images`), each chosen network's own limits are
checked before the post is accepted, and a refused post writes nothing.
Cancelling a post deletes its images.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session, undefer

from crm.services.messages import N_, UserError
from inbox import connectors, images
from inbox.limits import check_length
from models import (
    AuditEvent,
    Channel,
    Conversation,
    Post,
    PostMedia,
    PostStatus,
    PostTarget,
    utcnow,
)

MAX_TEXT = 10_000
NETWORK_NAMES = {"mastodon": "Mastodon", "x": "X", "bluesky": "Bluesky"}


class PostingError(UserError):
    """The post cannot be scheduled as written; the message says why."""


@dataclass(frozen=True)
class Upload:
    """An image as the form sent it: its bytes (read up to one byte past the limit, so
    a larger file is known to be too large) and the alt text typed next to it."""

    data: bytes
    alt: str


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    alt: str
    sniffed: images.Sniffed


def _megabytes(size: int) -> int:
    """A network's limit as it states it: Bluesky's 2,000,000 bytes is 2 MB, X's
    5,242,880 is 5 MB."""
    return size // 1_000_000 if size % 1_000_000 == 0 else size // (1024 * 1024)


def check_images(uploads: Sequence[Upload], chosen: Sequence[Channel] = ()) -> list[CheckedImage]:
    """The uploads as images a post may carry, in order, or :class:`PostingError` naming
    the first problem (image numbers count from 1, as the form shows them)."""
    if len(uploads) > images.MAX_IMAGES:
        raise PostingError(N_("At most %(count)d images on a post."), count=images.MAX_IMAGES)
    out = []
    for n, upload in enumerate(uploads, start=1):
        if len(upload.data) > images.MAX_IMAGE_BYTES:
            raise PostingError(
                N_("Image %(n)d is larger than %(mb)d MB."),
                n=n,
                mb=images.MAX_IMAGE_BYTES // (1024 * 1024),
            )
        try:
            sniffed = images.sniff(upload.data)
        except images.NotAnImage:
            raise PostingError(
                N_("Image %(n)d is not a JPEG, PNG, GIF or WebP picture, whatever its name says."),
                n=n,
            ) from None
        if (
            max(sniffed.width, sniffed.height) > images.MAX_SIDE
            or sniffed.width * sniffed.height > images.MAX_PIXELS
        ):
            raise PostingError(
                N_("Image %(n)d is %(w)d × %(h)d pixels; at most %(side)d a side, please."),
                n=n,
                w=sniffed.width,
                h=sniffed.height,
                side=images.MAX_SIDE,
            )
        alt = upload.alt.strip()
        if not alt:
            raise PostingError(
                N_("Image %(n)d needs its alt text: describe it for people who cannot see it."),
                n=n,
            )
        if len(alt) > images.MAX_ALT:
            raise PostingError(
                N_("The alt text of image %(n)d is longer than %(max)d characters."),
                n=n,
                max=images.MAX_ALT,
            )
        out.append(CheckedImage(upload.data, alt, sniffed))
    for ch in chosen:
        limit = images.network_media(ch.network)
        for n, image in enumerate(out, start=1):
            if len(image.data) > limit.max_bytes:
                raise PostingError(
                    N_("%(network)s takes images of at most %(mb)d MB; image %(n)d is larger."),
                    network=NETWORK_NAMES.get(ch.network, ch.network),
                    mb=_megabytes(limit.max_bytes),
                    n=n,
                )
        if len(out) > limit.count:
            raise PostingError(
                N_("%(network)s takes at most %(count)d images on a post."),
                network=NETWORK_NAMES.get(ch.network, ch.network),
                count=limit.count,
            )
    return out


@dataclass(frozen=True)
class ChannelCheck:
    channel: Channel
    used: int
    limit: int
    unit: str
    adapted: bool = False  # this channel has its own words (else the post's text)

    @property
    def fits(self) -> bool:
        return self.used <= self.limit


@dataclass(frozen=True)
class Preview:
    checks: list[ChannelCheck]
    same_text_networks: int  # networks getting these exact words (2+ earns the nudge)

    @property
    def fits(self) -> bool:
        return all(c.fits for c in self.checks)


def channels(session: Session, workspace_id: int) -> list[Channel]:
    """The workspace's channels whose connector can publish a post (never one that would
    only fail when its time came)."""
    found = session.scalars(
        select(Channel).where(Channel.workspace_id == workspace_id).order_by(Channel.network)
    )
    return [c for c in found if connectors.publishes(c.connector)]


def networks(session: Session, workspace_id: int) -> dict[int, str]:
    """Every channel's network by id (a post's copies name theirs)."""
    return dict(
        session.execute(
            select(Channel.id, Channel.network).where(Channel.workspace_id == workspace_id)
        ).all()
    )


def _chosen(session: Session, workspace_id: int, channel_ids: Sequence[int]) -> list[Channel]:
    chosen = [c for c in channels(session, workspace_id) if c.id in set(channel_ids)]
    if not chosen or len(chosen) != len(set(channel_ids)):
        raise PostingError(N_("Choose at least one of this workspace's channels."))
    return chosen


def copy_for(text: str, adapted: Mapping[int, str], channel_id: int) -> str:
    """The words one channel gets: its own adapted text, else the post's."""
    own = adapted.get(channel_id, "").strip()
    return own or text.strip()


def preview(
    session: Session,
    workspace_id: int,
    text: str,
    channel_ids: Sequence[int],
    adapted: Mapping[int, str] | None = None,
) -> Preview:
    """Each channel's count for the words it will get, and how many networks get the same
    words (the nudge: the largest group of networks given identical text)."""
    adapted = adapted or {}
    chosen = _chosen(session, workspace_id, channel_ids)
    checks = []
    networks_by_text: dict[str, set[str]] = {}
    for ch in chosen:
        words = copy_for(text, adapted, ch.id)
        used, limit = check_length(ch.network, words)
        checks.append(
            ChannelCheck(
                ch, used, limit.max, limit.unit, adapted=bool(adapted.get(ch.id, "").strip())
            )
        )
        networks_by_text.setdefault(words, set()).add(ch.network)
    return Preview(checks, max(len(n) for n in networks_by_text.values()))


def schedule(
    session: Session,
    workspace_id: int,
    author_id: int,
    text: str,
    channel_ids: Sequence[int],
    at: datetime | None,
    adapted: Mapping[int, str] | None = None,
    uploads: Sequence[Upload] = (),
) -> Post:
    """A post for ``channel_ids`` at ``at`` (None or past: now); ``adapted`` gives some
    channels their own words (a mention or a link as that network writes it);
    ``uploads`` its images, every one checked before anything is written."""
    text = text.strip()
    adapted = adapted or {}
    if not text or len(text) > MAX_TEXT or any(len(v) > MAX_TEXT for v in adapted.values()):
        raise PostingError(N_("A post needs some text."))
    checked = preview(session, workspace_id, text, channel_ids, adapted)
    if not checked.fits:
        raise PostingError(N_("Too long for one of the networks: shorten it first."))
    pictures = check_images(uploads, [c.channel for c in checked.checks])
    now = utcnow()
    post = Post(
        workspace_id=workspace_id,
        author_id=author_id,
        text=text,
        status=PostStatus.SCHEDULED,
        scheduled_at=max(at, now) if at is not None else now,
    )
    for c in checked.checks:
        post.targets.append(
            PostTarget(
                channel_id=c.channel.id,
                text=copy_for(text, adapted, c.channel.id),
                idempotency_key=secrets.token_hex(16),
                status=PostStatus.SCHEDULED,
            )
        )
    for position, picture in enumerate(pictures):
        post.media.append(
            PostMedia(
                position=position,
                sha256=picture.sniffed.sha256,
                content_type=picture.sniffed.content_type,
                size=len(picture.data),
                width=picture.sniffed.width,
                height=picture.sniffed.height,
                alt=picture.alt,
                data=picture.data,
            )
        )
    session.add(post)
    session.flush()
    _audit(session, post, author_id, "post.scheduled")
    return post


def image(session: Session, workspace_id: int, post_id: int, media_id: int) -> PostMedia | None:
    """One of a post's images, with its bytes, only if the post is this workspace's."""
    found = session.scalars(
        select(PostMedia)
        .join(Post, Post.id == PostMedia.post_id)
        .where(
            PostMedia.id == media_id,
            PostMedia.post_id == post_id,
            Post.workspace_id == workspace_id,
        )
        .options(undefer(PostMedia.data))
    ).first()
    return found


def get(session: Session, workspace_id: int, post_id: int) -> Post | None:
    post = session.get(Post, post_id)
    return post if post is not None and post.workspace_id == workspace_id else None


def edit(
    session: Session,
    post: Post,
    actor_id: int,
    text: str,
    at: datetime | None,
    adapted: Mapping[int, str] | None = None,
) -> None:
    """Change the words (the post's, and each channel's own) or the time of a post that
    has not left yet."""
    text = text.strip()
    adapted = adapted or {}
    if not text or len(text) > MAX_TEXT or any(len(v) > MAX_TEXT for v in adapted.values()):
        raise PostingError(N_("A post needs some text."))
    if post.status != PostStatus.SCHEDULED:
        raise PostingError(N_("This post has already left or was cancelled."))
    ids = [t.channel_id for t in post.targets]
    if not preview(session, post.workspace_id, text, ids, adapted).fits:
        raise PostingError(N_("Too long for one of the networks: shorten it first."))
    now = utcnow()
    result = session.execute(
        update(Post)
        .where(Post.id == post.id, Post.status == PostStatus.SCHEDULED)
        .values(text=text, scheduled_at=max(at, now) if at is not None else now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise PostingError(N_("This post has already left or was cancelled."))
    for t in post.targets:
        session.execute(
            update(PostTarget)
            .where(PostTarget.id == t.id)
            .values(text=copy_for(text, adapted, t.channel_id))
            .execution_options(synchronize_session=False)
        )
        session.expire(t)
    session.expire(post)
    _audit(session, post, actor_id, "post.edited")


def cancel(session: Session, post: Post, actor_id: int) -> bool:
    """Cancel a post before the clock takes it; False once it has (one conditional UPDATE)."""
    result = session.execute(
        update(Post)
        .where(Post.id == post.id, Post.status == PostStatus.SCHEDULED)
        .values(status=PostStatus.CANCELLED, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    session.execute(
        update(PostTarget)
        .where(PostTarget.post_id == post.id)
        .values(status=PostStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    # A cancelled post never leaves: its images go now, not with some later clean-up.
    session.execute(
        delete(PostMedia)
        .where(PostMedia.post_id == post.id)
        .execution_options(synchronize_session=False)
    )
    session.expire(post)
    _audit(session, post, actor_id, "post.cancelled")
    return True


def recent(session: Session, workspace_id: int, limit: int = 50) -> list[Post]:
    return list(
        session.scalars(
            select(Post)
            .where(Post.workspace_id == workspace_id)
            .order_by(Post.scheduled_at.desc(), Post.id.desc())
            .limit(limit)
        )
    )


def conversations_started(session: Session, posts: Sequence[Post]) -> dict[int, list[int]]:
    """The conversations each sent copy started, by post target id (newest first).

    A fan's reply under the artist's post is threaded by every connector under its
    root, the post itself (Bluesky's ``reply.root``, X's ``conversation_id``,
    Mastodon's first status of the chain), so the conversations a post started are
    those of its channel whose thread id is the post's id: one lookup on the
    (channel, thread) unique index per copy.
    """
    sent = {
        (t.channel_id, t.external_id): t.id
        for p in posts
        for t in p.targets
        if t.external_id and t.status == PostStatus.SENT
    }
    if not sent:
        return {}
    rows = session.execute(
        select(Conversation.id, Conversation.channel_id, Conversation.external_thread_id)
        .where(
            or_(
                *(
                    and_(Conversation.channel_id == ch, Conversation.external_thread_id == ext)
                    for ch, ext in sent
                )
            )
        )
        .order_by(Conversation.id.desc())
    )
    out: dict[int, list[int]] = {}
    for conv_id, channel_id, thread in rows:
        out.setdefault(sent[(channel_id, thread)], []).append(conv_id)
    return out


def _audit(session: Session, post: Post, user_id: int, action: str) -> None:
    session.add(
        AuditEvent(
            workspace_id=post.workspace_id,
            user_id=user_id,
            action=action,
            data={"post_id": post.id},
        )
    )
