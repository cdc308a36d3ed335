"""Facebook Pages through the Graph API: comments on the Page's posts and fans'
posts on the Page.

Webhooks (the Page ``feed`` field) deliver new, edited, hidden and removed
comments within seconds; polling with
:class:`~inbox.connectors.graph_sweep.CommentSweep` over ``/{page-id}/feed``
and ``/{post-id}/comments`` is the safety net. A conversation is a top-level
comment with its replies (``thread_id`` = the top-level comment id), or a
fan's post on the Page with the comments under it (``thread_id`` = the post id).

Comments are read newest first (``order=reverse_chronological``) so a poll
stops paging once it reaches comments older than its watermark, instead of
reading every comment of a busy post each time.

Credentials (``ChannelConfig.credentials``):

- ``page_access_token`` (required; ``access_token`` is accepted too): a Page
  access token obtained from a long-lived User token, which does not expire.
- ``app_secret`` (optional): the Meta app secret, for ``appsecret_proof``.

``ChannelConfig.external_id`` is the Page id. Options: see
:meth:`SweepSettings.from_options`, plus ``timeout_s``.

Comments the Page hid are returned with ``deleted=True`` (text kept); comments
removed upstream arrive as ``deleted=True`` items through the webhook.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import requests

from inbox.connectors import register
from inbox.connectors.base import (
    Author,
    ChannelConfig,
    FetchResult,
    IncomingItem,
    PermanentError,
    ReplyTarget,
    SentReply,
    ThreadContext,
)
from inbox.connectors.graph import (
    WebhookBatch,
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

MAX_COMMENT_CHARS = 8000
PAGE_SIZE = 50
POST_FIELDS = (
    "id,message,permalink_url,created_time,from{id,name},"
    "comments.filter(stream).limit(0).summary(true)"
)
COMMENT_FIELDS = (
    "id,message,created_time,from{id,name},parent{id,parent{id}},permalink_url,is_hidden"
)
POST_ITEMS = frozenset({"post", "status", "photo", "video", "share"})


@register("facebook")
class FacebookConnector:
    network: ClassVar[str] = "facebook"

    def __init__(
        self,
        config: ChannelConfig,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not config.external_id:
            raise PermanentError("Facebook channel has no Page id (external_id)")
        self.config = config
        self.page_id = config.external_id
        creds = config.credentials
        channel = GraphChannel.open(
            config,
            str(creds.get("page_access_token") or creds.get("access_token") or ""),
            network="Facebook",
            session=session,
            default_page_size=PAGE_SIZE,
        )
        self.client, self.page_size = channel.client, channel.page_size
        self._sweep = CommentSweep(_PostSource(self), channel.sweep, clock)

    @property
    def state(self) -> Mapping[str, Any]:
        return {}

    def fetch_since(self, cursor: Mapping[str, Any] | None, limit: int = 100) -> FetchResult:
        """Fans' posts and comments on recent Page posts; see :mod:`graph_sweep`
        for the cursor and the first-sync window (``backfill_days`` of comments,
        7 by default, on every post of the last 60 days or of the window if
        longer; later polls watch up to ``max_posts``, 50)."""
        return self._sweep.fetch(cursor, limit)

    def send_reply(self, target: ReplyTarget, text: str, idempotency_key: str) -> SentReply:
        """Comment under the thread root (``POST /{object-id}/comments``).

        Graph has no idempotency key; a comment of the Page's with the same text
        already under the thread is taken as an earlier attempt whose response
        was lost, and returned instead of posting again.
        """
        body_text = reply_text(text, MAX_COMMENT_CHARS)
        object_id = target.thread_id or target.parent_external_id
        existing = self._existing_reply(object_id, body_text)
        if existing is not None:
            log.info("reply %s already posted under %s", existing.external_id, object_id)
            return existing
        response = self.client.post(f"{object_id}/comments", {"message": body_text})
        return sent_reply(self.client, response, "Facebook")

    def find_sent_reply(
        self, target: ReplyTarget, text: str, idempotency_key: str
    ) -> SentReply | None:
        """The Page's comment with this text under the thread, for the outbox's
        check before a resend (:class:`inbox.connectors.base.ReconcilesReplies`)."""
        object_id = target.thread_id or target.parent_external_id
        return self._existing_reply(object_id, reply_text(text, MAX_COMMENT_CHARS))

    def _existing_reply(self, object_id: str, text: str) -> SentReply | None:
        params = {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "reverse_chronological",
            "limit": str(self.page_size),
        }
        page = self.client.page(f"{object_id}/comments", params)
        for comment in page.data:
            if not isinstance(comment, Mapping):
                continue
            frm = comment.get("from")
            if (
                isinstance(frm, Mapping)
                and str(frm.get("id")) == self.page_id
                and isinstance(comment.get("message"), str)
                and comment["message"].strip() == text
            ):
                try:
                    created = parse_time(comment.get("created_time"))
                except ValueError:
                    created = datetime.now(UTC)
                return SentReply(
                    external_id=str(comment["id"]),
                    created_at=created,
                    url=comment.get("permalink_url") or None,
                    raw=comment,
                )
        return None

    def fetch_profile(self, author_external_id: str) -> Author:
        if author_external_id.startswith("unknown:"):
            raise PermanentError("this author is unknown to Facebook's API")
        body = self.client.get(author_external_id, {"fields": "id,name,picture{url}"})
        picture = body.get("picture")
        avatar = None
        if isinstance(picture, Mapping) and isinstance(picture.get("data"), Mapping):
            avatar = picture["data"].get("url") or None
        return Author(
            external_id=str(body.get("id") or author_external_id),
            handle="",
            name=str(body.get("name") or ""),
            avatar_url=avatar,
            profile=body,
        )


class _PostSource:
    """The sweep's view of a Page: feed posts are the containers."""

    def __init__(self, connector: FacebookConnector) -> None:
        self.c = connector

    def server_time(self) -> datetime | None:
        return self.c.client.server_time

    def list_page(self, newer_than: datetime, params: Mapping[str, str] | None) -> Listing:
        """One page of the Page's feed (newest first): its posts of the window as
        containers, fans' posts among them also as items."""
        base = {"fields": POST_FIELDS, "limit": str(self.c.page_size)}
        page = self.c.client.page(f"{self.c.page_id}/feed", {**base, **(params or {})})
        listing = Listing(next_params=page.next_params)
        for post in iter_dicts(page.data, "post", listing.malformed):
            try:
                container = post_container(post)
                visitor = _visitor_post(post, self.c.page_id)
            except ValueError as exc:
                listing.malformed.append((f"malformed Facebook post: {exc}", _own_json(post)))
                continue
            # A pinned older post can head the feed: only the page's last post says
            # whether older ones follow.
            listing.reached_end = container.created_at < newer_than
            if listing.reached_end:
                continue
            listing.containers.append(container)
            if visitor is not None:
                listing.items.append(visitor)
        return listing

    def comment_page(
        self, container: Container, since: datetime, params: Mapping[str, str] | None
    ) -> CommentPage:
        base = {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "reverse_chronological",
            "limit": str(self.c.page_size),
        }
        page = self.c.client.page(f"{container.id}/comments", {**base, **(params or {})})
        items: list[IncomingItem] = []
        malformed: list[Malformed] = []
        reached_older = False
        for comment in iter_dicts(page.data, "comment", malformed):
            try:
                item = comment_item(comment, container.context)
            except ValueError as exc:
                malformed.append((f"malformed Facebook comment: {exc}", comment))
                continue
            items.append(item)
            reached_older = reached_older or item.created_at < since
        return CommentPage(
            items=items, malformed=malformed, next_params=page.next_params, exhausted=reached_older
        )


