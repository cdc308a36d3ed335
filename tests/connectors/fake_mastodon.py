"""A small Mastodon instance on 127.0.0.1, for the Mastodon connector's tests.

It answers the handful of endpoints the connector uses with the JSON shapes of
the Mastodon API documentation (docs.joinmastodon.org: Status, Account,
Notification, Context, Instance entities) and the server's own paging rules:
``min_id`` returns the page immediately newer than the id, newest first, and
every list carries a ``Link`` header. Faults can be queued to hit the next
requests: 429 with ``X-RateLimit-Reset``, 5xx, a slow answer, a body cut off
mid-transfer, malformed JSON, a revoked token.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

FAULTS = ("429", "429-retry-after", "500", "502", "503", "timeout", "cut", "malformed", "401")


def iso(moment: datetime) -> str:
    """Mastodon's datetime format: UTC with milliseconds and a Z."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


@dataclass
class FakeMastodon:
    server: HTTPServer
    token: str = "artist-token"
    artist_username: str = "artist"
    max_characters: int = 500
    slow_seconds: float = 1.8
    revoked: bool = False
    rate_reset_in: float = 42.0
    rate_remaining: int = 299  # X-RateLimit-Remaining on every answer
    page_cap: int = 80  # the most notifications a page holds, whatever `limit` asks
    send_links: bool = True  # a Link header on every non-empty list
    next_only_when_full: bool = False  # rel="next" only after a full page (as mastodon-mock)
    batch_endpoint: bool = True  # GET /api/v1/statuses?id[]= (Mastodon 4.3+)
    batch_omits: set[str] = field(default_factory=set)  # statuses an odd batch answer leaves out
    faults: deque[str] = field(default_factory=deque)
    # Faults for requests whose path ends with a given suffix, e.g. {"/context": deque(["503"])}.
    path_faults: dict[str, deque[str]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[str, dict[str, Any]] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    raw_notifications: list[Any] = field(default_factory=list)  # extra, possibly broken items
    posted_keys: dict[str, str] = field(default_factory=dict)
    # POST /api/v2/media: attachments by id (uploaded, attached or not), and how many
    # GET /api/v1/media/:id answers say "still processing" (202, url null) first.
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    media_processing_polls: int = 0
    max_image_bytes: int = 16 * 1024 * 1024
    post_requests: list[dict[str, Any]] = field(default_factory=list)
    hits: dict[str, int] = field(default_factory=dict)
    clock: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(hours=1))
    _next_status: int = 110_000_000_000_000_000
    _next_notification: int = 5_000

    def __post_init__(self) -> None:
        self.server.expect_request(re.compile(r"^/api/")).respond_with_handler(self._dispatch)
        self.artist = self.add_account(self.artist_username, display_name="The Artist")

    @property
    def url(self) -> str:
        return self.server.url_for("/").rstrip("/")

    @property
    def domain(self) -> str:
        return f"{self.server.host}:{self.server.port}"

    # -- building the world --------------------------------------------------------

    def add_account(
        self,
        username: str,
        *,
        domain: str | None = None,
        display_name: str = "",
        followers: int = 10,
    ) -> dict[str, Any]:
        account_id = str(100 + len(self.accounts))
        acct = f"{username}@{domain}" if domain else username
        host = domain or "fake.social"
        account = {
            "id": account_id,
            "username": username,
            "acct": acct,
            "display_name": display_name,
            "locked": False,
            "bot": False,
            "discoverable": True,
            "group": False,
            "created_at": "2022-03-16T00:00:00.000Z",
            "note": f"<p>I am {html.escape(username)} &amp; I like music</p>",
            "url": f"https://{host}/@{username}",
            "uri": f"https://{host}/users/{username}",
            "avatar": f"https://{host}/avatars/{account_id}.png",
            "avatar_static": f"https://{host}/avatars/{account_id}.png",
            "header": f"https://{host}/headers/{account_id}.png",
            "header_static": f"https://{host}/headers/{account_id}.png",
            "followers_count": followers,
            "following_count": 3,
            "statuses_count": 42,
            "last_status_at": "2024-01-01",
            "emojis": [],
            "fields": [],
        }
        self.accounts[account_id] = account
        return account

    def fail_path(self, suffix: str, *faults: str) -> None:
        """Queue faults for the next requests whose path ends with ``suffix``."""
        self.path_faults.setdefault(suffix, deque()).extend(faults)

    def tick(self, seconds: float = 1.0) -> datetime:
        self.clock += timedelta(seconds=seconds)
        return self.clock

    def post(
        self,
        author: dict[str, Any],
        content_html: str,
        *,
        in_reply_to: dict[str, Any] | None = None,
        visibility: str = "public",
        mentions: Iterable[dict[str, Any]] = (),
        spoiler_text: str = "",
        created_at: datetime | None = None,
        notify: bool = True,
    ) -> dict[str, Any]:
        """A status by ``author``; mentioning the artist adds a mention notification."""
        self._next_status += 1
        status_id = str(self._next_status)
        moment = created_at or self.tick()
        mentioned = list(mentions)
        status = {
            "id": status_id,
            "created_at": iso(moment),
            "in_reply_to_id": in_reply_to["id"] if in_reply_to else None,
            "in_reply_to_account_id": in_reply_to["account"]["id"] if in_reply_to else None,
            "sensitive": False,
            "spoiler_text": spoiler_text,
            "visibility": visibility,
            "language": "en",
            "uri": f"https://fake.social/users/{author['username']}/statuses/{status_id}",
            "url": f"https://fake.social/@{author['username']}/{status_id}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "edited_at": None,
            "favourited": False,
            "reblogged": False,
            "muted": False,
            "bookmarked": False,
            "content": content_html,
            "filtered": [],
            "reblog": None,
            "application": {"name": "Web", "website": None},
            "account": author,
            "media_attachments": [],
            "mentions": [
                {"id": m["id"], "username": m["username"], "url": m["url"], "acct": m["acct"]}
                for m in mentioned
            ],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        self.statuses[status_id] = status
        if notify and author["id"] != self.artist["id"] and self.artist in mentioned:
            self.add_notification(status, author, moment)
        return status

    def add_notification(
        self, status: dict[str, Any], author: dict[str, Any], moment: datetime
    ) -> dict[str, Any]:
        self._next_notification += 1
        notification = {
            "id": str(self._next_notification),
            "type": "mention",
            "group_key": f"ungrouped-{self._next_notification}",
            "created_at": iso(moment),
            "account": author,
            "status": status,
        }
        self.notifications.append(notification)
        return notification

    def add_raw_notification(self, payload: Any) -> None:
        """A hand-made, possibly broken, entry among the real ones (it gets the next id)."""
        self._next_notification += 1
        if isinstance(payload, dict):
            payload = {"id": str(self._next_notification), **payload}
        self.notifications.append({"__raw__": payload, "id": str(self._next_notification)})

    def mention(self, fan: dict[str, Any], text: str, **kwargs: Any) -> dict[str, Any]:
        """A fan status mentioning the artist, as Mastodon renders its HTML."""
        content = (
            '<p><span class="h-card"><a href="https://fake.social/@artist" class="u-url mention">'
            f"@<span>artist</span></a></span> {html.escape(text)}</p>"
        )
        return self.post(fan, content, mentions=[self.artist], **kwargs)

    def edit(self, status: dict[str, Any], content_html: str) -> None:
        status["content"] = content_html
        status["edited_at"] = iso(self.tick())

    def delete(self, status: dict[str, Any]) -> None:
        """Mastodon removes the status and the notifications pointing at it."""
        self.statuses.pop(status["id"], None)
        self.notifications = [
            n for n in self.notifications if n.get("status", {}).get("id") != status["id"]
        ]

    # -- HTTP ----------------------------------------------------------------------

    def _dispatch(self, request: Request) -> Response:
        path = request.path
        self.hits[path] = self.hits.get(path, 0) + 1
        fault = None
        for suffix, queue in self.path_faults.items():
            if path.endswith(suffix) and queue:
                fault = queue.popleft()
                break
        if fault is None and self.faults:
            fault = self.faults.popleft()
        if fault is not None:
            response = self._fault(fault)
            if response is not None:
                return response
        auth = request.headers.get("Authorization", "")
        if self.revoked:
            return self._json({"error": "The access token was revoked"}, 401)
        if auth != f"Bearer {self.token}":
            return self._json({"error": "The access token is invalid"}, 401)
        if request.method == "GET" and path == "/api/v1/notifications":
            return self._notifications(request)
        if request.method == "POST" and path == "/api/v1/statuses":
            return self._create_status(request)
        if request.method == "POST" and path == "/api/v2/media":
            return self._upload_media(request)
        match = re.fullmatch(r"/api/v1/media/(\d+)", path)
        if request.method == "GET" and match:
            return self._media(match.group(1))
        if request.method == "GET" and path == "/api/v1/statuses" and self.batch_endpoint:
            ids = request.args.getlist("id[]")
            if len(ids) > 20:
                return self._json({"error": "Validation failed"}, 422)
            found = [i for i in ids if i in self.statuses and i not in self.batch_omits]
            return self._json([self.statuses[i] for i in found])
        if request.method == "GET" and path == "/api/v1/accounts/verify_credentials":
            return self._json(self.artist)
        if request.method == "GET" and path in ("/api/v2/instance", "/api/v2/instance/"):
            return self._json(self._instance())
        if request.method == "GET" and path in ("/api/v1/instance", "/api/v1/instance/"):
            # Mastodon.py reads the version here before choosing /api/v2/media.
            v2 = self._instance()
            return self._json({"uri": v2["domain"], "title": v2["title"], "version": v2["version"]})
        match = re.fullmatch(r"/api/v1/statuses/(\d+)(/context)?", path)
        if request.method == "GET" and match:
            status = self.statuses.get(match.group(1))
            if status is None:
                return self._json({"error": "Record not found"}, 404)
            if match.group(2):
                return self._json(self._context(status))
            return self._json(status)
        match = re.fullmatch(r"/api/v1/accounts/(\d+)", path)
        if request.method == "GET" and match:
            account = self.accounts.get(match.group(1))
            if account is None:
                return self._json({"error": "Record not found"}, 404)
            return self._json(account)
        return self._json({"error": "Record not found"}, 404)

    def _fault(self, fault: str) -> Response | None:
        if fault == "timeout":
            time.sleep(self.slow_seconds)
            return None
        if fault == "429":
            reset = datetime.now(UTC) + timedelta(seconds=self.rate_reset_in)
            response = self._json({"error": "Too many requests"}, 429)
            response.headers["X-RateLimit-Limit"] = "300"
            response.headers["X-RateLimit-Remaining"] = "0"
            response.headers["X-RateLimit-Reset"] = iso(reset)
            return response
        if fault == "429-retry-after":  # a proxy's or another server's 429: no X-RateLimit-*
            response = Response('{"error": "Too many requests"}', status=429)
            response.headers["Retry-After"] = "7"
            return response
        if fault in ("500", "502", "503"):
            return Response(
                "<html><body><h1>We're sorry, but something went wrong</h1></body></html>",
                status=int(fault),
                content_type="text/html",
            )
        if fault == "cut":
            response = Response(b'[{"id": "1", "type": "men', content_type="application/json")
            response.headers["Content-Length"] = "4096"
            response.headers["Connection"] = "close"
            return response
        if fault == "malformed":
            return Response(b'[{"id": "1", "type": "mention", ', content_type="application/json")
        if fault == "401":
            return self._json({"error": "The access token is invalid"}, 401)
        raise ValueError(f"unknown fault {fault!r}")

    def _json(self, payload: Any, status: int = 200) -> Response:
        response = Response(json.dumps(payload), status=status, content_type="application/json")
        response.headers["X-RateLimit-Limit"] = "300"
        response.headers["X-RateLimit-Remaining"] = str(self.rate_remaining)
        response.headers["X-RateLimit-Reset"] = iso(datetime.now(UTC) + timedelta(minutes=5))
        return response

    def _notifications(self, request: Request) -> Response:
        types = request.args.getlist("types[]")
        limit = min(int(request.args.get("limit", 40)), self.page_cap)
        visible = [
            n for n in self.notifications if "__raw__" in n or not types or n.get("type") in types
        ]
        min_id = request.args.get("min_id")
        max_id = request.args.get("max_id")
        since_id = request.args.get("since_id")

        def key(n: dict[str, Any]) -> int:
            return int(n["id"])

        if max_id:
            visible = [n for n in visible if key(n) < int(max_id)]
        if min_id:
            page = sorted((n for n in visible if key(n) > int(min_id)), key=key)[:limit]
            page.reverse()
        else:
            if since_id:
                visible = [n for n in visible if key(n) > int(since_id)]
            page = sorted(visible, key=key, reverse=True)[:limit]
        body = [n.get("__raw__", n) for n in page]
        response = self._json(body)
        if page and self.send_links:
            query: dict[str, Any] = {"limit": limit}
            if types:
                query["types[]"] = types
            base = self.server.url_for("/api/v1/notifications")
            nxt = urlencode({**query, "max_id": page[-1]["id"]}, doseq=True)
            prev = urlencode({**query, "min_id": page[0]["id"]}, doseq=True)
            links = [f'<{base}?{nxt}>; rel="next"', f'<{base}?{prev}>; rel="prev"']
            if self.next_only_when_full and len(page) < limit:
                links = links[1:]
            response.headers["Link"] = ", ".join(links)
        return response

    def _context(self, status: dict[str, Any]) -> dict[str, Any]:
        ancestors = []
        parent_id = status["in_reply_to_id"]
        while parent_id and parent_id in self.statuses:
            parent = self.statuses[parent_id]
            ancestors.append(parent)
            parent_id = parent["in_reply_to_id"]
        ancestors.reverse()
        descendants = [
            s for s in self.statuses.values() if status["id"] in self._chain(s) and s is not status
        ]
        return {"ancestors": ancestors, "descendants": descendants}

    def _chain(self, status: dict[str, Any]) -> set[str]:
        ids = set()
        parent_id = status["in_reply_to_id"]
        while parent_id and parent_id in self.statuses and parent_id not in ids:
            ids.add(parent_id)
            parent_id = self.statuses[parent_id]["in_reply_to_id"]
        return ids

    def _instance(self) -> dict[str, Any]:
        return {
            "domain": "fake.social",
            "title": "Fake Social",
            "version": "4.3.0",
            "api_versions": {"mastodon": 2},
            "source_url": "https://github.com/mastodon/mastodon",
            "description": "A fake instance for tests",
            "usage": {"users": {"active_month": 3}},
            "thumbnail": {"url": "https://fake.social/thumb.png"},
            "languages": ["en"],
            "configuration": {
                "urls": {"streaming": "wss://fake.social"},
                "accounts": {"max_featured_tags": 10},
                "statuses": {
                    "max_characters": self.max_characters,
                    "max_media_attachments": 4,
                    "characters_reserved_per_url": 23,
                },
                "translation": {"enabled": False},
            },
            "registrations": {"enabled": False, "approval_required": False, "message": None},
            "contact": {"email": "admin@fake.social", "account": None},
            "rules": [],
        }

    def _create_status(self, request: Request) -> Response:
        form = request.form
        self.post_requests.append(
            {**form.to_dict(), "idempotency_key": request.headers.get("Idempotency-Key")}
        )
        key = request.headers.get("Idempotency-Key")
        if key and key in self.posted_keys:
            return self._json(self.statuses[self.posted_keys[key]])
        text = form.get("status", "")
        counted = re.sub(r"https?://\S+", "x" * 23, text)
        counted = re.sub(r"(@\w+)@[\w.-]+", r"\1", counted)
        if len(counted) > self.max_characters:
            return self._json(
                {
                    "error": "Validation failed: Text character limit of "
                    f"{self.max_characters} exceeded"
                },
                422,
            )
        parent = None
        if form.get("in_reply_to_id"):
            parent = self.statuses.get(form["in_reply_to_id"])
            if parent is None:
                return self._json({"error": "Record not found"}, 404)
        media_ids = form.getlist("media_ids[]")
        if len(media_ids) > 4:
            return self._json({"error": "Validation failed: Media attachments too many"}, 422)
        attachments = []
        for media_id in media_ids:
            attachment = self.media.get(media_id)
            if attachment is None:
                return self._json({"error": "Validation failed: Media attachments invalid"}, 422)
            if attachment["url"] is None:
                return self._json(
                    {
                        "error": "Cannot attach files that have not finished processing. Try again in a moment!"
                    },
                    422,
                )
            attachments.append(self._public_media(media_id))
        content = "<p>" + html.escape(text).replace("\n", "<br />") + "</p>"
        status = self.post(
            self.artist,
            content,
            in_reply_to=parent,
            visibility=form.get("visibility", "public"),
            created_at=datetime.now(UTC),
        )
        status["media_attachments"] = attachments
        if key:
            self.posted_keys[key] = status["id"]
        return self._json(status)

    def _upload_media(self, request: Request) -> Response:
        """``POST /api/v2/media`` as Mastodon answers it: 200 with the attachment once
        processed, 202 with ``url`` null while it is (``media_processing_polls``)."""
        upload = request.files.get("file")
        if upload is None:
            return self._json({"error": "Validation failed: File can't be blank"}, 422)
        data = upload.read()
        signatures = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"RIFF")
        if not data.startswith(signatures):
            return self._json(
                {"error": "Validation failed: File content type is invalid, File is invalid"}, 422
            )
        if len(data) > self.max_image_bytes:
            return self._json(
                {"error": "Validation failed: File file size must be less than 16 MB"}, 422
            )
        description = request.form.get("description") or None
        if description is not None and len(description) > 1500:
            return self._json(
                {
                    "error": "Validation failed: Description is too long (maximum is 1500 characters)"
                },
                422,
            )
        media_id = str(self._next_status)
        self._next_status += 1
        processing = self.media_processing_polls > 0
        url = (
            f"https://files.fake.social/media_attachments/files/{media_id}/original/{media_id}.png"
        )
        self.media[media_id] = {
            "id": media_id,
            "type": "image",
            "url": None if processing else url,
            "preview_url": url.replace("/original/", "/small/"),
            "remote_url": None,
            "text_url": None,
            "meta": {"original": {"width": 1, "height": 1, "size": "1x1", "aspect": 1.0}},
            "description": description,
            "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
            "_bytes": len(data),
            "_mimetype": upload.mimetype,
            "_filename": upload.filename,
        }
        return self._json(self._public_media(media_id), 202 if processing else 200)

    def _media(self, media_id: str) -> Response:
        attachment = self.media.get(media_id)
        if attachment is None:
            return self._json({"error": "Record not found"}, 404)
        if attachment["url"] is None:
            self.media_processing_polls -= 1
            if self.media_processing_polls > 0:
                return self._json(self._public_media(media_id), 206)
            attachment["url"] = attachment["preview_url"].replace("/small/", "/original/")
        return self._json(self._public_media(media_id))

    def _public_media(self, media_id: str) -> dict[str, Any]:
        return {k: v for k, v in self.media[media_id].items() if not k.startswith("_")}
