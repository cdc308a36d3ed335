"""A small, faithful Bluesky PDS (plus AppView and chat bits) on pytest-httpserver.

What makes it faithful where the connector cares:

* Sessions: ``createSession`` / ``refreshSession`` / ``getSession`` answer with the
  real payload shapes; the access token is an HS256 JWT (``typ: at+jwt``) with an
  ``exp``, the refresh token a JWT (``typ: refresh+jwt``) with a ``jti``; a refresh
  token is single-use (rotation revokes it: ``ExpiredToken``, "Token has been
  revoked"), an expired access token gets ``400 ExpiredToken``, and ``didDoc``
  names this server as the PDS (atproto switches to whatever it says).
* ``listNotifications`` pages newest first by ``indexedAt`` with an opaque
  cursor and no "since", honours ``reasons``, and drops notifications whose
  post was deleted, as the AppView does.
* Errors are XRPC bodies (``{"error", "message"}``) with the PDS rate-limit
  headers (``ratelimit-limit/remaining/reset/policy``).
* Chat endpoints demand the ``atproto-proxy`` header, and refuse app passwords
  without DM access with ``400 InvalidToken`` ("Bad token scope").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
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

CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"
SECRET = b"fake-pds-jwt-secret"
ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def jwt(header: dict[str, Any], payload: dict[str, Any]) -> str:
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    signature = hmac.new(SECRET, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def verify(token: str) -> dict[str, Any] | None:
    """The payload of a JWT this server signed, or None."""
    try:
        signing_input, signature = token.rsplit(".", 1)
        expected = b64url(hmac.new(SECRET, signing_input.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(signature, expected):
            return None
        payload = signing_input.split(".")[1]
        decoded: dict[str, Any] = json.loads(
            base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        )
        return decoded
    except (ValueError, IndexError):
        return None


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def fake_cid(content: Any) -> str:
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).digest()
    return "bafyrei" + "".join(ALPHABET[b % 32] for b in digest)[:52]


def xrpc_error(status: int, error: str, message: str) -> Response:
    return Response(
        json.dumps({"error": error, "message": message}),
        status=status,
        content_type="application/json",
    )


def ok(body: Any) -> Response:
    return Response(json.dumps(body), content_type="application/json; charset=utf-8")


@dataclass
class Fault:
    kind: str  # 429 | 500 | 502 | timeout | truncated | malformed | expired
    nsid: str | None = None


@dataclass
class FakeBluesky:
    server: HTTPServer
    handle: str = "artist.bsky.social"
    password: str = "app-pass-1234"
    access_ttl: int = 7200
    chat_allowed: bool = True
    timeout_sleep: float = 1.8
    did: str = "did:plc:artist0000000000000000"
    actors: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: dict[str, dict[str, Any]] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    convos: dict[str, dict[str, Any]] = field(default_factory=dict)
    chat_log: list[dict[str, Any]] = field(default_factory=list)
    live_refresh_jtis: set[str] = field(default_factory=set)
    issued_access: set[str] = field(default_factory=set)
    revoked_access: set[str] = field(default_factory=set)
    faults: deque[Fault] = field(default_factory=deque)
    calls: list[str] = field(default_factory=list)
    # com.atproto.repo.uploadBlob: blobs by CID ({"mimeType", "size"}), as the PDS keeps them.
    blobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    max_blob_bytes: int = 5_000_000  # the PDS's own upload limit (PDS_BLOB_UPLOAD_LIMIT)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _clock: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(hours=1))

    def __post_init__(self) -> None:
        self.add_actor(self.handle, "The Artist", did=self.did)
        self.server.expect_request(re.compile(r"^/xrpc/.*")).respond_with_handler(
            self.handle_request
        )

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    # ------------------------------------------------------------------ world building

    def tick(self, seconds: float = 1.0) -> datetime:
        """A monotonic fake clock for createdAt/indexedAt, an hour behind real time."""
        self._clock += timedelta(seconds=seconds)
        return self._clock

    def add_actor(self, handle: str, name: str = "", did: str | None = None) -> str:
        did = did or f"did:plc:{hashlib.sha256(handle.encode()).hexdigest()[:24]}"
        self.actors[did] = {
            "did": did,
            "handle": handle,
            "displayName": name or handle.split(".")[0].title(),
            "avatar": f"https://cdn.bsky.app/img/avatar/plain/{did}/bafkreiavatar@jpeg",
            "labels": [],
            "createdAt": "2023-08-01T10:00:00.000Z",
            "description": f"bio of {handle}",
            "indexedAt": "2024-01-01T00:00:00.000Z",
        }
        return did

    def basic(self, did: str) -> dict[str, Any]:
        actor = self.actors[did]
        return {
            k: actor[k] for k in ("did", "handle", "displayName", "avatar", "labels", "createdAt")
        }

    def post(
        self,
        author: str,
        text: str,
        *,
        reply_to: str | None = None,
        quote: str | None = None,
        indexed_shift: float = 0.0,
        rkey: str | None = None,
    ) -> dict[str, Any]:
        """A post by ``author``; notifies the artist of replies, mentions and quotes.

        ``indexed_shift`` moves its ``indexedAt`` off its creation time (negative:
        it shows up in the list below posts the artist has already seen).
        """
        created = self.tick()
        rkey = rkey or "3l" + "".join(ALPHABET[(next(self._seq) * 7 + i) % 32] for i in range(11))
        uri = f"at://{author}/app.bsky.feed.post/{rkey}"
        record: dict[str, Any] = {
            "$type": "app.bsky.feed.post",
            "text": text,
            "createdAt": iso(created),
            "langs": ["en"],
        }
        mention = f"@{self.handle}"
        if mention in text:
            start = len(text[: text.index(mention)].encode())
            record["facets"] = [
                {
                    "$type": "app.bsky.richtext.facet",
                    "index": {"byteStart": start, "byteEnd": start + len(mention.encode())},
                    "features": [{"$type": "app.bsky.richtext.facet#mention", "did": self.did}],
                }
            ]
        if reply_to:
            parent = self.posts[reply_to]
            root = parent["record"].get("reply", {}).get("root") or {
                "uri": parent["uri"],
                "cid": parent["cid"],
            }
            record["reply"] = {"root": root, "parent": {"uri": parent["uri"], "cid": parent["cid"]}}
        if quote:
            quoted = self.posts[quote]
            record["embed"] = {
                "$type": "app.bsky.embed.record",
                "record": {"uri": quoted["uri"], "cid": quoted["cid"]},
            }
        view = {
            "uri": uri,
            "cid": fake_cid(record),
            "author": self.basic(author),
            "record": record,
            "replyCount": 0,
            "repostCount": 0,
            "likeCount": 0,
            "quoteCount": 0,
            "indexedAt": iso(created + timedelta(seconds=indexed_shift)),
            "labels": [],
        }
        self.posts[uri] = view
        if author != self.did:
            reason, subject = None, None
            if reply_to and self.posts[reply_to]["author"]["did"] == self.did:
                reason, subject = "reply", reply_to
            elif quote and self.posts[quote]["author"]["did"] == self.did:
                reason, subject = "quote", quote
            elif mention in text:
                reason = "mention"
            if reason:
                self.notify(view, reason, subject)
        return view

    def notify(self, view: dict[str, Any], reason: str, subject: str | None) -> dict[str, Any]:
        note = {
            "uri": view["uri"],
            "cid": view["cid"],
            "author": {
                **self.basic(view["author"]["did"]),
                "viewer": {"muted": False, "blockedBy": False},
            },
            "reason": reason,
            "record": view["record"],
            "isRead": False,
            "indexedAt": view["indexedAt"],
            "labels": [],
        }
        if subject:
            note["reasonSubject"] = subject
        self.notifications.append(note)
        return note

    def like(self, liker: str, uri: str) -> None:
        created = self.tick()
        like_uri = f"at://{liker}/app.bsky.feed.like/3l{next(self._seq):011d}"
        record = {
            "$type": "app.bsky.feed.like",
            "subject": {"uri": uri, "cid": self.posts[uri]["cid"]},
            "createdAt": iso(created),
        }
        self.notifications.append(
            {
                "uri": like_uri,
                "cid": fake_cid(record),
                "author": self.basic(liker),
                "reason": "like",
                "reasonSubject": uri,
                "record": record,
                "isRead": False,
                "indexedAt": iso(created),
                "labels": [],
            }
        )

    def delete(self, uri: str) -> None:
        self.posts.pop(uri)

    def convo(self, member: str) -> str:
        convo_id = f"3convo{next(self._seq):08d}"
        self.convos[convo_id] = {
            "id": convo_id,
            "rev": self._rev(),
            "members": [self.basic(self.did), self.basic(member)],
            "muted": False,
            "status": "accepted",
            "unreadCount": 0,
            "messages": [],
        }
        return convo_id

    def _rev(self) -> str:
        return f"22{next(self._seq):011d}"

    def message(self, convo_id: str, sender: str, text: str) -> dict[str, Any]:
        convo = self.convos[convo_id]
        msg = {
            "$type": "chat.bsky.convo.defs#messageView",
            "id": f"msg{next(self._seq):06d}",
            "rev": self._rev(),
            "text": text,
            "sender": {"did": sender},
            "sentAt": iso(self.tick()),
        }
        convo["messages"].append(msg)
        convo["rev"] = msg["rev"]
        convo["lastMessage"] = msg
        self.chat_log.append(
            {
                "$type": "chat.bsky.convo.defs#logCreateMessage",
                "rev": msg["rev"],
                "convoId": convo_id,
                "message": msg,
            }
        )
        return msg

    def delete_message(self, convo_id: str, message_id: str) -> None:
        convo = self.convos[convo_id]
        msg = next(m for m in convo["messages"] if m["id"] == message_id)
        deleted = {
            "$type": "chat.bsky.convo.defs#deletedMessageView",
            "id": msg["id"],
            "rev": self._rev(),
            "sender": msg["sender"],
            "sentAt": msg["sentAt"],
        }
        self.chat_log.append(
            {
                "$type": "chat.bsky.convo.defs#logDeleteMessage",
                "rev": deleted["rev"],
                "convoId": convo_id,
                "message": deleted,
            }
        )

    def fail_next(self, kind: str, nsid: str | None = None, count: int = 1) -> None:
        for _ in range(count):
            self.faults.append(Fault(kind, nsid))

    def revoke_all_sessions(self) -> None:
        """What a PDS does on a password change: every token issued so far dies."""
        self.revoked_access |= self.issued_access
        self.live_refresh_jtis.clear()

    # ------------------------------------------------------------------ sessions

    def _session_body(self) -> dict[str, Any]:
        now = int(time.time())
        jti = hashlib.sha256(f"{now}-{next(self._seq)}".encode()).hexdigest()[:32]
        self.live_refresh_jtis.add(jti)
        access = jwt(
            {"typ": "at+jwt", "alg": "HS256"},
            {
                "scope": "com.atproto.appPass",
                "sub": self.did,
                "iat": now,
                "exp": now + self.access_ttl,
                "aud": "did:web:fake.pds",
                "chat": self.chat_allowed,
                "jti": f"a{jti}",
            },
        )
        refresh = jwt(
            {"typ": "refresh+jwt", "alg": "HS256"},
            {
                "scope": "com.atproto.refresh",
                "sub": self.did,
                "aud": "did:web:fake.pds",
                "jti": jti,
                "iat": now,
                "exp": now + 90 * 86400,
            },
        )
        self.issued_access.add(access)
        return {
            "did": self.did,
            "didDoc": {
                "@context": ["https://www.w3.org/ns/did/v1"],
                "id": self.did,
                "alsoKnownAs": [f"at://{self.handle}"],
                "service": [
                    {
                        "id": "#atproto_pds",
                        "type": "AtprotoPersonalDataServer",
                        "serviceEndpoint": self.base_url,
                    }
                ],
            },
            "handle": self.handle,
            "accessJwt": access,
            "refreshJwt": refresh,
            "active": True,
        }

    def _bearer(self, request: Request) -> str:
        return request.headers.get("Authorization", "").removeprefix("Bearer ")

    def _check_access(self, request: Request) -> Response | dict[str, Any]:
        payload = verify(self._bearer(request))
        if payload is None or payload.get("scope") == "com.atproto.refresh":
            return xrpc_error(400, "InvalidToken", "Token could not be verified")
        if payload["exp"] <= time.time() or self._bearer(request) in self.revoked_access:
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        return payload

    # ------------------------------------------------------------------ dispatch

    def handle_request(self, request: Request) -> Response:
        nsid = request.path.removeprefix("/xrpc/")
        self.calls.append(nsid)
        for fault in list(self.faults):
            if fault.nsid is None or fault.nsid == nsid:
                self.faults.remove(fault)
                return self._fault(fault)
        if nsid == "com.atproto.server.createSession":
            body = request.get_json()
            if (
                body.get("identifier") not in (self.handle, self.did)
                or body.get("password") != self.password
            ):
                return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
            return ok(
                {**self._session_body(), "email": "artist@example.org", "emailConfirmed": True}
            )
        if nsid == "com.atproto.server.refreshSession":
            payload = verify(self._bearer(request))
            if payload is None or payload.get("scope") != "com.atproto.refresh":
                return xrpc_error(400, "InvalidToken", "Token could not be verified")
            if payload["jti"] not in self.live_refresh_jtis:
                return xrpc_error(400, "ExpiredToken", "Token has been revoked")
            self.live_refresh_jtis.discard(payload["jti"])
            return ok(self._session_body())
        checked = self._check_access(request)
        if isinstance(checked, Response):
            return checked
        if nsid.startswith("chat.bsky."):
            if request.headers.get("atproto-proxy") != CHAT_PROXY:
                return xrpc_error(404, "MethodNotImplemented", "Method Not Implemented")
            if not checked.get("chat"):
                return xrpc_error(400, "InvalidToken", "Bad token scope")
        routes: dict[str, Callable[[Request], Response]] = {
            "com.atproto.server.getSession": self._get_session,
            "app.bsky.notification.listNotifications": self._list_notifications,
            "app.bsky.feed.getPosts": self._get_posts,
            "app.bsky.actor.getProfile": self._get_profile,
            "com.atproto.repo.getRecord": self._get_record,
            "com.atproto.repo.createRecord": self._create_record,
            "com.atproto.repo.uploadBlob": self._upload_blob,
            "com.atproto.identity.resolveHandle": self._resolve_handle,
            "chat.bsky.convo.listConvos": self._list_convos,
            "chat.bsky.convo.getConvo": self._get_convo,
            "chat.bsky.convo.getLog": self._get_log,
            "chat.bsky.convo.getMessages": self._get_messages,
            "chat.bsky.convo.sendMessage": self._send_message,
        }
        view = routes.get(nsid)
        if view is None:
            return xrpc_error(501, "MethodNotImplemented", "Method Not Implemented")
        return view(request)

    def _fault(self, fault: Fault) -> Response:
        if fault.kind == "429":
            response = xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded")
            response.headers["ratelimit-limit"] = "3000"
            response.headers["ratelimit-remaining"] = "0"
            response.headers["ratelimit-reset"] = str(int(time.time()) + 240)
            response.headers["ratelimit-policy"] = "3000;w=300"
            return response
        if fault.kind in ("500", "502"):
            return xrpc_error(int(fault.kind), "InternalServerError", "Internal Server Error")
        if fault.kind == "timeout":
            time.sleep(self.timeout_sleep)
            return ok({})
        if fault.kind == "truncated":
            response = Response(
                b'{"notifications": [{"uri": "at://', content_type="application/json"
            )
            response.headers["Content-Length"] = "4096"
            return response
        if fault.kind == "malformed":
            return Response(b'{"notifications": [,,]', content_type="application/json")
        if fault.kind == "expired":
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        raise AssertionError(f"unknown fault {fault.kind}")

    # ------------------------------------------------------------------ endpoints

    def _get_session(self, request: Request) -> Response:
        return ok(
            {
                "handle": self.handle,
                "did": self.did,
                "email": "artist@example.org",
                "emailConfirmed": True,
                "active": True,
            }
        )

    def _list_notifications(self, request: Request) -> Response:
        limit = int(request.args.get("limit", "50"))
        if not 1 <= limit <= 100:
            return xrpc_error(400, "InvalidRequest", "limit must be between 1 and 100")
        reasons = set(request.args.getlist("reasons"))
        visible = [n for n in self.notifications if n["reason"] == "like" or n["uri"] in self.posts]
        if reasons:
            visible = [n for n in visible if n["reason"] in reasons]
        ordered = sorted(visible, key=lambda n: (n["indexedAt"], n.get("cid", "")), reverse=True)
        if request.args.get("cursor"):
            at, cid = request.args["cursor"].split("::")
            ordered = [n for n in ordered if (n["indexedAt"], n.get("cid", "")) < (at, cid)]
        page = ordered[:limit]
        body: dict[str, Any] = {
            "notifications": page,
            "priority": False,
            "seenAt": iso(datetime.now(UTC)),
        }
        if len(ordered) > limit:
            body["cursor"] = f"{page[-1]['indexedAt']}::{page[-1].get('cid', '')}"
        return ok(body)

    def _get_posts(self, request: Request) -> Response:
        uris = request.args.getlist("uris")
        if len(uris) > 25:
            return xrpc_error(400, "InvalidRequest", "uris must not have more than 25 elements")
        return ok({"posts": [self.posts[u] for u in uris if u in self.posts]})

    def _get_profile(self, request: Request) -> Response:
        actor = request.args.get("actor", "")
        found = self.actors.get(actor) or next(
            (a for a in self.actors.values() if a["handle"] == actor), None
        )
        if found is None:
            return xrpc_error(400, "InvalidRequest", "Profile not found")
        return ok({**found, "followersCount": 12, "followsCount": 3, "postsCount": 40})

    def _get_record(self, request: Request) -> Response:
        uri = f"at://{request.args['repo']}/{request.args['collection']}/{request.args['rkey']}"
        if uri not in self.posts:
            return xrpc_error(400, "RecordNotFound", f"Could not locate record: {uri}")
        view = self.posts[uri]
        return ok({"uri": uri, "cid": view["cid"], "value": view["record"]})

    def _create_record(self, request: Request) -> Response:
        body = request.get_json()
        if body.get("repo") != self.did:
            return xrpc_error(400, "InvalidRequest", "Invalid repo")
        record = body["record"]
        if len(record.get("text", "")) > 3000:
            return xrpc_error(
                400,
                "InvalidRequest",
                "Invalid app.bsky.feed.post record: Record/text must not be longer than 3000 characters",
            )
        embed = record.get("embed")
        if isinstance(embed, dict) and embed.get("$type") == "app.bsky.embed.images":
            images = embed.get("images", [])
            if not 1 <= len(images) <= 4:
                return xrpc_error(
                    400,
                    "InvalidRequest",
                    "Invalid app.bsky.feed.post record: Record/embed/images must not have more than 4 elements",
                )
            for image in images:
                ref = image.get("image", {}).get("ref", {}).get("$link")
                if ref not in self.blobs or "alt" not in image:
                    return xrpc_error(400, "InvalidRequest", f"Could not find blob: {ref}")
                if image["image"].get("size", 0) > 2_000_000:
                    return xrpc_error(
                        400,
                        "InvalidRequest",
                        "Invalid app.bsky.feed.post record: Record/embed/images/0/image file too large. 2000000 bytes maximum",
                    )
        rkey = body.get("rkey") or f"3l{next(self._seq):011d}"
        uri = f"at://{self.did}/{body['collection']}/{rkey}"
        if uri in self.posts:
            return xrpc_error(400, "InvalidRequest", "Record already exists")
        created = self.tick()
        self.posts[uri] = {
            "uri": uri,
            "cid": fake_cid(record),
            "author": self.basic(self.did),
            "record": record,
            "indexedAt": iso(created),
            "labels": [],
        }
        return ok(
            {
                "uri": uri,
                "cid": self.posts[uri]["cid"],
                "commit": {"cid": fake_cid(uri), "rev": self._rev()},
                "validationStatus": "valid",
            }
        )

    def _upload_blob(self, request: Request) -> Response:
        """``com.atproto.repo.uploadBlob``: the raw bytes in, a blob ref out (the PDS
        sniffs the MIME type itself; the client's Content-Type is only a hint)."""
        data = request.get_data()
        if len(data) > self.max_blob_bytes:
            return xrpc_error(400, "PayloadTooLarge", "request entity too large")
        kinds = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"GIF8": "image/gif"}
        mime = next((v for k, v in kinds.items() if data.startswith(k)), None)
        if mime is None:
            mime = "image/webp" if data[8:12] == b"WEBP" else "application/octet-stream"
        cid = "bafkrei" + "".join(ALPHABET[b % 32] for b in hashlib.sha256(data).digest())[:52]
        self.blobs[cid] = {"mimeType": mime, "size": len(data)}
        return ok(
            {"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(data)}}
        )

    def _resolve_handle(self, request: Request) -> Response:
        handle = request.args.get("handle", "")
        for actor in self.actors.values():
            if actor["handle"] == handle:
                return ok({"did": actor["did"]})
        return xrpc_error(400, "InvalidRequest", "Unable to resolve handle")

    def _convo_view(self, convo: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in convo.items() if k != "messages"}

    def _list_convos(self, request: Request) -> Response:
        limit = int(request.args.get("limit", "50"))
        convos = sorted(self.convos.values(), key=lambda c: c["rev"], reverse=True)
        if request.args.get("cursor"):
            convos = [c for c in convos if c["rev"] < request.args["cursor"]]
        body: dict[str, Any] = {"convos": [self._convo_view(c) for c in convos[:limit]]}
        if len(convos) > limit:
            body["cursor"] = convos[limit - 1]["rev"]
        return ok(body)

    def _get_messages(self, request: Request) -> Response:
        """A conversation's messages, newest first, paged by an opaque cursor."""
        convo = self.convos.get(request.args.get("convoId", ""))
        if convo is None:
            return xrpc_error(400, "InvalidConvo", "Convo not found")
        limit = int(request.args.get("limit", "50"))
        messages = sorted(convo["messages"], key=lambda m: m["rev"], reverse=True)
        if request.args.get("cursor"):
            messages = [m for m in messages if m["rev"] < request.args["cursor"]]
        body: dict[str, Any] = {"messages": messages[:limit]}
        if len(messages) > limit:
            body["cursor"] = messages[limit - 1]["rev"]
        return ok(body)

    def _get_convo(self, request: Request) -> Response:
        convo = self.convos.get(request.args.get("convoId", ""))
        if convo is None:
            return xrpc_error(400, "InvalidRequest", "Convo not found")
        return ok({"convo": self._convo_view(convo)})

    def _get_log(self, request: Request) -> Response:
        since = request.args.get("cursor", "")
        logs = [entry for entry in self.chat_log if entry["rev"] > since][:50]
        body: dict[str, Any] = {"logs": logs}
        body["cursor"] = logs[-1]["rev"] if logs else since
        return ok(body)

    def _send_message(self, request: Request) -> Response:
        body = request.get_json()
        convo_id = body["convoId"]
        if convo_id not in self.convos:
            return xrpc_error(400, "InvalidRequest", "Convo not found")
        msg = self.message(convo_id, self.did, body["message"]["text"])
        return ok({k: v for k, v in msg.items() if k != "$type"})