# -- normalisation (pure) --------------------------------------------------------


def post_container(post: Mapping[str, Any]) -> Container:
    comments = post.get("comments")
    count = 0
    if isinstance(comments, Mapping) and isinstance(comments.get("summary"), Mapping):
        total = comments["summary"].get("total_count", 0)
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise ValueError(f"invalid comments total_count {total!r}")
        count = total
    return Container(
        id=require_str(post, "id"),
        created_at=parse_time(post.get("created_time")),
        comment_count=count,
        context=post_context(post),
    )


def post_context(post: Mapping[str, Any]) -> ThreadContext:
    message = post.get("message")
    title = _one_line(message) if isinstance(message, str) and message.strip() else ""
    permalink = post.get("permalink_url")
    return ThreadContext(
        title=title or "Facebook post",
        url=permalink if isinstance(permalink, str) and permalink else None,
    )


def _visitor_post(post: Mapping[str, Any], page_id: str) -> IncomingItem | None:
    """A fan's own post on the Page is a message that starts a thread; the
    Page's own posts are only the context comments hang off."""
    frm = post.get("from")
    if not isinstance(frm, Mapping) or str(frm.get("id")) == page_id or not frm.get("id"):
        return None
    post_id = require_str(post, "id")
    message = post.get("message", "")
    if not isinstance(message, str):
        raise ValueError("'message' is not a string")
    permalink = post.get("permalink_url") if isinstance(post.get("permalink_url"), str) else None
    return IncomingItem(
        external_id=post_id,
        text=message,
        created_at=parse_time(post.get("created_time")),
        author=_author(frm, post_id),
        kind="mention",
        thread_id=post_id,
        url=permalink,
        context=ThreadContext(title="Post on your Page", url=permalink),
        raw=_own_json(post),
    )


