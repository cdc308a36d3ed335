"""A small, faithful X API v2 on pytest-httpserver, for the X connector tests.

It keeps tweets, users and DM events in memory and answers the endpoints the
connector uses the way X documents them: mentions newest first with
``since_id``/``until_id``/``start_time``/``pagination_token``, only the latest
800 mentions reachable, fields only when asked for (``tweet.fields``,
``user.fields``, ``dm_event.fields``), ``includes`` only for requested
expansions, ``meta`` with ``result_count``/``newest_id``/``oldest_id``/
``next_token``, RFC 7807 problem bodies for errors, and the rate-limit headers.

Faults are queued with :meth:`FakeX.fail_next` and hit the next matching request.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

MENTIONS_REACHABLE = 800
FIRST_ID = 1_580_000_000_000_000_000

DEFAULT_TWEET_FIELDS = ("id", "text", "edit_history_tweet_ids")
DEFAULT_USER_FIELDS = ("id", "name", "username")
DEFAULT_DM_FIELDS = ("id", "event_type", "text")


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def problem(status: int, title: str, detail: str, type_: str = "about:blank") -> Response:
    body = {"title": title, "detail": detail, "type": type_, "status": status}
    return Response(json.dumps(body), status=status, content_type="application/problem+json")


@dataclass
class Fault:
    kind: str  # 429 | 429-day | 500 | 503 | timeout | truncated | malformed | 401 | 403-client-forbidden | data-not-list
    path: str | None = None  # regex on the path; None: any
    reset_in: int = 900


@dataclass
class FakeX:
    server: HTTPServer
    me_id: str = "1000"
    me_username: str = "artist"
    bearer_tokens: set[str] = field(default_factory=lambda: {"good-token"})
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> client_id
    client_id: str = "client-1"
    timeout_sleep: float = 1.8
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    tweets: dict[str, dict[str, Any]] = field(default_factory=dict)
    mention_ids: list[str] = field(default_factory=list)
    dm_events: list[dict[str, Any]] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # method, path, args
    created: list[dict[str, Any]] = field(default_factory=list)  # POST /2/tweets bodies
    dm_forbidden: bool = False
    # v1.1 media/upload: uploads by media_id_string ({"bytes", "alt_text", "mimetype"}).
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(FIRST_ID, 1000))

    def __post_init__(self) -> None:
        self.add_user(self.me_id, self.me_username, "The Artist")
        self.server.expect_request(re.compile(r"^/2/.*")).respond_with_handler(self.handle)
        # upload.twitter.com's v1.1 media endpoints (the connector rewrites the host too).
        self.server.expect_request(re.compile(r"^/1\.1/media/.*")).respond_with_handler(self.handle)

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    # ------------------------------------------------------------------ world building

    def next_id(self) -> str:
        return str(next(self._ids))

    def add_user(self, user_id: str, username: str, name: str = "") -> dict[str, Any]:
        user = {
            "id": user_id,
            "name": name or username.title(),
            "username": username,
            "profile_image_url": f"https://pbs.twimg.com/profile_images/{user_id}/normal.jpg",
            "description": f"bio of {username}",
            "verified": False,
            "created_at": "2015-04-01T10:00:00.000Z",
        }
        self.users[user_id] = user
        return user

    def post(
        self,
        author_id: str,
        text: str,
        *,
        reply_to: str | None = None,
        quote: str | None = None,
        at: datetime | None = None,
        mention: bool = True,
        lang: str = "en",
        media_keys: list[str] | None = None,
    ) -> dict[str, Any]:
        """A new tweet; ``mention`` puts it on the artist's mentions timeline."""
        tweet_id = self.next_id()
        refs = []
        conversation = tweet_id
        in_reply_to_user = None
        if reply_to:
            parent = self.tweets[reply_to]
            refs.append({"type": "replied_to", "id": reply_to})
            conversation = parent["conversation_id"]
            in_reply_to_user = parent["author_id"]
        if quote:
            refs.append({"type": "quoted", "id": quote})
        tweet: dict[str, Any] = {
            "id": tweet_id,
            "text": text,
            "author_id": author_id,
            "conversation_id": conversation,
            "created_at": iso(at or datetime.now(UTC)),
            "lang": lang,
            "edit_history_tweet_ids": [tweet_id],
            "entities": {
                "mentions": [
                    {
                        "start": 0,
                        "end": len(self.me_username) + 1,
                        "username": self.me_username,
                        "id": self.me_id,
                    }
                ]
            },
        }
        if refs:
            tweet["referenced_tweets"] = refs
        if in_reply_to_user:
            tweet["in_reply_to_user_id"] = in_reply_to_user
        if media_keys:
            tweet["attachments"] = {"media_keys": media_keys}
        self.tweets[tweet_id] = tweet
        if mention:
            self.mention_ids.append(tweet_id)
        return tweet

    def edit(self, tweet_id: str, new_text: str) -> dict[str, Any]:
        """X's edit: a new tweet id whose history starts with the original."""
        old = self.tweets[tweet_id]
        new_id = self.next_id()
        edited = {**old, "id": new_id, "text": new_text, "created_at": iso(datetime.now(UTC))}
        edited["edit_history_tweet_ids"] = [*old["edit_history_tweet_ids"], new_id]
        self.tweets[new_id] = edited
        if tweet_id in self.mention_ids:
            # The timeline shows the latest version in place of the old one.
            self.mention_ids[self.mention_ids.index(tweet_id)] = new_id
        return edited

    def delete(self, tweet_id: str) -> None:
        self.tweets.pop(tweet_id)
        if tweet_id in self.mention_ids:
            self.mention_ids.remove(tweet_id)

    def dm(
        self, sender_id: str, conversation_id: str, text: str, event_type: str = "MessageCreate"
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "id": self.next_id(),
            "event_type": event_type,
            "text": text,
            "sender_id": sender_id,
            "dm_conversation_id": conversation_id,
            "created_at": iso(datetime.now(UTC)),
        }
        if event_type != "MessageCreate":
            del event["text"]
            event["participant_ids"] = [sender_id]
        self.dm_events.append(event)
        return event

    def fail_next(
        self, kind: str, path: str | None = None, count: int = 1, reset_in: int = 900
    ) -> None:
        for _ in range(count):
            self.faults.append(Fault(kind, path, reset_in))

    # ------------------------------------------------------------------ plumbing

    def handle(self, request: Request) -> Response:
        args = {k: v for k, v in request.args.items()}
        self.seen.append((request.method, request.path, args))
        fault = self._take_fault(request.path)
        if fault is not None:
            return self._fault_response(fault)
        if request.path == "/2/oauth2/token":
            return self._token(request)
        if not self._authorized(request):
            return problem(401, "Unauthorized", "Unauthorized")
        routes: list[tuple[str, str, Callable[..., Response]]] = [
            ("GET", r"^/2/users/me$", self._me),
            ("GET", r"^/2/users/(\d+)/mentions$", self._mentions),
            ("GET", r"^/2/users/(\d+)/tweets$", self._user_tweets),
            ("GET", r"^/2/users/(\d+)$", self._user),
            ("GET", r"^/2/tweets$", self._lookup),
            ("POST", r"^/2/tweets$", self._create_tweet),
            ("POST", r"^/1\.1/media/upload\.json$", self._media_upload),
            ("POST", r"^/1\.1/media/metadata/create\.json$", self._media_metadata),
            ("GET", r"^/2/dm_events$", self._dm_events),
            ("GET", r"^/2/dm_conversations/([\w-]+)/dm_events$", self._dm_events),
            ("POST", r"^/2/dm_conversations/([\w-]+)/messages$", self._send_dm),
        ]
        for method, pattern, view in routes:
            match = re.match(pattern, request.path)
            if match and request.method == method:
                return view(request, *match.groups())
        return problem(404, "Not Found Error", f"no route {request.method} {request.path}")

    def _take_fault(self, path: str) -> Fault | None:
        for fault in list(self.faults):
            if fault.path is None or re.search(fault.path, path):
                self.faults.remove(fault)
                return fault
        return None

    def _fault_response(self, fault: Fault) -> Response:
        now = int(time.time())
        if fault.kind in ("429", "429-day"):
            response = problem(429, "Too Many Requests", "Too Many Requests")
            response.headers["x-rate-limit-limit"] = "75"
            response.headers["x-rate-limit-remaining"] = "0" if fault.kind == "429" else "12"
            response.headers["x-rate-limit-reset"] = str(now + fault.reset_in)
            if fault.kind == "429-day":
                response.headers["x-user-limit-24hour-limit"] = "100"
                response.headers["x-user-limit-24hour-remaining"] = "0"
                response.headers["x-user-limit-24hour-reset"] = str(now + 20 * 3600)
            return response
        if fault.kind in ("500", "503"):
            status = int(fault.kind)
            return problem(
                status,
                "Service Unavailable" if status == 503 else "Internal Server Error",
                "try later",
            )
        if fault.kind == "403-client-forbidden":
            return problem(
                403,
                "Client Forbidden",
                "When authenticating requests to the Twitter API v2 endpoints, you must use keys and "
                "tokens from a Twitter developer App that is attached to a Project.",
                "https://api.twitter.com/2/problems/client-forbidden",
            )
        if fault.kind == "401":
            return problem(401, "Unauthorized", "Unauthorized")
        if fault.kind == "timeout":
            time.sleep(self.timeout_sleep)
            return Response(json.dumps({"data": []}), content_type="application/json")
        if fault.kind == "truncated":
            response = Response(b'{"data": [{"id": "1", "te', content_type="application/json")
            response.headers["Content-Length"] = "4096"  # the connection closes well short of it
            return response
        if fault.kind == "malformed":
            return Response(b'{"data": [}{', content_type="application/json")
        if fault.kind == "data-not-list":
            return Response(
                json.dumps({"data": {"id": "1"}, "meta": {}}), content_type="application/json"
            )
        raise AssertionError(f"unknown fault {fault.kind}")

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            return header.removeprefix("Bearer ") in self.bearer_tokens
        if header.startswith("OAuth "):
            token = re.search(r'oauth_token="([^"]+)"', header)
            return bool(
                token and token.group(1) in self.bearer_tokens and "oauth_signature=" in header
            )
        return False

    def _token(self, request: Request) -> Response:
        form = request.form
        refresh = form.get("refresh_token", "")
        if form.get("grant_type") != "refresh_token" or self.refresh_tokens.get(
            refresh
        ) != form.get("client_id"):
            body = {
                "error": "invalid_request",
                "error_description": "Value passed for the token was invalid.",
            }
            return Response(json.dumps(body), status=400, content_type="application/json")
        del self.refresh_tokens[refresh]  # X rotates refresh tokens: each works once
        access, new_refresh = f"access-{self.next_id()}", f"refresh-{self.next_id()}"
        self.bearer_tokens.add(access)
        self.refresh_tokens[new_refresh] = self.client_id
        grant: dict[str, Any] = {
            "token_type": "bearer",
            "expires_in": 7200,
            "access_token": access,
            "scope": "tweet.read tweet.write users.read dm.read dm.write offline.access",
            "refresh_token": new_refresh,
        }
        return Response(json.dumps(grant), content_type="application/json")

    # ------------------------------------------------------------------ rendering

    @staticmethod
    def _fields(request: Request, name: str, default: tuple[str, ...]) -> set[str]:
        asked = request.args.get(name, "")
        return set(default) | {f for f in asked.split(",") if f}

    def _render_user(self, user: dict[str, Any], request: Request) -> dict[str, Any]:
        fields = self._fields(request, "user.fields", DEFAULT_USER_FIELDS)
        return {k: v for k, v in user.items() if k in fields}

    def _render_tweet(self, tweet: dict[str, Any], request: Request) -> dict[str, Any]:
        fields = self._fields(request, "tweet.fields", DEFAULT_TWEET_FIELDS)
        return {k: v for k, v in tweet.items() if k in fields}

    def _page(
        self, request: Request, tweets: list[dict[str, Any]], next_token: str | None
    ) -> Response:
        if not tweets:
            return Response(
                json.dumps({"meta": {"result_count": 0}}), content_type="application/json"
            )
        expansions = set(request.args.get("expansions", "").split(","))
        includes: dict[str, list[dict[str, Any]]] = {}
        user_ids: list[str] = []
        ref_tweets: list[dict[str, Any]] = []
        for t in tweets:
            if "author_id" in expansions and t.get("author_id"):
                user_ids.append(t["author_id"])
            if "in_reply_to_user_id" in expansions and t.get("in_reply_to_user_id"):
                user_ids.append(t["in_reply_to_user_id"])
            if "referenced_tweets.id" in expansions:
                for ref in t.get("referenced_tweets", []):
                    if ref["id"] in self.tweets:
                        ref_tweets.append(self.tweets[ref["id"]])
        if ref_tweets:
            includes["tweets"] = [self._render_tweet(t, request) for t in ref_tweets]
        if user_ids:
            unique = [u for u in dict.fromkeys(user_ids) if u in self.users]
            includes["users"] = [self._render_user(self.users[u], request) for u in unique]
        body: dict[str, Any] = {"data": [self._render_tweet(t, request) for t in tweets]}
        if includes:
            body["includes"] = includes
        meta: dict[str, Any] = {
            "result_count": len(tweets),
            "newest_id": tweets[0]["id"],
            "oldest_id": tweets[-1]["id"],
        }
        if next_token:
            meta["next_token"] = next_token
        body["meta"] = meta
        return Response(json.dumps(body), content_type="application/json")

    @staticmethod
    def _token_for(offset: int) -> str:
        return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")

    @staticmethod
    def _offset_of(token: str) -> int:
        padded = token + "=" * (-len(token) % 4)
        return int(base64.urlsafe_b64decode(padded).decode().split(":")[1])

    # ------------------------------------------------------------------ endpoints

    def _me(self, request: Request) -> Response:
        return Response(
            json.dumps({"data": self._render_user(self.users[self.me_id], request)}),
            content_type="application/json",
        )

    def _user(self, request: Request, user_id: str) -> Response:
        if user_id not in self.users:
            body = {
                "errors": [
                    {
                        "value": user_id,
                        "detail": f"Could not find user with id: [{user_id}].",
                        "title": "Not Found Error",
                        "resource_type": "user",
                        "parameter": "id",
                        "resource_id": user_id,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                ]
            }
            return Response(json.dumps(body), content_type="application/json")
        return Response(
            json.dumps({"data": self._render_user(self.users[user_id], request)}),
            content_type="application/json",
        )

    def _mentions(self, request: Request, user_id: str) -> Response:
        max_results = int(request.args.get("max_results", "10"))
        if not 5 <= max_results <= 100:
            return problem(
                400,
                "Invalid Request",
                "One or more parameters to your request was invalid.",
                "https://api.twitter.com/2/problems/invalid-request",
            )
        ids = sorted((int(i) for i in self.mention_ids), reverse=True)[:MENTIONS_REACHABLE]
        since, until = request.args.get("since_id"), request.args.get("until_id")
        if since:
            ids = [i for i in ids if i > int(since)]
        elif request.args.get("start_time"):
            start = datetime.fromisoformat(request.args["start_time"])
            ids = [i for i in ids if self._created(str(i), start) >= start]
        if until:
            ids = [i for i in ids if i < int(until)]
        if "pagination_token" in request.args:
            # X's tokens are anchored: the same token gives the same next page, however
            # many mentions arrived since (an offset would shift and repeat posts).
            try:
                below = self._anchor_of(request.args["pagination_token"])
            except (ValueError, IndexError):
                return problem(
                    400,
                    "Invalid Request",
                    "The `pagination_token` query parameter value is not valid",
                    "https://api.twitter.com/2/problems/invalid-request",
                )
            ids = [i for i in ids if i < below]
        page = ids[:max_results]
        more = len(ids) > max_results
        token = self._anchor_token(page[-1]) if more else None
        return self._page(request, [self.tweets[str(i)] for i in page], token)

    @staticmethod
    def _anchor_token(below: int) -> str:
        return base64.urlsafe_b64encode(f"below:{below}".encode()).decode().rstrip("=")

    @staticmethod
    def _anchor_of(token: str) -> int:
        padded = token + "=" * (-len(token) % 4)
        kind, value = base64.urlsafe_b64decode(padded).decode().split(":")
        if kind != "below":
            raise ValueError(token)
        return int(value)

    def _created(self, tweet_id: str, fallback: datetime) -> datetime:
        """When a tweet was made (tests may corrupt the field: then it counts as recent)."""
        try:
            return datetime.fromisoformat(self.tweets[tweet_id]["created_at"])
        except (KeyError, TypeError, ValueError):
            return fallback

    def _user_tweets(self, request: Request, user_id: str) -> Response:
        own = sorted(
            (t for t in self.tweets.values() if t.get("author_id") == user_id),
            key=lambda t: int(t["id"]),
            reverse=True,
        )
        return self._page(request, own[: int(request.args.get("max_results", "10"))], None)

    def _lookup(self, request: Request) -> Response:
        ids = request.args.get("ids", "").split(",")
        found = [self.tweets[i] for i in ids if i in self.tweets]
        errors = [
            {
                "value": i,
                "detail": f"Could not find tweet with ids: [{i}].",
                "title": "Not Found Error",
                "resource_type": "tweet",
                "parameter": "ids",
                "resource_id": i,
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }
            for i in ids
            if i not in self.tweets
        ]
        body: dict[str, Any] = {}
        if found:
            body["data"] = [self._render_tweet(t, request) for t in found]
        if errors:
            body["errors"] = errors
        return Response(json.dumps(body), content_type="application/json")

    def _create_tweet(self, request: Request) -> Response:
        payload = request.get_json()
        self.created.append(payload)
        text = payload.get("text", "")
        reply_to = payload.get("reply", {}).get("in_reply_to_tweet_id")
        if reply_to and reply_to not in self.tweets:
            return problem(
                403,
                "Forbidden",
                "You attempted to reply to a Tweet that is deleted or not visible to you.",
            )
        recent_own = [t for t in self.tweets.values() if t.get("author_id") == self.me_id]
        if any(t["text"] == text for t in recent_own):
            return problem(
                403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
            )
        media_ids = payload.get("media", {}).get("media_ids", [])
        if len(media_ids) > 4 or any(m not in self.uploads for m in media_ids):
            return problem(
                400,
                "Invalid Request",
                "One or more parameters to your request was invalid.",
                "https://api.twitter.com/2/problems/invalid-request",
            )
        keys = [f"3_{m}" for m in media_ids]
        tweet = self.post(self.me_id, text, reply_to=reply_to, mention=False, media_keys=keys)
        data = {"id": tweet["id"], "text": text, "edit_history_tweet_ids": [tweet["id"]]}
        return Response(json.dumps({"data": data}), status=201, content_type="application/json")

    @staticmethod
    def _v1_error(status: int, code: int, message: str) -> Response:
        body = {"errors": [{"code": code, "message": message}]}
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _media_upload(self, request: Request) -> Response:
        """v1.1 ``POST media/upload`` (simple upload, multipart ``media``), answered as
        X documents it: media_id, media_id_string, size, expires_after_secs, image."""
        upload = request.files.get("media")
        if upload is None:
            return self._v1_error(400, 38, "media parameter is missing.")
        data = upload.read()
        kinds = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"GIF8": "image/gif"}
        kind = next((v for k, v in kinds.items() if data.startswith(k)), None)
        if kind is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            kind = "image/webp"
        if kind is None:
            return self._v1_error(400, 324, "Invalid media type.")
        if len(data) > 5 * 1024 * 1024:
            return self._v1_error(400, 324, "File size exceeds 5242880 bytes.")
        media_id = self.next_id()
        self.uploads[media_id] = {"bytes": len(data), "alt_text": None, "mimetype": kind}
        body = {
            "media_id": int(media_id),
            "media_id_string": media_id,
            "size": len(data),
            "expires_after_secs": 86400,
            "image": {"image_type": kind, "w": 1, "h": 1},
        }
        return Response(json.dumps(body), status=200, content_type="application/json")

    def _media_metadata(self, request: Request) -> Response:
        """v1.1 ``POST media/metadata/create``: alt text (1,000 characters at most)."""
        payload = request.get_json()
        media_id = str(payload.get("media_id", ""))
        alt = payload.get("alt_text", {}).get("text", "")
        if media_id not in self.uploads:
            return self._v1_error(400, 324, "Invalid media id.")
        if len(alt) > 1000:
            return self._v1_error(400, 44, "alt_text.text must be at most 1000 characters.")
        self.uploads[media_id]["alt_text"] = alt
        return Response(b"", status=200)

    def _dm_events(self, request: Request, conversation_id: str | None = None) -> Response:
        if self.dm_forbidden:
            return problem(
                403,
                "Forbidden",
                "You are not permitted to use this endpoint.",
                "https://api.twitter.com/2/problems/client-forbidden",
            )
        max_results = int(request.args.get("max_results", "100"))
        events = sorted(self.dm_events, key=lambda e: int(e["id"]), reverse=True)
        if conversation_id:
            events = [e for e in events if e["dm_conversation_id"] == conversation_id]
        if request.args.get("event_types"):
            events = [e for e in events if e["event_type"] == request.args["event_types"]]
        token = request.args.get("pagination_token")
        if token is not None:
            try:
                offset = self._offset_of(token)
            except (ValueError, IndexError):
                return problem(
                    400,
                    "Invalid Request",
                    "The `pagination_token` query parameter value is not valid",
                    "https://api.twitter.com/2/problems/invalid-request",
                )
        else:
            offset = 0
        page = events[offset : offset + max_results]
        fields = self._fields(request, "dm_event.fields", DEFAULT_DM_FIELDS)
        if not page:
            return Response(
                json.dumps({"meta": {"result_count": 0}}), content_type="application/json"
            )
        body: dict[str, Any] = {"data": [{k: v for k, v in e.items() if k in fields} for e in page]}
        if "sender_id" in request.args.get("expansions", ""):
            senders = [s for s in dict.fromkeys(e["sender_id"] for e in page) if s in self.users]
            body["includes"] = {
                "users": [self._render_user(self.users[s], request) for s in senders]
            }
        meta: dict[str, Any] = {"result_count": len(page)}
        if offset + max_results < len(events):
            meta["next_token"] = self._token_for(offset + max_results)
        if offset:
            meta["previous_token"] = self._token_for(max(0, offset - max_results))
        body["meta"] = meta
        return Response(json.dumps(body), content_type="application/json")

    def _send_dm(self, request: Request, conversation_id: str) -> Response:
        payload = request.get_json()
        event = self.dm(self.me_id, conversation_id, payload["text"])
        data = {"dm_conversation_id": conversation_id, "dm_event_id": event["id"]}
        return Response(json.dumps({"data": data}), status=201, content_type="application/json")


def minutes_ago(n: int) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=n)
