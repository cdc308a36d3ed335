"""Replays recorded HTTP exchanges (``tests/connectors/recorded/``) on pytest-httpserver.

Each JSON file is one exchange: the request (method, path, the query parameters
that choose the page) and the response (status, headers, body) as the network
sent it. They are served strictly in file order, so the test pins the exact
walk a connector makes: a request the recording did not expect (another page,
a query that lost its ``start_time``, one request too many) is answered 500
and listed in :attr:`Replay.mismatches`, and :attr:`Replay.left` names what the
connector never asked for. Parameters outside ``page_keys`` (field lists,
expansions) are the client's business and are not compared.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

RECORDED = Path(__file__).parent / "recorded"


def load(folder: Path) -> list[dict[str, Any]]:
    files = sorted(folder.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no recorded exchanges in {folder}")
    return [json.loads(f.read_text()) for f in files]


class Replay:
    def __init__(self, server: HTTPServer, folder: Path, page_keys: set[str]) -> None:
        self.exchanges = load(folder)
        self.page_keys = page_keys
        self.served = 0
        self.mismatches: list[str] = []
        self.bodies: list[tuple[str, bytes]] = []  # (path, body) of every request, in order
        server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    @property
    def left(self) -> list[dict[str, Any]]:
        """The recorded requests not made (yet)."""
        return [e["request"] for e in self.exchanges[self.served :]]

    def handle(self, request: Request) -> Response:
        self.bodies.append((request.path, request.get_data()))
        asked = {
            key: request.args.getlist(key) for key in sorted(request.args) if key in self.page_keys
        }
        if self.served >= len(self.exchanges):
            return self._mismatch(f"{request.method} {request.path} {asked}: beyond the recording")
        recorded = self.exchanges[self.served]
        want = recorded["request"]
        want_query = {
            k: v if isinstance(v, list) else [v] for k, v in sorted(want["query"].items())
        }
        if (request.method, request.path, asked) != (want["method"], want["path"], want_query):
            return self._mismatch(
                f"exchange {self.served + 1}: asked {request.method} {request.path} {asked}, "
                f"recorded {want['method']} {want['path']} {want_query}"
            )
        self.served += 1
        response = recorded["response"]
        body = response["body"]
        return Response(
            body if isinstance(body, str) else json.dumps(body),
            status=response["status"],
            headers=response["headers"],
        )

    def _mismatch(self, what: str) -> Response:
        self.mismatches.append(what)
        return Response(json.dumps({"error": "NotRecorded", "message": what}), status=500)