def comment_item(comment: Mapping[str, Any], context: ThreadContext | None) -> IncomingItem:
    comment_id = require_str(comment, "id")
    message = comment.get("message", "")
    if not isinstance(message, str):
        raise ValueError("'message' is not a string")
    parent_id, root_id = _parent_and_root(comment.get("parent"))
    url = comment.get("permalink_url")
    return IncomingItem(
        external_id=comment_id,
        text=message,
        created_at=parse_time(comment.get("created_time")),
        author=_author(comment.get("from"), comment_id),
        kind="reply" if parent_id else "comment",
        thread_id=root_id or comment_id,
        parent_id=parent_id,
        url=url if isinstance(url, str) and url else (context.url if context else None),
        context=context,
        raw=dict(comment),
        deleted=comment.get("is_hidden") is True,
    )


def _parent_and_root(parent: Any) -> tuple[str | None, str | None]:
    """The direct parent and the top-level comment, from ``parent{id,parent{id}}``."""
    if parent is None:
        return None, None
    if not isinstance(parent, Mapping) or not parent.get("id"):
        raise ValueError("'parent' has no id")
    direct = str(parent["id"])
    root = direct
    node: Any = parent.get("parent")
    while isinstance(node, Mapping) and node.get("id"):
        root = str(node["id"])
        node = node.get("parent")
    return direct, root


def _author(frm: Any, item_id: str) -> Author:
    if not isinstance(frm, Mapping) or not frm.get("id"):
        return unknown_author(item_id)
    name = frm.get("name") or ""
    if not isinstance(name, str):
        raise ValueError("'from.name' is not a string")
    return Author(external_id=str(frm["id"]), handle="", name=name)


def parse_webhook(payload: Any, account_id: str | None = None) -> WebhookBatch:
    """A Meta ``page`` webhook delivery (``feed`` field) as items and rejects.

    ``verb``: ``add`` is a new item, ``edited`` sets ``edited_at``, ``remove``
    and ``hide`` give ``deleted=True``; reactions and likes are not messages and
    are left out. Raises ValueError only when the envelope is unusable.
    """
    batch = WebhookBatch()
    for entry, change in webhook_changes(payload, "page", batch, account_id):
        value = change["value"]
        if change.get("field") != "feed":
            log.debug("ignoring Page webhook field %r", change.get("field"))
            continue
        try:
            item = _feed_change_item(entry, value)
        except ValueError as exc:
            batch.malformed.append((f"malformed Page feed webhook: {exc}", value))
            continue
        if item is not None:
            batch.items.append(item)
    return batch


def _feed_change_item(entry: Mapping[str, Any], value: Mapping[str, Any]) -> IncomingItem | None:
    kind_of_item = value.get("item")
    verb = value.get("verb")
    if verb not in ("add", "edited", "edit", "remove", "hide", "unhide"):
        return None
    page_id = str(entry.get("id") or "")
    when = parse_time(value.get("created_time") or entry.get("time"))
    sent_at = parse_time(entry["time"]) if entry.get("time") else when
    message = value.get("message", "")
    if not isinstance(message, str):
        raise ValueError("'message' is not a string")
    post = value.get("post") if isinstance(value.get("post"), Mapping) else {}
    assert isinstance(post, Mapping)
    permalink = post.get("permalink_url") if isinstance(post.get("permalink_url"), str) else None
    context = ThreadContext(title="Facebook post", url=permalink) if permalink else None
    common: dict[str, Any] = {
        "text": message,
        "created_at": when,
        "edited_at": sent_at if verb in ("edited", "edit") else None,
        "deleted": verb in ("remove", "hide"),
        "raw": dict(value),
    }
    if kind_of_item == "comment":
        comment_id = require_str(value, "comment_id")
        post_id = require_str(value, "post_id")
        parent = str(value.get("parent_id") or post_id)
        is_reply = parent != post_id
        return IncomingItem(
            external_id=comment_id,
            author=_author(value.get("from"), comment_id),
            kind="reply" if is_reply else "comment",
            thread_id=parent if is_reply else comment_id,
            parent_id=parent if is_reply else None,
            url=permalink,
            context=context,
            **common,
        )
    if kind_of_item in POST_ITEMS:
        frm = value.get("from")
        if isinstance(frm, Mapping) and str(frm.get("id")) == page_id:
            return None  # the Page's own post: context, not a message
        post_id = require_str(value, "post_id")
        return IncomingItem(
            external_id=post_id,
            author=_author(frm, post_id),
            kind="mention",
            thread_id=post_id,
            url=permalink,
            context=ThreadContext(title="Post on your Page", url=permalink),
            **common,
        )
    return None


def items_from_webhook(payload: Any, account_id: str | None = None) -> list[IncomingItem]:
    """The items in a Page webhook delivery (rejects are logged)."""
    batch = parse_webhook(payload, account_id)
    for reason, raw in batch.malformed:
        log.warning("facebook webhook: %s: %.500r", reason, raw)
    return batch.items


def _own_json(post: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in post.items() if k != "comments"}


def _one_line(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
