"""Instagram (professional accounts) through the Instagram Graph API.

Comments on the artist's media arrive by webhook (``comments`` field) and, as
a safety net, by polling with :class:`~inbox.connectors.graph_sweep.CommentSweep`
over ``/{ig-user-id}/media`` and ``/{media-id}/comments``. A conversation is a
top-level comment with its replies (Instagram nests one level only), so
``thread_id`` is the top-level comment's id.

@mentions of the artist on other accounts' posts cannot be listed: Instagram
only names them in the ``mentions`` webhook, as ids. :func:`parse_webhook`
returns those ids and :meth:`InstagramConnector.fetch_mentions` reads them
through the ``mentioned_comment`` / ``mentioned_media`` fields.

Credentials (``ChannelConfig.credentials``):

- ``access_token`` (required): a long-lived User access token (Facebook Login
  for Business) or Instagram User token (Business Login for Instagram; then set
  the channel's base URL to ``https://graph.instagram.com/v21.0``).
- ``app_secret`` (optional): the Meta app secret, to sign calls with
  ``appsecret_proof``.

``ChannelConfig.external_id`` is the Instagram professional account id and
``handle`` its username. Options: see :meth:`SweepSettings.from_options`, plus
``timeout_s``.

Hidden comments (hidden by the artist's moderation) are returned with
``deleted=True``: the fan can no longer be seen publicly, so nobody should be
asked to answer, but the text is kept. Instagram tells apps nothing about
comments deleted by their authors; those simply stop appearing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import requests

from inbox.connectors import register
from inbox.connectors.base import (
    Author,
    ChannelConfig,
    FateUnknown,
    FetchResult,
    IncomingItem,
    PermanentError,
    ReplyTarget,
    SentReply,
    ThreadContext,
    TransientError,
)
from inbox.connectors.graph import (
    WebhookBatch,
    parse_page,
    parse_time,
    reply_text,
    require_str,
    sent_reply,
    unknown_author,
    webhook_changes,
)
from inbox.connectors.graph_sweep import (
    CommentPage,
    CommentSweep,
    Container,
    GraphChannel,
    Listing,
    Malformed,
    iter_dicts,
)

log = logging.getLogger(__name__)

MAX_COMMENT_CHARS = 2200  # Instagram's limit for a comment
PAGE_SIZE = 50
MEDIA_FIELDS = "id,caption,permalink,timestamp,comments_count,media_product_type"
COMMENT_FIELDS = "id,text,timestamp,username,from{id,username},like_count,hidden,parent_id"
# mentioned_comment / mentioned_media expose fewer fields than the nodes (no permalink).
MENTIONED_MEDIA_FIELDS = "id,caption,timestamp,username,media_type,comments_count"
MENTIONED_COMMENT_FIELDS = "id,text,timestamp,like_count,media{id,caption,username}"


@dataclass(frozen=True, slots=True)
class MentionRef:
    """An @mention named by the ``mentions`` webhook: a caption (media only)
    or a comment on someone else's media."""

    media_id: str
    comment_id: str | None = None


