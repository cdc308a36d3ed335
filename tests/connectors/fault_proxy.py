"""A threaded HTTP proxy on 127.0.0.1 that forwards to a server and breaks some answers.

Put between a connector and an independent server (``mastodon-mock``), it turns a
well-behaved server into a flaky one without touching either: a share of the
requests get a 429 with ``Retry-After``, a 500 or 503, no answer at all (the client
times out), or an answer cut off mid-body; and chosen requests can be forwarded and
then have their answer dropped (the server acted, the client never hears of it).

The ``Host`` header is passed through, so links the server builds from it (Mastodon's
``Link`` header) point back at the proxy.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Faults a random draw picks from, when a request is to be broken.
KINDS = ("429", "500", "503", "timeout", "truncated")
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "server",  # http.server writes its own Server and Date
    "date",
}


class FaultProxy:
    """Forwards to ``upstream`` (``host:port``); breaks about ``rate`` of the requests.

    ``drop_answer`` picks requests (method, path) whose answer is dropped after the
    server has handled them, whatever ``rate`` says. Counters say what happened.
    """

    def __init__(
        self,
        upstream: str,
        *,
        rate: float = 0.0,
        seed: int = 0,
        retry_after: int = 3,
        stall_s: float = 1.0,
        kinds: tuple[str, ...] = KINDS,
        weights: tuple[float, ...] | None = None,
    ) -> None:
        self.upstream = upstream
        self.rate = rate
        self.retry_after = retry_after
        self.stall_s = stall_s
        self.kinds = kinds
        self.weights = weights  # how often each kind is drawn; None: all alike
        self.drop_answer: Callable[[str, str], bool] = lambda method, path: False
        self.requests = 0
        self.faults: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def faulted(self) -> int:
        return sum(self.faults.values())

    def choose(self, method: str, path: str) -> str | None:
        """The fault for this request, or None to forward it faithfully."""
        with self._lock:
            self.requests += 1
            if self.drop_answer(method, path):
                fault: str | None = "drop"
            elif self.rate and self._rng.random() < self.rate:
                fault = self._rng.choices(self.kinds, self.weights)[0]
            else:
                fault = None
            if fault is not None:
                self.faults[fault] += 1
            return fault


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: the test's counters say what happened

        def do_GET(self) -> None:
            self._handle()

        def do_POST(self) -> None:
            self._handle()

        def do_PUT(self) -> None:
            self._handle()

        def do_DELETE(self) -> None:
            self._handle()

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            fault = proxy.choose(self.command, self.path.split("?", 1)[0])
            if fault == "429":
                self._send(
                    429, b'{"error":"Too many requests"}', {"Retry-After": str(proxy.retry_after)}
                )
            elif fault in ("500", "503"):
                page = b"<html><body><h1>We're sorry, but something went wrong</h1></body></html>"
                self._send(int(fault), page, {"Content-Type": "text/html"})
            elif fault == "timeout":
                time.sleep(proxy.stall_s)  # longer than the client waits: it gives up first
                self.close_connection = True
            else:
                status, headers, answer = self._forward(body)
                if fault == "drop":
                    self.close_connection = True  # the server acted; the client hears nothing
                elif fault == "truncated":
                    self.send_response(status)
                    for name, value in headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(answer[: len(answer) // 2])
                    self.close_connection = True
                else:
                    self._send(status, answer, dict(headers))

        def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            host, port = proxy.upstream.rsplit(":", 1)
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                if body:
                    headers["Content-Length"] = str(len(body))
                conn.request(self.command, self.path, body=body or None, headers=headers)
                response = conn.getresponse()
                answer = response.read()
                kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
                return response.status, kept, answer
            finally:
                conn.close()

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            headers = {"Content-Type": "application/json", **headers}
            for name, value in headers.items():
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler
