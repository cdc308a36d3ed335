"""Facebook Pages: comments under the page's posts, and replies to them.

Shaped like the Graph API: a post id is ``<page id>_<post number>``, a
comment id ``<post number>_<comment number>``, times carry a "+0000" offset
and ``from`` names the commenter. Facebook users have no public handle, so the
handle is the vanity name of their profile link.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from inbox.connectors.base import ReplyTarget, SentReply, ThreadContext
from inbox.sandbox.catalogue import Post
from inbox.sandbox.drafts import Draft, SandboxChannel
from inbox.sandbox.networks.base import Ids, NetworkStyle, iso_offset
from inbox.sandbox.seeding import digits_token, stable_hash


def post_number(channel: SandboxChannel, post: Post) -> str:
    return "1" + digits_token(15, "fb-post", channel.seed, channel.handle, post.index)


def comment_number(when: datetime, *key: object) -> str:
    return f"{int(when.timestamp()):010d}{stable_hash('fb-comment', *key) % 10**6:06d}"


class FacebookStyle(NetworkStyle):
    network = "facebook"
    comments = True
    opening = "comment"

    def new_id(self, draft: Draft, channel: SandboxChannel, parent_id: str | None) -> str:
        root = draft.first or draft
        if root.post is not None:
            number = post_number(channel, root.post)
        else:  # an answer to the artist: it stays under the thread's post
            number = (draft.thread_id or channel.account_id).partition("_")[0]
        return (
            f"{number}_{comment_number(draft.created_at, channel.seed, channel.handle, draft.key)}"
        )

    def url(self, draft: Draft, channel: SandboxChannel, external_id: str, thread_id: str) -> str:
        post, _, comment = external_id.partition("_")
        return f"https://www.facebook.com/{channel.handle}/posts/{post}?comment_id={comment}"

    def context(self, draft: Draft, channel: SandboxChannel) -> ThreadContext | None:
        if draft.post is None:
            return None
        url = f"https://www.facebook.com/{channel.handle}/posts/{post_number(channel, draft.post)}"
        return ThreadContext(title=draft.post.title, url=url)

    def payload(self, draft: Draft, channel: SandboxChannel, ids: Ids) -> dict[str, Any]:
        root = draft.first or draft
        out: dict[str, Any] = {
            "id": ids.external_id,
            "message": draft.text,
            "created_time": iso_offset(draft.created_at),
            "from": {"id": draft.identity.external_id, "name": draft.identity.name},
            "like_count": stable_hash(ids.external_id) % 25,
            "comment_count": 0,
            "permalink_url": ids.url,
        }
        if root.post is not None:
            out["post"] = {"id": f"{channel.account_id}_{post_number(channel, root.post)}"}
        if ids.parent_id:
            out["parent"] = {"id": ids.parent_id}
        return out

    def sent_reply(
        self, channel: SandboxChannel, target: ReplyTarget, text: str, key: str, at: datetime
    ) -> SentReply:
        post = target.thread_id.partition("_")[0]
        external_id = f"{post}_{comment_number(at, channel.seed, channel.handle, 'reply', key)}"
        url = f"https://www.facebook.com/{channel.handle}/posts/{post}?comment_id={external_id.partition('_')[2]}"
        raw = {
            "id": external_id,
            "message": text,
            "created_time": iso_offset(at),
            "from": {"id": channel.account_id, "name": channel.display_name},
            "parent": {"id": target.thread_id},
        }
        return SentReply(external_id, at, url, raw)
