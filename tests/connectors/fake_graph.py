"""A small, stateful Graph API on pytest-httpserver, for the Instagram and
Facebook connector tests.

It answers the way Graph documents it: ``{"data": [...], "paging": {"cursors":
{"before", "after"}, "next"}}`` with opaque id-based cursors, field selection
with nesting and modifiers (``replies.limit(50){id,text}``,
``comments.filter(stream).limit(0).summary(true)``, ``parent{id,parent{id}}``,
``mentioned_comment.comment_id(1){...}``), error objects
``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`` and
an error for fields a node type does not have, so a connector asking for an
undocumented field fails here as it would on Meta's servers.

Faults are queued with :meth:`FakeGraph.fail` and consumed by the next
matching request.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import random
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

API_VERSION = "v21.0"

# Fields each node type has (a subset of Meta's reference, enough to catch typos).
NODE_FIELDS: dict[str, set[str]] = {
    "IGUser": {
        "id",
        "username",
        "name",
        "profile_pic",
        "media",
        "mentioned_comment",
        "mentioned_media",
        "biography",
        "followers_count",
    },
    "IGMedia": {
        "id",
        "caption",
        "permalink",
        "timestamp",
        "comments_count",
        "media_product_type",
        "media_type",
        "username",
        "like_count",
        "comments",
        "owner",
    },
    "IGComment": {
        "id",
        "text",
        "timestamp",
        "username",
        "from",
        "like_count",
        "hidden",
        "parent_id",
        "replies",
        "media",
        "user",
        "legacy_instagram_comment_id",
    },
    "Page": {"id", "name", "feed", "posts", "picture", "link"},
    "PagePost": {
        "id",
        "message",
        "permalink_url",
        "created_time",
        "updated_time",
        "from",
        "comments",
        "status_type",
    },
    "Comment": {
        "id",
        "message",
        "created_time",
        "from",
        "parent",
        "permalink_url",
        "is_hidden",
        "like_count",
        "comment_count",
        "attachment",
        "message_tags",
        "comments",
        "can_hide",
        "can_remove",
        "user_likes",
        "object",
    },
    "User": {"id", "name", "picture", "link"},
    # What the mentioned_comment / mentioned_media fields expose (fewer than the nodes).
    "IGMentionedComment": {"id", "like_count", "media", "text", "timestamp"},
    "IGMentionedMedia": {
        "id",
        "caption",
        "comments",
        "comments_count",
        "like_count",
        "media_type",
        "media_url",
        "owner",
        "timestamp",
        "username",
    },
}


# -- Graph field syntax ----------------------------------------------------------------


@dataclass
class FieldSpec:
    modifiers: dict[str, str] = field(default_factory=dict)
    sub: dict[str, FieldSpec] | None = None


def parse_fields(spec: str) -> dict[str, FieldSpec]:
    fields, rest = _parse_list(spec.replace(" ", ""))
    if rest:
        raise ValueError(f"unexpected {rest!r} in fields")
    return fields


def _parse_list(s: str) -> tuple[dict[str, FieldSpec], str]:
    out: dict[str, FieldSpec] = {}
    while s:
        m = re.match(r"[A-Za-z_]+", s)
        if not m:
            raise ValueError(f"bad field at {s!r}")
        name, s = m.group(0), s[m.end() :]
        spec = FieldSpec()
        while s.startswith("."):
            mm = re.match(r"\.([A-Za-z_]+)\(([^()]*)\)", s)
            if not mm:
                raise ValueError(f"bad modifier at {s!r}")
            spec.modifiers[mm.group(1)] = mm.group(2)
            s = s[mm.end() :]
        if s.startswith("{"):
            spec.sub, s = _parse_list(s[1:])
            if not s.startswith("}"):
                raise ValueError("unclosed {")
            s = s[1:]
        out[name] = spec
        if s.startswith(","):
            s = s[1:]
        elif s and not s.startswith("}"):
            raise ValueError(f"unexpected {s!r}")
        else:
            break
    return out, s


# -- faults -----------------------------------------------------------------------------


@dataclass
class Fault:
    kind: str  # auth | rate_limit | server_error | graph_error | timeout | truncated | cut
    path_contains: str = ""
    method: str | None = None
    status: int = 400
    code: int = 1
    subcode: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.5
    times: int = 1
    skip: int = 0  # let this many matching requests through first


class GraphGraphError(Exception):
    def __init__(self, status: int, code: int, message: str, subcode: int | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.subcode = status, code, message, subcode


# -- the fake -------------------------------------------------------------------------------


class FakeGraph:
    def __init__(self, httpserver: HTTPServer, token: str = "EAAG-test-token") -> None:
        self.server = httpserver
        self.token = token
        self.objects: dict[str, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = []
        self._ids = itertools.count(17_840_000_000_000_001)
        self._chaos: tuple[float, random.Random] | None = None
        httpserver.expect_request(re.compile(rf"^/{API_VERSION}/.*")).respond_with_handler(
            self.handle
        )

    @property
    def base_url(self) -> str:
        return self.server.url_for(f"/{API_VERSION}")

    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)

    def new_id(self) -> str:
        return str(next(self._ids))

    # -- building data ----------------------------------------------------------

    def add(self, node_type: str, **data: Any) -> dict[str, Any]:
        obj = {"id": data.pop("id", None) or self.new_id(), "_type": node_type, **data}
        self.objects[obj["id"]] = obj
        return obj

    def ig_account(self, username: str = "the_band") -> dict[str, Any]:
        return self.add("IGUser", username=username)

    def ig_media(
        self, owner: dict[str, Any], *, age: timedelta, caption: str = ""
    ) -> dict[str, Any]:
        media_id = self.new_id()
        return self.add(
            "IGMedia",
            id=media_id,
            caption=caption,
            permalink=f"https://www.instagram.com/p/{media_id}/",
            timestamp=_ig_time(self.now() - age),
            media_product_type="FEED",
            media_type="IMAGE",
            username=owner["username"],
            _owner=owner["id"],
        )

    def ig_comment(
        self,
        media: dict[str, Any],
        text: str,
        *,
        username: str = "fan_one",
        user_id: str | None = None,
        age: timedelta = timedelta(0),
        parent: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "text": text,
            "timestamp": _ig_time(self.now() - age),
            "username": username,
            "from": {"id": user_id or _scoped_id(username), "username": username},
            "like_count": 0,
            "hidden": False,
            "_media": media["id"],
            **extra,
        }
        if parent is not None:
            data["parent_id"] = parent["id"]
            data["_parent"] = parent["id"]
        return self.add("IGComment", **data)

    def page(self, name: str = "The Band") -> dict[str, Any]:
        return self.add("Page", name=name)

    def fb_post(
        self,
        page: dict[str, Any],
        message: str,
        *,
        age: timedelta,
        author: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        post_id = f"{page['id']}_{self.new_id()}"
        frm = author or {"id": page["id"], "name": page["name"]}
        return self.add(
            "PagePost",
            id=post_id,
            message=message,
            created_time=_ig_time(self.now() - age),
            permalink_url=f"https://www.facebook.com/{post_id}",
            **{"from": frm},
            _page=page["id"],
        )

    def fb_comment(
        self,
        post: dict[str, Any],
        message: str,
        *,
        author: dict[str, Any] | None = None,
        age: timedelta = timedelta(0),
        parent: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        comment_id = f"{post['id'].split('_')[-1]}_{self.new_id()}"
        data: dict[str, Any] = {
            "id": comment_id,
            "message": message,
            "created_time": _ig_time(self.now() - age),
            "permalink_url": f"https://www.facebook.com/{post['id']}?comment_id={comment_id}",
            "is_hidden": False,
            "_post": post["id"],
            **extra,
        }
        if author is not None:
            data["from"] = author
        if parent is not None:
            data["_parent"] = parent["id"]
        return self.add("Comment", **data)

    def delete(self, obj: dict[str, Any]) -> None:
        self.objects.pop(obj["id"], None)

    def chaos(self, rate: float, seed: int = 1) -> None:
        """Fail about ``rate`` of all requests with a random fault (0 turns it off)."""
        self._chaos = (rate, random.Random(seed)) if rate else None

    def _random_fault(self) -> Fault | None:
        if self._chaos is None:
            return None
        rate, rng = self._chaos
        if rng.random() >= rate:
            return None
        kind = rng.choice(["server_error", "rate_limit", "truncated", "cut", "auth_blip"])
        if kind == "rate_limit":
            return Fault("rate_limit", code=rng.choice([4, 17, 32, 80002]))
        if kind == "server_error":
            return Fault("server_error", status=rng.choice([500, 502, 503]))
        if kind == "auth_blip":  # Graph's "unexpected error, retry" (code 2)
            return Fault("graph_error", status=500, code=2)
        return Fault(kind)

    def fail(self, kind: str, **opts: Any) -> Fault:
        fault = Fault(kind=kind, **opts)
        self.faults.append(fault)
        return fault

    def posts(self, method: str = "POST") -> list[tuple[str, dict[str, str]]]:
        return [(p, f) for m, p, _, f in self.requests if m == method]

    # -- serving ---------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path[len(f"/{API_VERSION}/") :]
        args = {k: v for k, v in request.args.items()}
        form = {k: v for k, v in request.form.items()}
        self.requests.append((request.method, path, args, form))
        fault = self._take_fault(request.method, path) or self._random_fault()
        if fault is not None:
            return self._fault_response(fault)
        auth = request.headers.get("Authorization", "")
        if auth != f"Bearer {self.token}":
            return self._error(
                400,
                190,
                "Invalid OAuth access token - Cannot parse access token",
                etype="OAuthException",
            )
        try:
            body = self._route(request.method, path, args, form)
        except GraphGraphError as exc:
            return self._error(exc.status, exc.code, exc.message, subcode=exc.subcode)
        return self._json(200, body)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.path_contains in path and (fault.method in (None, method)):
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def _fault_response(self, fault: Fault) -> Response:
        if fault.kind == "auth":
            return self._error(
                fault.status,
                190,
                "Error validating access token: Session has expired on Tuesday, 01-Jan-24 10:00:00 PST.",
                subcode=fault.subcode or 463,
                etype="OAuthException",
                headers=fault.headers,
            )
        if fault.kind == "rate_limit":
            return self._error(
                fault.status, fault.code, "(#32) Page request limit reached", headers=fault.headers
            )
        if fault.kind == "graph_error":
            return self._error(
                fault.status,
                fault.code,
                f"(#{fault.code}) Something failed",
                subcode=fault.subcode,
                headers=fault.headers,
            )
        if fault.kind == "server_error":
            return Response(
                "<html><body>502 Bad Gateway</body></html>",
                status=fault.status,
                content_type="text/html",
                headers=fault.headers,
            )
        if fault.kind == "timeout":
            time.sleep(fault.delay)
            return self._json(200, {"data": []})
        if fault.kind == "truncated":
            return Response(
                '{"data": [{"id": "1789', status=200, content_type="application/json; charset=UTF-8"
            )
        if fault.kind == "cut":
            body = b'{"data": [{"id": "17895695668004550", "text": "'
            return Response(
                body,
                status=200,
                headers={"Content-Length": "4096"},
                content_type="application/json; charset=UTF-8",
            )
        raise AssertionError(f"unknown fault {fault.kind}")

    def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        h = {
            "Date": format_datetime(self.now(), usegmt=True),
            "x-fb-rev": "1012345678",
            **(headers or {}),
        }
        return Response(
            json.dumps(body),
            status=status,
            headers=h,
            content_type="application/json; charset=UTF-8",
        )

    def _error(
        self,
        status: int,
        code: int,
        message: str,
        *,
        subcode: int | None = None,
        etype: str = "OAuthException",
        headers: dict[str, str] | None = None,
    ) -> Response:
        error: dict[str, Any] = {
            "message": message,
            "type": etype,
            "code": code,
            "fbtrace_id": "AbCdEfGhIjK",
        }
        if subcode is not None:
            error["error_subcode"] = subcode
        return self._json(status, {"error": error}, headers)

    # -- routing -----------------------------------------------------------------------

    def _route(self, method: str, path: str, args: dict[str, str], form: dict[str, str]) -> Any:
        parts = path.strip("/").split("/")
        node = self.objects.get(parts[0])
        if node is None:
            raise GraphGraphError(
                400,
                100,
                f"Unsupported get request. Object with ID '{parts[0]}' does not exist, cannot be "
                "loaded due to missing permissions, or does not support this operation.",
                subcode=33,
            )
        if method == "POST":
            return self._create(node, parts[1] if len(parts) > 1 else "", args, form)
        fields = parse_fields(args.get("fields", "id"))
        if len(parts) == 1:
            return self._project(node, fields)
        edge = parts[1]
        self._check_fields(node, {edge: FieldSpec()})
        items = self._edge(node, edge, args)
        return self._paged(node, edge, items, args, fields)

    def _check_fields(self, node: dict[str, Any], fields: dict[str, FieldSpec]) -> None:
        allowed = NODE_FIELDS[node["_type"]]
        for name in fields:
            if name not in allowed:
                raise GraphGraphError(
                    400,
                    100,
                    f"(#100) Tried accessing nonexisting field ({name}) on node type "
                    f"({node['_type']})",
                )

    def _edge(self, node: dict[str, Any], edge: str, args: dict[str, str]) -> list[dict[str, Any]]:
        objs = list(self.objects.values())
        t = node["_type"]
        if t == "IGUser" and edge == "media":
            found = [o for o in objs if o["_type"] == "IGMedia" and o.get("_owner") == node["id"]]
            return sorted(found, key=lambda o: o["timestamp"], reverse=True)
        if t == "IGMedia" and edge == "comments":
            found = [
                o
                for o in objs
                if o["_type"] == "IGComment"
                and o.get("_media") == node["id"]
                and not o.get("_parent")
            ]
            return sorted(found, key=lambda o: o["timestamp"], reverse=True)
        if t == "IGComment" and edge == "replies":
            found = [
                o for o in objs if o["_type"] == "IGComment" and o.get("_parent") == node["id"]
            ]
            return sorted(found, key=lambda o: o["timestamp"])
        if t == "Page" and edge in ("feed", "posts"):
            found = [o for o in objs if o["_type"] == "PagePost" and o.get("_page") == node["id"]]
            if edge == "posts":
                found = [o for o in found if o["from"]["id"] == node["id"]]
            return sorted(found, key=lambda o: o["created_time"], reverse=True)
        if t in ("PagePost", "Comment") and edge == "comments":
            if t == "PagePost":
                found = [
                    o for o in objs if o["_type"] == "Comment" and o.get("_post") == node["id"]
                ]
                if args.get("filter", "toplevel") != "stream":
                    found = [o for o in found if not o.get("_parent")]
            else:
                found = [
                    o for o in objs if o["_type"] == "Comment" and o.get("_parent") == node["id"]
                ]
            reverse = args.get("order") == "reverse_chronological"
            return sorted(found, key=lambda o: (o["created_time"], o["id"]), reverse=reverse)
        raise GraphGraphError(400, 100, f"(#100) Unknown edge {edge} on {t}")

    def _paged(
        self,
        node: dict[str, Any],
        edge: str,
        items: list[dict[str, Any]],
        args: dict[str, str],
        fields: dict[str, FieldSpec],
    ) -> dict[str, Any]:
        limit = int(args.get("limit", 25))
        start = 0
        if "after" in args:
            last_id = base64.urlsafe_b64decode(args["after"].encode()).decode()
            ids = [o["id"] for o in items]
            if last_id not in ids:
                raise GraphGraphError(400, 100, "(#100) Invalid cursor")
            start = ids.index(last_id) + 1
        window = items[start : start + limit]
        body: dict[str, Any] = {"data": [self._project(o, fields) for o in window]}
        if window:
            body["paging"] = {
                "cursors": {"before": _cursor(window[0]["id"]), "after": _cursor(window[-1]["id"])}
            }
            if start + limit < len(items):
                query = {
                    **{k: v for k, v in args.items() if k != "after"},
                    "after": _cursor(window[-1]["id"]),
                    "access_token": self.token,
                }
                body["paging"]["next"] = f"{self.base_url}/{node['id']}/{edge}?{urlencode(query)}"
        return body

    def _project(
        self, obj: dict[str, Any], fields: dict[str, FieldSpec], as_type: str | None = None
    ) -> dict[str, Any]:
        self._check_fields({**obj, "_type": as_type} if as_type else obj, fields)
        out: dict[str, Any] = {}
        for name, spec in fields.items():
            value = self._field(obj, name, spec)
            if value is not None:
                out[name] = value
        out.setdefault("id", obj["id"])
        return out

    def _field(self, obj: dict[str, Any], name: str, spec: FieldSpec) -> Any:
        t = obj["_type"]
        if t == "IGMedia" and name == "comments_count":
            return sum(
                1
                for o in self.objects.values()
                if o["_type"] == "IGComment" and o.get("_media") == obj["id"]
            )
        is_edge = (t == "IGComment" and name == "replies") or (
            t in ("PagePost", "Comment") and name == "comments"
        )
        if is_edge:
            args = {"limit": spec.modifiers.get("limit", "25")}
            if "filter" in spec.modifiers:
                args["filter"] = spec.modifiers["filter"]
            items = self._edge(obj, name, args)
            sub = spec.sub or {"id": FieldSpec()}
            if args["limit"] == "0":
                body: dict[str, Any] = {"data": []}
            else:
                body = self._paged(obj, name, items, args, sub)
                if not items:
                    return None  # Graph leaves out empty nested edges
            if spec.modifiers.get("summary") == "true":
                body["summary"] = {
                    "order": "chronological",
                    "total_count": len(items),
                    "can_comment": True,
                }
            return body
        if t == "IGUser" and name in ("mentioned_comment", "mentioned_media"):
            key = "comment_id" if name == "mentioned_comment" else "media_id"
            target = self.objects.get(spec.modifiers.get(key, ""))
            if target is None:
                raise GraphGraphError(
                    400, 100, "(#100) The mentioned object does not exist", subcode=2207035
                )
            as_type = "IGMentionedComment" if key == "comment_id" else "IGMentionedMedia"
            projected = self._project(target, spec.sub or {"id": FieldSpec()}, as_type)
            if key == "comment_id" and "media" in (spec.sub or {}):
                media = self.objects[target["_media"]]
                sub = (spec.sub or {})["media"].sub or {"id": FieldSpec()}
                projected["media"] = self._project(media, sub, "IGMentionedMedia")
            return projected
        if t == "IGComment" and name == "media":
            media = self.objects[obj["_media"]]
            return self._project(media, spec.sub or {"id": FieldSpec()})
        if t == "Comment" and name == "parent":
            parent = self.objects.get(obj.get("_parent") or "")
            if parent is None:
                return None
            return self._project(parent, spec.sub or {"id": FieldSpec()})
        value = obj.get(name)
        if isinstance(value, dict) and spec.sub:
            if isinstance(value.get("data"), dict):  # e.g. picture{url} -> {"data": {"url"}}
                return {"data": {k: v for k, v in value["data"].items() if k in spec.sub}}
            return {k: v for k, v in value.items() if k in spec.sub}
        return value

    def _create(
        self, node: dict[str, Any], edge: str, args: dict[str, str], form: dict[str, str]
    ) -> dict[str, Any]:
        message = form.get("message") or args.get("message")
        if not message:
            raise GraphGraphError(400, 100, "(#100) The parameter message is required")
        t = node["_type"]
        if t == "IGComment" and edge == "replies":
            media = self.objects[node["_media"]]
            owner = self.objects[media["_owner"]]
            created = self.ig_comment(
                media, message, username=owner["username"], user_id=owner["id"], parent=node
            )
            return {"id": created["id"]}
        if t == "IGUser" and edge == "mentions":
            mentioned = self.objects.get(form.get("media_id", ""))
            if mentioned is None:
                raise GraphGraphError(400, 100, "(#100) Invalid media_id")
            parent = (
                self.objects.get(form.get("comment_id", "")) if form.get("comment_id") else None
            )
            created = self.ig_comment(
                mentioned, message, username=node["username"], user_id=node["id"], parent=parent
            )
            return {"id": created["id"]}
        if t in ("PagePost", "Comment") and edge == "comments":
            post = self.objects[node["id"] if t == "PagePost" else node["_post"]]
            page = self.objects[post["_page"]]
            created = self.fb_comment(
                post,
                message,
                author={"id": page["id"], "name": page["name"]},
                parent=node if t == "Comment" else None,
            )
            return {"id": created["id"]}
        raise GraphGraphError(400, 100, f"(#100) Cannot POST to {edge} on {t}")


def _scoped_id(username: str) -> str:
    """A stable Instagram-scoped id for a test user."""
    return "9" + str(int(hashlib.sha1(username.encode()).hexdigest(), 16))[:15]


def _cursor(obj_id: str) -> str:
    return base64.urlsafe_b64encode(obj_id.encode()).decode()


def _ig_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def usage_header(minutes: int, pct: int = 100) -> str:
    """An ``X-Business-Use-Case-Usage`` value as Meta sends it."""
    return json.dumps(
        {
            "17841400000000001": [
                {
                    "type": "instagram",
                    "call_count": pct,
                    "total_cputime": 12,
                    "total_time": 20,
                    "estimated_time_to_regain_access": minutes,
                }
            ]
        }
    )
