"""Replaying recorded network responses on a local HTTP server.

A recording (``tests/connectors/recorded/<network>/*.json``) lists exchanges:
what a request looks like (method, path, query values that must be there and
query names that must not) and the responses it gets, served in turn (the
last one repeats). The bodies and headers are shaped like the network's
documented examples, so the connector under test meets them through the same
HTTP client library it uses in production (httplib2 under
google-api-python-client, ``requests`` for Graph): nothing here knows what
the connector expects.

A request that matches no exchange is answered 599 and remembered in
:attr:`Replay.unmatched`, so a test can say "the connector asked for nothing
it should not have" (a page past the window, say).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

RECORDED = Path(__file__).parent / "recorded"


@dataclass
class Exchange:
    name: str
    method: str
    path: str
    query: dict[str, str]
    absent: list[str]
    responses: list[dict[str, Any]]
    served: int = 0

    def matches(self, request: Request, path: str) -> bool:
        if request.method != self.method or path != self.path:
            return False
        if any(request.args.get(k) != v for k, v in self.query.items()):
            return False
        return not any(k in request.args for k in self.absent)

    def next_response(self) -> dict[str, Any]:
        response = self.responses[min(self.served, len(self.responses) - 1)]
        self.served += 1
        return response


@dataclass
class Replay:
    """A recording served by ``server``; ``prefix`` is stripped from request paths."""

    server: HTTPServer
    recording: dict[str, Any]
    prefix: str = ""
    exchanges: list[Exchange] = field(default_factory=list)
    log: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for raw in self.recording["exchanges"]:
            req = raw["request"]
            self.exchanges.append(
                Exchange(
                    name=raw["name"],
                    method=req.get("method", "GET"),
                    path=req["path"],
                    query=dict(req.get("query") or {}),
                    absent=list(req.get("absent") or []),
                    responses=list(raw["responses"]),
                )
            )
        self.server.expect_request(re.compile(".*")).respond_with_handler(self._handle)

    @classmethod
    def load(cls, server: HTTPServer, name: str, prefix: str = "") -> Replay:
        recording = json.loads((RECORDED / name).read_text(encoding="utf-8"))
        return cls(server, recording, prefix)

    @property
    def recorded_at(self) -> datetime:
        """The moment the recording was made: tests set the connector's clock to it."""
        return datetime.fromisoformat(self.recording["recorded_at"]).astimezone(UTC)

    def exchange(self, name: str) -> Exchange:
        return next(e for e in self.exchanges if e.name == name)

    def served(self, name: str) -> int:
        return self.exchange(name).served

    def _handle(self, request: Request) -> Response:
        path = request.path.removeprefix(self.prefix)
        self.log.append((request.method, path, dict(request.args.items())))
        found = [e for e in self.exchanges if e.matches(request, path)]
        if len(found) != 1:
            self.unmatched.append(f"{request.method} {request.full_path} ({len(found)} matches)")
            return Response("no recorded exchange for this request", status=599)
        recorded = found[0].next_response()
        body = recorded.get("body")
        text = recorded["text"] if "text" in recorded else json.dumps(body)
        headers = dict(recorded.get("headers") or {})
        content_type = headers.pop("Content-Type", "application/json; charset=UTF-8")
        return Response(
            text,
            status=int(recorded.get("status", 200)),
            headers=headers,
            content_type=content_type,
        )

    def graph_objects(self, *, leave_out: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
        """Every object in the ``data`` lists of the recorded Graph answers (nested
        ``replies`` too), except those of the exchanges named in ``leave_out``."""
        found: dict[str, dict[str, Any]] = {}
        for exchange in self.exchanges:
            if exchange.name in leave_out:
                continue
            for response in exchange.responses:
                stack = list((response.get("body") or {}).get("data") or [])
                while stack:
                    obj = stack.pop()
                    found[obj["id"]] = obj
                    stack.extend((obj.get("replies") or {}).get("data") or [])
        return list(found.values())