@register("instagram")
class InstagramConnector:
    network: ClassVar[str] = "instagram"

    def __init__(
        self,
        config: ChannelConfig,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not config.external_id:
            raise PermanentError("Instagram channel has no account id (external_id)")
        self.config = config
        self.account_id = config.external_id
        channel = GraphChannel.open(
            config,
            str(config.credentials.get("access_token") or ""),
            network="Instagram",
            session=session,
            default_page_size=PAGE_SIZE,
        )
        self.client, self.page_size = channel.client, channel.page_size
        self._sweep = CommentSweep(_MediaSource(self), channel.sweep, clock)

    @property
    def state(self) -> Mapping[str, Any]:
        return {}

    def fetch_since(self, cursor: Mapping[str, Any] | None, limit: int = 100) -> FetchResult:
        """Comments and replies on recent media; see :mod:`graph_sweep` for the
        cursor and the first-sync window (``backfill_days`` of comments, 7 by
        default, on every post of the last 60 days or of the window if longer;
        later polls watch up to ``max_posts``, 50)."""
        return self._sweep.fetch(cursor, limit)

    def fetch_mentions(self, refs: Iterable[MentionRef]) -> FetchResult:
        """Read the mentions a webhook named. One that can no longer be read
        (deleted, comments turned off) is reported as malformed."""
        items: list[IncomingItem] = []
        malformed: list[Malformed] = []
        for ref in refs:
            try:
                items.append(self._read_mention(ref))
            except PermanentError as exc:
                malformed.append((f"unreadable mention: {exc}", _ref_raw(ref)))
            except ValueError as exc:
                malformed.append((f"malformed mention: {exc}", _ref_raw(ref)))
        items.sort(key=lambda i: i.created_at)
        return FetchResult(items=items, cursor=None, malformed=malformed)

    def _read_mention(self, ref: MentionRef) -> IncomingItem:
        if ref.comment_id:
            field = f"mentioned_comment.comment_id({ref.comment_id}){{{MENTIONED_COMMENT_FIELDS}}}"
            body = self.client.get(self.account_id, {"fields": field})
            comment = body.get("mentioned_comment")
            if not isinstance(comment, Mapping):
                raise ValueError("response has no 'mentioned_comment' object")
            return comment_mention_item(comment)
        field = f"mentioned_media.media_id({ref.media_id}){{{MENTIONED_MEDIA_FIELDS}}}"
        body = self.client.get(self.account_id, {"fields": field})
        media = body.get("mentioned_media")
        if not isinstance(media, Mapping):
            raise ValueError("response has no 'mentioned_media' object")
        return media_mention_item(media)

    def send_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> SentReply:
        """Reply under the thread's top-level comment (``/{comment-id}/replies``),
        or, for an @mention on someone else's post, through ``/{ig-user-id}/mentions``.

        Graph has no idempotency key, so before posting to a comment thread the
        connector looks for a reply of the account's with the same text: a retry
        after a lost response then finds the first attempt instead of posting
        twice.
        """
        body_text = reply_text(text, MAX_COMMENT_CHARS)
        if target.kind == "mention":
            data = self._mention_reply_params(target)
            data["message"] = body_text
            response = self.client.post(f"{self.account_id}/mentions", data)
        else:
            body_text = reply_text(self._addressed(text.strip(), target), MAX_COMMENT_CHARS)
            comment_id = target.thread_id or target.parent_external_id
            existing = self._existing_reply(comment_id, body_text)
            if existing is not None:
                log.info("reply %s already posted under %s", existing.external_id, comment_id)
                return existing
            response = self.client.post(f"{comment_id}/replies", {"message": body_text})
        return sent_reply(self.client, response, "Instagram")

    def find_sent_reply(
        self, target: ReplyTarget, text: str, idempotency_key: str
    ) -> SentReply | None:
        """The account's reply with this text under the thread's comment, for the
        outbox's check before a resend. A reply to an @mention on someone else's
        post cannot be listed through the API: its fate is unknown."""
        if target.kind == "mention":
            raise FateUnknown("Instagram does not list replies to @mentions of the account")
        comment_id = target.thread_id or target.parent_external_id
        body_text = reply_text(self._addressed(text.strip(), target), MAX_COMMENT_CHARS)
        return self._existing_reply(comment_id, body_text)

    def _addressed(self, text: str, target: ReplyTarget) -> str:
        """Answering a reply inside a comment thread: name its author first.

        Instagram threads are one level deep, so every answer goes under the
        top-level comment; its own reply box starts with "@username " when one
        answers a reply, which tells that fan (and only that fan) the answer is
        theirs. The top-level comment's author, our own replies and a text that
        already names the fan are left as they are.
        """
        if not target.parent_external_id or target.parent_external_id == target.thread_id:
            return text
        author = target.parent_author
        if author is None:
            try:
                author = comment_author(target.parent_raw)
            except ValueError:
                return text
        handle = author.handle.lstrip("@")
        own = (self.config.handle or "").lstrip("@").lower()
        if not handle or author.external_id == self.account_id or handle.lower() == own:
            return text
        if re.search(rf"@{re.escape(handle)}(?![A-Za-z0-9_.])", text, re.IGNORECASE):
            return text
        return f"@{handle} {text}"

    def _mention_reply_params(self, target: ReplyTarget) -> dict[str, str]:
        raw = target.parent_raw
        media = raw.get("media")
        if isinstance(media, Mapping) and media.get("id"):
            return {"media_id": str(media["id"]), "comment_id": target.parent_external_id}
        return {"media_id": target.parent_external_id}

    def _existing_reply(self, comment_id: str, text: str) -> SentReply | None:
        params = {"fields": COMMENT_FIELDS, "limit": str(self.page_size)}
        for n, page in enumerate(self.client.iter_pages(f"{comment_id}/replies", params)):
            for reply in page.data:
                if isinstance(reply, Mapping) and self._is_own(reply) and _same_text(reply, text):
                    try:
                        created = parse_time(reply.get("timestamp"))
                    except ValueError:
                        created = datetime.now(UTC)
                    return SentReply(external_id=str(reply["id"]), created_at=created, raw=reply)
            if n >= 3:  # a retry follows its first attempt closely; don't read forever
                break
        return None

    def _is_own(self, comment: Mapping[str, Any]) -> bool:
        frm = comment.get("from") if isinstance(comment.get("from"), Mapping) else {}
        assert isinstance(frm, Mapping)
        username = frm.get("username") or comment.get("username") or ""
        return str(frm.get("id")) == self.account_id or (
            bool(self.config.handle) and str(username).lower() == self.config.handle.lower()
        )

    def fetch_profile(self, author_external_id: str) -> Author:
        """An Instagram-scoped user's profile (User Profile API)."""
        if author_external_id.startswith("unknown:"):
            raise PermanentError("this author is unknown to Instagram's API")
        body = self.client.get(author_external_id, {"fields": "id,username,name,profile_pic"})
        username = str(body.get("username") or "")
        return Author(
            external_id=str(body.get("id") or author_external_id),
            handle=username,
            name=str(body.get("name") or ""),
            avatar_url=body.get("profile_pic") or None,
            profile_url=_profile_url(username),
            profile=body,
        )


class _MediaSource:
    """The sweep's view of Instagram: media are the containers."""

    def __init__(self, connector: InstagramConnector) -> None:
        self.c = connector

    def server_time(self) -> datetime | None:
        return self.c.client.server_time

    def list_page(self, newer_than: datetime, params: Mapping[str, str] | None) -> Listing:
        """One page of the account's media (newest first) created in the window."""
        base = {"fields": MEDIA_FIELDS, "limit": str(self.c.page_size)}
        page = self.c.client.page(f"{self.c.account_id}/media", {**base, **(params or {})})
        listing = Listing(next_params=page.next_params)
        for media in iter_dicts(page.data, "media", listing.malformed):
            try:
                container = media_container(media)
            except ValueError as exc:
                listing.malformed.append((f"malformed Instagram media: {exc}", media))
                continue
            listing.reached_end = container.created_at < newer_than
            if not listing.reached_end:
                listing.containers.append(container)
        return listing

    def comment_page(
        self, container: Container, since: datetime, params: Mapping[str, str] | None
    ) -> CommentPage:
        size = self.c.page_size
        fields = f"{COMMENT_FIELDS},replies.limit({size}){{{COMMENT_FIELDS}}}"
        base = {"fields": fields, "limit": str(size)}
        page = self.c.client.page(f"{container.id}/comments", {**base, **(params or {})})
        items: list[IncomingItem] = []
        malformed: list[Malformed] = []
        for comment in iter_dicts(page.data, "comment", malformed):
            try:
                items.append(comment_item(comment, container.context))
            except ValueError as exc:
                malformed.append((f"malformed Instagram comment: {exc}", _own_json(comment)))
                continue
            for reply in self._replies(comment, malformed):
                try:
                    items.append(comment_item(reply, container.context, top_id=str(comment["id"])))
                except ValueError as exc:
                    malformed.append((f"malformed Instagram reply: {exc}", reply))
        return CommentPage(items=items, malformed=malformed, next_params=page.next_params)

    def _replies(
        self, comment: Mapping[str, Any], malformed: list[Malformed]
    ) -> list[Mapping[str, Any]]:
        """The replies nested in a comment, and the pages Graph left out."""
        nested = comment.get("replies")
        if not isinstance(nested, Mapping):
            return []
        try:
            page = parse_page(nested, where=f"{comment['id']}/replies")
        except TransientError as exc:  # a broken nested object is this comment's problem
            malformed.append((f"unreadable replies of {comment['id']}: {exc}", dict(nested)))
            return []
        replies = list(iter_dicts(page.data, "reply", malformed))
        params = {"fields": COMMENT_FIELDS, "limit": str(self.c.page_size)}
        path = f"{comment['id']}/replies"
        next_page = self.c.client.next_page(path, params, page)
        while next_page is not None:
            replies.extend(iter_dicts(next_page.data, "reply", malformed))
            next_page = self.c.client.next_page(path, params, next_page)
        return replies


# -- normalisation (pure) --------------------------------------------------------


def media_container(media: Mapping[str, Any]) -> Container:
    count = media.get("comments_count", 0)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError(f"invalid comments_count {count!r}")
    return Container(
        id=require_str(media, "id"),
        created_at=parse_time(media.get("timestamp")),
        comment_count=count,
        context=media_context(media),
    )


def media_context(media: Mapping[str, Any]) -> ThreadContext:
    caption = media.get("caption")
    title = _one_line(caption) if isinstance(caption, str) and caption.strip() else ""
    permalink = media.get("permalink")
    return ThreadContext(
        title=title or "Instagram post",
        url=permalink if isinstance(permalink, str) and permalink else None,
    )


def comment_item(
    comment: Mapping[str, Any],
    context: ThreadContext | None,
    *,
    top_id: str | None = None,
    created_at: datetime | None = None,
) -> IncomingItem:
    """An IG Comment (from the comments edge or a webhook) as an item.

    ``top_id`` is the top-level comment a reply sits under, when known from the
    nesting; otherwise the comment's ``parent_id`` says it.
    """
    comment_id = require_str(comment, "id")
    text = comment.get("text", "")
    if not isinstance(text, str):
        raise ValueError("'text' is not a string")
    parent = comment.get("parent_id") or top_id
    if parent is not None and not isinstance(parent, str | int):
        raise ValueError("'parent_id' is not an id")
    when = created_at or parse_time(comment.get("timestamp"))
    return IncomingItem(
        external_id=comment_id,
        text=text,
        created_at=when,
        author=comment_author(comment),
        kind="reply" if parent else "comment",
        thread_id=str(parent) if parent else comment_id,
        parent_id=str(parent) if parent else None,
        url=context.url if context else None,
        context=context,
        raw=_own_json(comment),
        deleted=comment.get("hidden") is True,
    )


def comment_author(comment: Mapping[str, Any]) -> Author:
    frm = comment.get("from")
    frm = frm if isinstance(frm, Mapping) else {}
    username = frm.get("username") or comment.get("username") or ""
    user_id = frm.get("id")
    if not isinstance(username, str):
        raise ValueError("'username' is not a string")
    if not user_id and not username:
        return unknown_author(str(comment.get("id")))
    return Author(
        external_id=str(user_id or username),
        handle=username,
        profile_url=_profile_url(username),
    )


def comment_mention_item(comment: Mapping[str, Any]) -> IncomingItem:
    """A comment on someone else's media that @mentions the artist.

    Graph does not say who wrote such a comment, so its author is a placeholder.
    """
    media = comment.get("media") if isinstance(comment.get("media"), Mapping) else None
    context = media_context(media) if media else None
    comment_id = require_str(comment, "id")
    text = comment.get("text", "")
    if not isinstance(text, str):
        raise ValueError("'text' is not a string")
    return IncomingItem(
        external_id=comment_id,
        text=text,
        created_at=parse_time(comment.get("timestamp")),
        author=unknown_author(comment_id),
        kind="mention",
        thread_id=comment_id,
        url=context.url if context else None,
        context=context,
        raw=dict(comment),
    )


def media_mention_item(media: Mapping[str, Any]) -> IncomingItem:
    """A post by another account whose caption @mentions the artist."""
    media_id = require_str(media, "id")
    username = media.get("username") or ""
    caption = media.get("caption", "")
    if not isinstance(caption, str) or not isinstance(username, str):
        raise ValueError("'caption' or 'username' is not a string")
    permalink = media.get("permalink") if isinstance(media.get("permalink"), str) else None
    return IncomingItem(
        external_id=media_id,
        text=caption,
        created_at=parse_time(media.get("timestamp")),
        author=(
            Author(external_id=username, handle=username, profile_url=_profile_url(username))
            if username
            else unknown_author(media_id)
        ),
        kind="mention",
        thread_id=media_id,
        url=permalink,
        context=ThreadContext(title=f"Post by @{username}" if username else "", url=permalink),
        raw=dict(media),
    )


def parse_webhook(payload: Any, account_id: str | None = None) -> WebhookBatch:
    """A Meta ``instagram`` webhook delivery as items, mention ids and rejects.

    Comment notifications carry no timestamp; the entry's ``time`` (when Meta
    sent it) stands in. Raises ValueError only when the envelope is unusable.
    """
    batch = WebhookBatch()
    for entry, change in webhook_changes(payload, "instagram", batch, account_id):
        field = change.get("field")
        value = change["value"]
        try:
            if field in ("comments", "live_comments"):
                # The payload names the media by id only; polling fills in context.
                batch.items.append(
                    comment_item(value, None, created_at=parse_time(entry.get("time")))
                )
            elif field == "mentions":
                media_id = require_str(value, "media_id")
                comment_id = value.get("comment_id")
                batch.mentions.append(
                    MentionRef(
                        media_id=media_id, comment_id=str(comment_id) if comment_id else None
                    )
                )
            else:
                log.debug("ignoring Instagram webhook field %r", field)
        except ValueError as exc:
            batch.malformed.append((f"malformed Instagram {field} webhook: {exc}", value))
    return batch


def items_from_webhook(payload: Any, account_id: str | None = None) -> list[IncomingItem]:
    """The comments in a webhook delivery (mentions need
    :meth:`InstagramConnector.fetch_mentions`; rejects are logged)."""
    batch = parse_webhook(payload, account_id)
    for reason, raw in batch.malformed:
        log.warning("instagram webhook: %s: %.500r", reason, raw)
    return batch.items


def _own_json(comment: Mapping[str, Any]) -> dict[str, Any]:
    """The comment without its nested replies: each reply is its own item."""
    return {k: v for k, v in comment.items() if k != "replies"}


def _same_text(comment: Mapping[str, Any], text: str) -> bool:
    other = comment.get("text")
    return isinstance(other, str) and other.strip() == text


def _profile_url(username: str) -> str | None:
    return f"https://www.instagram.com/{username}/" if username else None


def _one_line(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _ref_raw(ref: MentionRef) -> dict[str, Any]:
    return {"media_id": ref.media_id, "comment_id": ref.comment_id}
