"""A small YouTube Data API v3 on 127.0.0.1, for the YouTube connector's tests.

It serves the resources the connector reads and writes, shaped as the API
reference documents them (commentThreadListResponse, commentListResponse,
comment, videoListResponse, channelListResponse, Google's error envelope), plus
an OAuth token endpoint for refreshes. Threads are listed newest *top-level
comment* first, so a new reply does not bring an old thread back to the top
(the pessimistic reading of ``order=time``); a thread shows its five oldest
replies. Faults can be queued: quotaExceeded, rateLimitExceeded, 429, 5xx, a
slow answer, a cut-off body, malformed JSON, an expired token.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

SHOWN_REPLIES = 5


def ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def google_error(code: int, reason: str, message: str, domain: str = "global") -> dict[str, Any]:
    """Google's JSON error envelope."""
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }


QUOTA_MESSAGE = (
    "The request cannot be completed because you have exceeded your "
    '<a href="/youtube/v3/getting-started#quota">quota</a>.'
)


@dataclass
class FakeThread:
    id: str
    video_id: str | None
    top: dict[str, Any]
    replies: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeYouTube:
    server: HTTPServer
    channel_id: str = "UCartist00000000000000000"
    api_key: str = "yt-api-key"
    client_id: str = "client-1.apps.googleusercontent.com"
    client_secret: str = "client-secret"
    refresh_token: str = "refresh-1"
    slow_seconds: float = 1.8
    faults: deque[str] = field(default_factory=deque)
    path_faults: dict[str, deque[str]] = field(default_factory=dict)
    threads: list[FakeThread] = field(default_factory=list)
    videos: dict[str, str] = field(default_factory=dict)
    valid_tokens: set[str] = field(default_factory=lambda: {"access-0"})
    refresh_revoked: bool = False
    calls: dict[str, int] = field(default_factory=dict)
    insert_bodies: list[dict[str, Any]] = field(default_factory=list)
    clock: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(hours=2))
    _serial: int = 0
    _tokens_issued: int = 0

    def __post_init__(self) -> None:
        self.server.expect_request(re.compile(r"^/(youtube/v3/|token)")).respond_with_handler(
            self._dispatch
        )

    @property
    def url(self) -> str:
        return self.server.url_for("/")

    @property
    def token_uri(self) -> str:
        return self.server.url_for("/token")

    # -- building the world --------------------------------------------------------

    def tick(self, seconds: float = 1.0) -> datetime:
        self.clock += timedelta(seconds=seconds)
        return self.clock

    def _next_id(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}{self._serial:06d}AaABAg"

    def add_video(self, title: str) -> str:
        video_id = f"vid{len(self.videos):08d}"
        self.videos[video_id] = title
        return video_id

    def _comment(
        self,
        comment_id: str,
        author: str,
        text: str,
        moment: datetime,
        *,
        video_id: str | None,
        parent_id: str | None = None,
        author_channel: str | None = None,
    ) -> dict[str, Any]:
        channel = author_channel or f"UC{author.lower():0<22}"[:24]
        snippet: dict[str, Any] = {
            "channelId": self.channel_id,
            "textDisplay": text,
            "textOriginal": text,
            "authorDisplayName": f"@{author}",
            "authorProfileImageUrl": f"https://yt3.ggpht.com/{author}=s48-c-k-c0x00ffffff-no-rj",
            "authorChannelUrl": f"http://www.youtube.com/@{author}",
            "authorChannelId": {"value": channel},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": 0,
            "publishedAt": ts(moment),
            "updatedAt": ts(moment),
        }
        if video_id:
            snippet["videoId"] = video_id
        if parent_id:
            snippet["parentId"] = parent_id
        return {
            "kind": "youtube#comment",
            "etag": f"etag-{comment_id}",
            "id": comment_id,
            "snippet": snippet,
        }

    def comment(
        self, author: str, text: str, *, video_id: str | None, at: datetime | None = None
    ) -> FakeThread:
        """A new top-level comment (a new thread) by a fan."""
        thread_id = self._next_id("Ugz")
        moment = at or self.tick()
        top = self._comment(thread_id, author, text, moment, video_id=video_id)
        thread = FakeThread(id=thread_id, video_id=video_id, top=top)
        self.threads.append(thread)
        return thread

    def reply(
        self,
        thread: FakeThread,
        author: str,
        text: str,
        *,
        author_channel: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        reply_id = f"{thread.id}.{self._next_id('9r')}"
        moment = at or self.tick()
        reply = self._comment(
            reply_id,
            author,
            text,
            moment,
            video_id=thread.video_id,
            parent_id=thread.id,
            author_channel=author_channel,
        )
        thread.replies.append(reply)
        return reply

    def edit(self, comment: dict[str, Any], text: str) -> None:
        comment["snippet"]["textOriginal"] = text
        comment["snippet"]["textDisplay"] = text
        comment["snippet"]["updatedAt"] = ts(self.tick())

    def delete_thread(self, thread: FakeThread) -> None:
        self.threads.remove(thread)

    def fail_path(self, suffix: str, *faults: str) -> None:
        self.path_faults.setdefault(suffix, deque()).extend(faults)

    def all_comment_ids(self) -> set[str]:
        return {t.id for t in self.threads} | {r["id"] for t in self.threads for r in t.replies}

    # -- HTTP ----------------------------------------------------------------------

    def _dispatch(self, request: Request) -> Response:
        path = request.path
        key = f"{request.method} {path}"
        self.calls[key] = self.calls.get(key, 0) + 1
        fault = None
        for suffix, queue in self.path_faults.items():
            if key.endswith(suffix) and queue:
                fault = queue.popleft()
                break
        if fault is None and self.faults and path != "/token":
            fault = self.faults.popleft()
        if fault is not None and fault != "after-insert-500":
            response = self._fault(fault)
            if response is not None:
                return response
        if path == "/token":
            return self._token(request)
        if not self._authorized(request):
            return self._json(
                {
                    "error": {
                        "code": 401,
                        "message": "Request had invalid authentication credentials. Expected "
                        "OAuth 2 access token, login cookie or other valid authentication "
                        "credential.",
                        "errors": [
                            {
                                "message": "Invalid Credentials",
                                "domain": "global",
                                "reason": "authError",
                                "location": "Authorization",
                                "locationType": "header",
                            }
                        ],
                        "status": "UNAUTHENTICATED",
                    }
                },
                401,
            )
        if request.method == "GET" and path == "/youtube/v3/commentThreads":
            return self._comment_threads(request)
        if request.method == "GET" and path == "/youtube/v3/comments":
            return self._comments(request)
        if request.method == "POST" and path == "/youtube/v3/comments":
            response = self._insert(request)
            if fault == "after-insert-500":
                return self._fault("500") or response
            return response
        if request.method == "GET" and path == "/youtube/v3/videos":
            return self._videos(request)
        if request.method == "GET" and path == "/youtube/v3/channels":
            return self._channels(request)
        return self._json(google_error(404, "notFound", "Not Found"), 404)

    def _authorized(self, request: Request) -> bool:
        if request.args.get("key") == self.api_key:
            return True
        auth = request.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.valid_tokens

    def _fault(self, fault: str) -> Response | None:
        if fault == "timeout":
            time.sleep(self.slow_seconds)
            return None
        if fault == "quota":
            return self._json(
                google_error(403, "quotaExceeded", QUOTA_MESSAGE, "youtube.quota"), 403
            )
        if fault == "rate":
            return self._json(
                google_error(403, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits"), 403
            )
        if fault == "429":
            response = self._json(
                google_error(429, "rateLimitExceeded", "Resource has been exhausted"), 429
            )
            response.headers["Retry-After"] = "30"
            return response
        if fault in ("500", "503"):
            reason = "backendError" if fault == "500" else "serviceUnavailable"
            return self._json(google_error(int(fault), reason, "Backend Error"), int(fault))
        if fault == "cut":
            response = Response(
                b'{"kind": "youtube#commentThreadListResp', content_type="application/json"
            )
            response.headers["Content-Length"] = "8192"
            response.headers["Connection"] = "close"
            return response
        if fault == "malformed":
            return Response(
                b'{"kind": "youtube#commentThreadListResponse", "items": [',
                content_type="application/json",
            )
        if fault == "401":
            self.valid_tokens.clear()
            return None
        if fault == "disabled":
            return self._json(
                google_error(
                    403,
                    "commentsDisabled",
                    "The video identified by the videoId parameter has disabled comments.",
                    "youtube.commentThread",
                ),
                403,
            )
        if fault == "scope":
            return self._json(
                google_error(403, "insufficientPermissions", "Insufficient Permission"), 403
            )
        raise ValueError(f"unknown fault {fault!r}")

    def _json(self, payload: Any, status: int = 200) -> Response:
        return Response(
            json.dumps(payload), status=status, content_type="application/json; charset=UTF-8"
        )

    def _token(self, request: Request) -> Response:
        form = request.form
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return self._json({"error": "invalid_client", "error_description": "Unauthorized"}, 401)
        if self.refresh_revoked or form.get("refresh_token") != self.refresh_token:
            return self._json(
                {
                    "error": "invalid_grant",
                    "error_description": "Token has been expired or revoked.",
                },
                400,
            )
        self._tokens_issued += 1
        token = f"access-{self._tokens_issued}"
        self.valid_tokens = {token}
        return self._json(
            {
                "access_token": token,
                "expires_in": 3599,
                "scope": "https://www.googleapis.com/auth/youtube.force-ssl",
                "token_type": "Bearer",
            }
        )

    def _render_thread(self, thread: FakeThread, parts: set[str]) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "kind": "youtube#commentThread",
            "etag": f"etag-{thread.id}-{len(thread.replies)}",
            "id": thread.id,
        }
        if "snippet" in parts:
            snippet: dict[str, Any] = {
                "channelId": self.channel_id,
                "topLevelComment": thread.top,
                "canReply": True,
                "totalReplyCount": len(thread.replies),
                "isPublic": True,
            }
            if thread.video_id:
                snippet["videoId"] = thread.video_id
            rendered["snippet"] = snippet
        if "replies" in parts and thread.replies:
            rendered["replies"] = {"comments": thread.replies[:SHOWN_REPLIES]}
        return rendered

    def _comment_threads(self, request: Request) -> Response:
        parts = set(",".join(request.args.getlist("part")).split(","))
        if request.args.get("id"):
            wanted = [i for value in request.args.getlist("id") for i in value.split(",")]
            by_id = {t.id: t for t in self.threads}
            items = [self._render_thread(by_id[i], parts) for i in wanted if i in by_id]
            return self._json(
                {
                    "kind": "youtube#commentThreadListResponse",
                    "etag": "etag-by-id",
                    "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
                    "items": items,
                }
            )
        if request.args.get("allThreadsRelatedToChannelId") != self.channel_id:
            return self._json(
                google_error(
                    404,
                    "channelNotFound",
                    "The channel could not be found.",
                    "youtube.commentThread",
                ),
                404,
            )
        ordered = sorted(
            self.threads, key=lambda t: (t.top["snippet"]["publishedAt"], t.id), reverse=True
        )
        start = 0
        token = request.args.get("pageToken")
        if token:
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode().removeprefix("after:")
            except ValueError:
                after = ""
            ids = [t.id for t in ordered]
            if after not in ids:
                return self._json(
                    google_error(
                        400,
                        "invalidPageToken",
                        "The request specifies an invalid page token.",
                        "youtube.parameter",
                    ),
                    400,
                )
            start = ids.index(after) + 1
        size = min(int(request.args.get("maxResults", 20)), 100)
        page = ordered[start : start + size]
        body: dict[str, Any] = {
            "kind": "youtube#commentThreadListResponse",
            "etag": f"etag-page-{start}",
            "pageInfo": {"totalResults": len(page), "resultsPerPage": size},
            "items": [self._render_thread(t, parts) for t in page],
        }
        if start + size < len(ordered):
            body["nextPageToken"] = base64.urlsafe_b64encode(
                f"after:{page[-1].id}".encode()
            ).decode()
        return self._json(body)

    def _comments(self, request: Request) -> Response:
        parent = request.args.get("parentId")
        thread = next((t for t in self.threads if t.id == parent), None)
        if thread is None:
            return self._json(
                google_error(
                    404, "commentNotFound", "The comment could not be found.", "youtube.comment"
                ),
                404,
            )
        size = min(int(request.args.get("maxResults", 20)), 100)
        token = request.args.get("pageToken")
        start = int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0
        page = thread.replies[start : start + size]
        body: dict[str, Any] = {
            "kind": "youtube#commentListResponse",
            "etag": f"etag-replies-{start}",
            "pageInfo": {"totalResults": len(page), "resultsPerPage": size},
            "items": page,
        }
        if start + size < len(thread.replies):
            body["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return self._json(body)

    def _insert(self, request: Request) -> Response:
        body = json.loads(request.get_data())
        self.insert_bodies.append(body)
        snippet = body.get("snippet", {})
        thread = next((t for t in self.threads if t.id == snippet.get("parentId")), None)
        if thread is None:
            return self._json(
                google_error(
                    404,
                    "parentCommentNotFound",
                    "The parent comment could not be found.",
                    "youtube.comment",
                ),
                404,
            )
        reply = self.reply(
            thread,
            "artist",
            snippet.get("textOriginal", ""),
            author_channel=self.channel_id,
            at=datetime.now(UTC).replace(microsecond=0),
        )
        return self._json(reply)

    def _videos(self, request: Request) -> Response:
        ids = [i for value in request.args.getlist("id") for i in value.split(",")]
        items = [
            {
                "kind": "youtube#video",
                "etag": f"etag-{i}",
                "id": i,
                "snippet": {
                    "publishedAt": "2024-01-01T00:00:00Z",
                    "channelId": self.channel_id,
                    "title": self.videos[i],
                    "description": "",
                    "channelTitle": "The Artist",
                },
            }
            for i in ids
            if i in self.videos
        ]
        return self._json(
            {
                "kind": "youtube#videoListResponse",
                "etag": "etag-videos",
                "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
                "items": items,
            }
        )

    def _channels(self, request: Request) -> Response:
        if request.args.get("mine") == "true":
            ids = [self.channel_id]
        else:
            ids = [i for value in request.args.getlist("id") for i in value.split(",")]
        items = [
            {
                "kind": "youtube#channel",
                "etag": f"etag-{i}",
                "id": i,
                "snippet": {
                    "title": "The Artist" if i == self.channel_id else "A Fan",
                    "description": "Music and more",
                    "customUrl": "@artist" if i == self.channel_id else "@fan",
                    "publishedAt": "2015-05-01T00:00:00Z",
                    "thumbnails": {
                        "default": {
                            "url": f"https://yt3.ggpht.com/{i}=s88",
                            "width": 88,
                            "height": 88,
                        }
                    },
                    "country": "DE",
                },
                "statistics": {
                    "viewCount": "1000",
                    "subscriberCount": "1234",
                    "hiddenSubscriberCount": False,
                    "videoCount": "12",
                },
            }
            for i in ids
            if i.startswith("UC") and not i.startswith("UCmissing")
        ]
        return self._json(
            {
                "kind": "youtube#channelListResponse",
                "etag": "etag-channels",
                "pageInfo": {"totalResults": len(items), "resultsPerPage": 5},
                "items": items,
            }
        )
