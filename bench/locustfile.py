"""What ``make loadtest`` plays against gunicorn: people at work and a network's webhooks.

Fifty ``Agent`` users each sign in as their own team member and, like a person
reading, wait 2-5 s between actions: the inbox, a search, a thread, a triage
action, a reply. Five ``Webhooks`` users deliver signed X Account Activity
events at 10 per second each (50/s in all). Every reply and delivery the app
accepted is written to ``$LOAD_OUT`` at the end, with each request's time, so
:mod:`bench.loadtest` can check that each was stored exactly once.

The users are ``FastHttpUser`` (geventhttpclient): the load generator shares the
machine with what it measures, and requests' client cost several times more CPU
per request, time the app's own figures would have been charged with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import random
import re
import threading
import time
import uuid
from typing import Any

from locust import between, constant_throughput, events, task
from locust.contrib.fasthttp import FastHttpUser

AGENTS = [a.split(":", 1) for a in os.environ.get("LOAD_AGENTS", "").split(",") if a]
SECRET = os.environ.get("LOAD_X_SECRET", "")
FOR_USER = os.environ.get("LOAD_X_USER", "")
OUT = os.environ.get("LOAD_OUT", "")
WEBHOOK = "webhook"

_next_agent = itertools.count()
_next_tweet = itertools.count(1)
_lock = threading.Lock()
accepted_replies: list[str] = []  # idempotency keys the app answered 200 to
accepted_tweets: list[str] = []  # tweet ids whose delivery the app acknowledged
timings: dict[str, list[float]] = {"agent": [], WEBHOOK: []}
by_route: dict[str, list[float]] = {}  # the agents' timings again, by route
# The window measured opens once every agent has signed in: fifty argon2 hashes in the
# first seconds (by design, 64 MiB and half a second each) would otherwise be charged
# to the pages that wait behind them, a storm a team never makes at 9 a.m.
signed_in = 0
measuring_since: float | None = None
failures: list[str] = []


@events.request.add_listener
def _record(
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    exception: BaseException | None,
    start_time: float | None = None,
    **_: Any,
) -> None:
    with _lock:
        if exception is None and (measuring_since is None or (start_time or 0.0) < measuring_since):
            return  # before the window
        if name != "/login":  # signing in (an argon2 hash) happens once a day, not per action
            timings[WEBHOOK if name == WEBHOOK else "agent"].append(response_time)
            by_route.setdefault(name, []).append(response_time)
        if exception is not None:
            failures.append(f"{request_type} {name}: {str(exception)[:200]}")


@events.test_stop.add_listener
def _dump(**_: Any) -> None:
    if OUT:
        with open(OUT, "w", encoding="utf-8") as fh:
            json.dump(
                {
                    "replies": accepted_replies,
                    "tweets": accepted_tweets,
                    "timings": timings,
                    "by_route": by_route,
                    "failures": failures,
                },
                fh,
            )


CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
THREAD = re.compile(r'href="/c/(\d+)')
WORDS = ("ticket", "merci", "setlist", "concert", "vinyl")


class Agent(FastHttpUser):
    """One team member triaging and answering, at a reader's pace."""

    fixed_count = 50
    wait_time = between(2, 5)

    def on_start(self) -> None:
        email, password = AGENTS[next(_next_agent) % len(AGENTS)]
        self.email = email
        page = self.client.get("/login", name="/login").text
        token = CSRF.search(page)
        assert token, "no CSRF token on the login page"
        self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": token.group(1)},
            name="/login",
            allow_redirects=False,
        )
        self.threads: list[str] = []
        self.csrf = ""
        self.sent = 0
        self.browse()
        global signed_in, measuring_since
        with _lock:
            signed_in += 1
            if signed_in == self.fixed_count:
                measuring_since = time.time()

    def _page(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                return ""
            text = response.text
        token = CSRF.search(text)
        if token:
            self.csrf = token.group(1)
        found = THREAD.findall(text)
        if found:
            self.threads = found
        return text

    def _post(self, path: str, name: str, data: dict[str, str]) -> bool:
        with self.client.post(
            path,
            data=data,
            headers={"X-CSRF-Token": self.csrf, "HX-Request": "true"},
            name=name,
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code not in (200, 303):
                response.failure(f"{response.status_code}: {response.text[:120]}")
                return False
            return True

    @task(4)
    def browse(self) -> None:
        self._page("/", "/")

    @task(2)
    def search(self) -> None:
        self._page(f"/?q={random.choice(WORDS)}", "/?q=")

    @task(4)
    def read_thread(self) -> None:
        if self.threads:
            self._page(f"/c/{random.choice(self.threads)}", "/c/<id>")

    @task(1)
    def triage(self) -> None:
        if self.threads:
            cid = random.choice(self.threads)
            self._post(f"/c/{cid}/labels", "/c/<id>/labels", {"label": "load-test"})

    @task(1)
    def reply(self) -> None:
        if not self.threads:
            return
        cid = random.choice(self.threads)
        self._page(f"/c/{cid}", "/c/<id>")
        self.sent += 1
        key = uuid.uuid4().hex
        text = f"Thanks for writing! ({self.email}, reply {self.sent})"
        if self._post(f"/c/{cid}/reply", "/c/<id>/reply", {"text": text, "idempotency_key": key}):
            with _lock:
                accepted_replies.append(key)


def _signed(body: bytes) -> str:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


class Webhooks(FastHttpUser):
    """X delivering Account Activity events: 10 per second per user."""

    fixed_count = 5
    wait_time = constant_throughput(10)

    @task
    def deliver(self) -> None:
        n = next(_next_tweet)
        tweet_id = str(1_900_000_000_000_000_000 + n)
        body = json.dumps(
            {
                "for_user_id": FOR_USER,
                "tweet_create_events": [
                    {
                        "id_str": tweet_id,
                        "created_at": "Wed Dec 02 12:00:00 +0000 2026",
                        "text": f"@loadband see you at the show! #{n}",
                        "in_reply_to_status_id_str": None,
                        "user": {
                            "id_str": str(7_000 + n % 400),
                            "screen_name": f"loadfan{n % 400}",
                            "name": f"Load Fan {n % 400}",
                        },
                    }
                ],
            }
        ).encode()
        with self.client.post(
            "/webhooks/x",
            data=body,
            headers={"x-twitter-webhooks-signature": _signed(body)},
            name=WEBHOOK,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:120]}")
                return
        with _lock:
            accepted_tweets.append(tweet_id)
