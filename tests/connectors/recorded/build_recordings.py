"""Writes the recorded X and Bluesky exchanges the backfill tests replay.

No test machine reaches X or Bluesky, so these exchanges were built, once, to
the letter of each network's documented examples rather than captured; this
script is how they were built, kept so that they can be read and rebuilt
(``python tests/connectors/recorded/build_recordings.py``). The tests read
only the JSON files it writes.

Shapes followed (see README.md in this folder for the pages):

* X API v2 ``GET /2/users/:id/mentions``: ``data`` newest first, ``includes.users``,
  ``meta`` with ``result_count``, ``newest_id``, ``oldest_id``, ``next_token`` and
  ``previous_token``; a page may hold fewer posts than ``max_results`` (even none)
  and still have a ``next_token``; the last page has none; only the latest 800
  mentions are reachable. ``GET /2/dm_events`` likewise, for ``MessageCreate``
  events. Errors are problem documents (``title``, ``detail``, ``type``,
  ``status``); a 429 carries ``x-rate-limit-limit/remaining/reset``.
* Bluesky ``com.atproto.server.createSession`` and
  ``app.bsky.notification.listNotifications`` (lexicon: ``notifications`` with
  ``uri``, ``cid``, ``author``, ``reason``, ``record``, ``isRead``, ``indexedAt``;
  ``cursor``; ``seenAt``); errors ``{"error", "message"}``, a 429 with the PDS
  ``ratelimit-limit/remaining/reset/policy`` headers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
# The moment the recordings were "made"; the tests freeze the connectors' clock here.
NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)

# ----------------------------------------------------------------------------- X

X_ME = "2244994945"  # @XDevelopers, the account of X's own examples
X_ME_USERNAME = "XDevelopers"
X_WINDOW_DAYS = 7
X_REACHABLE = 800  # "up to the most recent 800 Tweets can be retrieved"
X_EPOCH_MS = 1288834974657
# Page sizes as X answered them: never assumed to be max_results (100).
X_MENTION_PAGES = [100, 97, 100, 0, 100, 100, 100, 100, 100, 3]
X_DM_WINDOW_EVENTS = 150  # DM events inside the window; 10 more older ones follow
X_MENTION_FIELDS_QUERY = {"max_results": "100"}
X_DM_QUERY = {"max_results": "100", "event_types": "MessageCreate"}


def x_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def snowflake(when: datetime, seq: int) -> str:
    ms = int(when.timestamp() * 1000)
    return str(((ms - X_EPOCH_MS) << 22) | (seq & 0xFFF))


def x_token(rng: random.Random) -> str:
    """An opaque pagination token, as X's look (lowercase letters and digits)."""
    return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(43))


def x_users(n: int) -> list[dict[str, Any]]:
    return [
        {
            "created_at": x_time(NOW - timedelta(days=400 + i)),
            "description": f"Listening to everything, fan #{i}",
            "id": str(1_400_000_000_000_000_000 + i * 7919),
            "name": f"Fan {i}",
            "profile_image_url": f"https://pbs.twimg.com/profile_images/{i}/fan_normal.jpg",
            "username": f"fan_{i:03d}",
            "verified": False,
        }
        for i in range(n)
    ]


def x_mention(when: datetime, seq: int, author: dict[str, Any], n: int) -> dict[str, Any]:
    tweet_id = snowflake(when, seq)
    text = f"@{X_ME_USERNAME} the new record is on repeat, message {n}"
    return {
        "author_id": author["id"],
        "conversation_id": tweet_id,
        "created_at": x_time(when),
        "edit_history_tweet_ids": [tweet_id],
        "entities": {
            "mentions": [
                {"start": 0, "end": len(X_ME_USERNAME) + 1, "username": X_ME_USERNAME, "id": X_ME}
            ]
        },
        "id": tweet_id,
        "lang": "en",
        "text": text,
    }


def x_page(
    data: list[dict[str, Any]],
    users: dict[str, dict[str, Any]],
    next_token: str | None,
    previous_token: str | None,
) -> dict[str, Any]:
    if not data:
        meta: dict[str, Any] = {"result_count": 0}
    else:
        meta = {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"], "result_count": len(data)}
    if next_token:
        meta["next_token"] = next_token
    if previous_token:
        meta["previous_token"] = previous_token
    body: dict[str, Any] = {}
    if data:
        body["data"] = data
        authors = dict.fromkeys(d.get("author_id") or d.get("sender_id") for d in data)
        body["includes"] = {"users": [users[a] for a in authors if a in users]}
    body["meta"] = meta
    return body


def ok(body: dict[str, Any]) -> dict[str, Any]:
    return {"status": 200, "headers": x_limit_headers(remaining=70), "body": body}


def x_limit_headers(remaining: int) -> dict[str, str]:
    return {
        "content-type": "application/json; charset=utf-8",
        "x-rate-limit-limit": "75",
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(int((NOW + timedelta(minutes=15)).timestamp())),
    }


def x_problem(status: int, title: str) -> dict[str, Any]:
    headers = x_limit_headers(remaining=0 if status == 429 else 60)
    headers["content-type"] = "application/problem+json"
    return {
        "status": status,
        "headers": headers,
        "body": {"title": title, "detail": title, "type": "about:blank", "status": status},
    }


def exchange(method: str, path: str, query: dict[str, str], response: dict[str, Any]) -> dict:
    return {"request": {"method": method, "path": path, "query": query}, "response": response}


def build_x() -> list[dict[str, Any]]:
    rng = random.Random(13)
    fans = x_users(40)
    users = {u["id"]: u for u in fans}
    window_start = NOW - timedelta(days=X_WINDOW_DAYS)
    # 830 mentions in the window, newest first, a few minutes apart; X serves the 800 newest.
    world: list[dict[str, Any]] = []
    when = NOW - timedelta(minutes=1)
    for n in range(830):
        world.append(x_mention(when, n, fans[n % len(fans)], n))
        when -= timedelta(seconds=rng.randint(300, 700))
    assert datetime.fromisoformat(world[-1]["created_at"]) > window_start
    reachable = world[:X_REACHABLE]
    assert sum(X_MENTION_PAGES) == X_REACHABLE

    mentions = f"/2/users/{X_ME}/mentions"
    first = {**X_MENTION_FIELDS_QUERY, "start_time": x_time(window_start).replace(".000", "")}
    out: list[dict[str, Any]] = []
    tokens = [x_token(rng) for _ in X_MENTION_PAGES]
    offset = 0
    for i, size in enumerate(X_MENTION_PAGES):
        query = dict(first)
        if i:
            query["pagination_token"] = tokens[i - 1]
        last = i == len(X_MENTION_PAGES) - 1
        body = x_page(
            reachable[offset : offset + size],
            users,
            None if last else tokens[i],
            x_token(rng) if i else None,
        )
        if i == 3:
            # The rate limit hits mid-walk: the same request is answered after the reset.
            out.append(exchange("GET", mentions, query, x_problem(429, "Too Many Requests")))
        out.append(exchange("GET", mentions, query, ok(body)))
        offset += size

    # DMs: 150 events inside the window, then 10 older ones on the same page.
    dm_users = {u["id"]: u for u in fans[:12]}
    events: list[dict[str, Any]] = []
    when = NOW - timedelta(minutes=3)
    for n in range(X_DM_WINDOW_EVENTS + 10):
        if n == X_DM_WINDOW_EVENTS:
            when = window_start - timedelta(hours=2)
        sender = fans[n % 12]
        low, high = sorted((int(sender["id"]), int(X_ME)))
        events.append(
            {
                "created_at": x_time(when),
                "dm_conversation_id": f"{low}-{high}",
                "event_type": "MessageCreate",
                "id": snowflake(when, 2000 + n),
                "sender_id": sender["id"],
                "text": f"hey, a question about the tour (dm {n})",
            }
        )
        when -= timedelta(seconds=rng.randint(900, 3000))
    dm_tokens = [x_token(rng) for _ in range(3)]
    dms = "/2/dm_events"
    out.append(
        exchange(
            "GET", dms, dict(X_DM_QUERY), ok(x_page(events[:100], dm_users, dm_tokens[0], None))
        )
    )
    second = {**X_DM_QUERY, "pagination_token": dm_tokens[0]}
    out.append(exchange("GET", dms, second, x_problem(503, "Service Unavailable")))
    out.append(
        exchange(
            "GET", dms, second, ok(x_page(events[100:160], dm_users, dm_tokens[1], dm_tokens[2]))
        )
    )

    # The next poll: forward from the mark, two new mentions and three new DMs.
    later = NOW + timedelta(minutes=10)
    new_mentions = [
        x_mention(later - timedelta(seconds=30 * k), 900 + k, fans[k], 900 + k) for k in range(2)
    ]
    since = {**X_MENTION_FIELDS_QUERY, "since_id": reachable[0]["id"]}
    out.append(
        exchange(
            "GET", f"/2/users/{X_ME}/mentions", since, ok(x_page(new_mentions, users, None, None))
        )
    )
    new_events = []
    for k in range(3):
        sender = fans[k]
        low, high = sorted((int(sender["id"]), int(X_ME)))
        at = later - timedelta(seconds=40 * k)
        new_events.append(
            {
                "created_at": x_time(at),
                "dm_conversation_id": f"{low}-{high}",
                "event_type": "MessageCreate",
                "id": snowflake(at, 3000 + k),
                "sender_id": sender["id"],
                "text": f"one more thing (dm new {k})",
            }
        )
    page = new_events + events[: 100 - len(new_events)]
    out.append(
        exchange("GET", dms, dict(X_DM_QUERY), ok(x_page(page, dm_users, x_token(rng), None)))
    )
    return out


# ----------------------------------------------------------------------------- Bluesky

BSKY_DID = "did:plc:z72i7hdynmk6r22z27h6tvur"  # the DID of the lexicon docs' examples
BSKY_HANDLE = "artist.bsky.social"
BSKY_WINDOW_DAYS = 3
# Pages run short: ``reasons`` is filtered, and the AppView drops what the viewer may not see
# (muted or blocked authors, removed posts) after choosing the page, cursor included; a
# page can even come back empty with a cursor.
BSKY_PAGES = [100, 63, 0, 100, 100]
BSKY_IN_WINDOW = 100 + 63 + 0 + 100 + 71  # the 5th page crosses the window's start


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unsigned_jwt(header: dict[str, Any], payload: dict[str, Any]) -> str:
    body = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    return f"{body}.{b64url(hashlib.sha256(body.encode()).digest())}"


def bsky_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def tid(micros: int, clock: int) -> str:
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    value = (micros << 10) | clock
    return "".join(alphabet[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def cid(seed: str) -> str:
    return (
        "bafyrei"
        + "".join(
            "abcdefghijklmnopqrstuvwxyz234567"[b % 32]
            for b in hashlib.sha256(seed.encode()).digest()
        )[:52]
    )


def bsky_author(i: int) -> dict[str, Any]:
    return {
        "did": f"did:plc:fan{i:04d}aaaaaaaaaaaaaaaa",
        "handle": f"fan{i:03d}.bsky.social",
        "displayName": f"Fan {i}",
        "avatar": f"https://cdn.bsky.app/img/avatar/plain/did:plc:fan{i:04d}aaaaaaaaaaaaaaaa/bafkrei{i:04d}@jpeg",
        "labels": [],
        "createdAt": bsky_time(NOW - timedelta(days=300 + i)),
    }


def bsky_notification(when: datetime, n: int, reason: str) -> dict[str, Any]:
    author = bsky_author(n % 30)
    rkey = tid(int(when.timestamp() * 1_000_000), n % 1024)
    uri = f"at://{author['did']}/app.bsky.feed.post/{rkey}"
    record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "createdAt": bsky_time(when - timedelta(seconds=2)),
        "langs": ["en"],
        "text": f"@{BSKY_HANDLE} saw you last night, notification {n}",
        "facets": [
            {
                "$type": "app.bsky.richtext.facet",
                "features": [{"$type": "app.bsky.richtext.facet#mention", "did": BSKY_DID}],
                "index": {"byteStart": 0, "byteEnd": len(BSKY_HANDLE) + 1},
            }
        ],
    }
    note: dict[str, Any] = {
        "uri": uri,
        "cid": cid(uri),
        "author": author,
        "reason": reason,
        "record": record,
        "isRead": False,
        "indexedAt": bsky_time(when),
        "labels": [],
    }
    if reason == "reply":
        root = f"at://{BSKY_DID}/app.bsky.feed.post/3l6oveex3ii2l"
        ref = {"cid": cid(root), "uri": root}
        record["reply"] = {"parent": ref, "root": ref}
        note["reasonSubject"] = root
    return note


def xrpc_ok(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": 200,
        "headers": {
            "content-type": "application/json; charset=utf-8",
            "ratelimit-limit": "3000",
            "ratelimit-remaining": "2990",
            "ratelimit-reset": str(int((NOW + timedelta(minutes=5)).timestamp())),
            "ratelimit-policy": "3000;w=300",
        },
        "body": body,
    }


def bsky_cursor(when: datetime, note: dict[str, Any]) -> str:
    """Cursors are opaque; the AppView's look like ``<sortAt ms>::<cid>``."""
    return f"{int(when.timestamp() * 1000)}::{note['cid']}"


def bsky_session() -> dict[str, Any]:
    """createSession with an app password (no ``didDoc``, which is optional)."""
    access = unsigned_jwt(
        {"typ": "at+jwt", "alg": "ES256K"},
        {
            "scope": "com.atproto.appPass",
            "sub": BSKY_DID,
            "iat": int(NOW.timestamp()),
            # Far ahead, so the client never refreshes during a replay on any day.
            "exp": 4102444800,
            "aud": "did:web:morel.us-east.host.bsky.network",
        },
    )
    refresh = unsigned_jwt(
        {"typ": "refresh+jwt", "alg": "ES256K"},
        {
            "scope": "com.atproto.refresh",
            "sub": BSKY_DID,
            "aud": "did:web:bsky.social",
            "jti": "8GqnxZPEC/FC3QdOnWXOT7t2MNQDXZHtr7UHW1c6hpU",
            "iat": int(NOW.timestamp()),
            "exp": 4102444800,
        },
    )
    return exchange(
        "POST",
        "/xrpc/com.atproto.server.createSession",
        {},
        xrpc_ok(
            {
                "accessJwt": access,
                "refreshJwt": refresh,
                "handle": BSKY_HANDLE,
                "did": BSKY_DID,
                "email": "artist@example.org",
                "emailConfirmed": True,
                "emailAuthFactor": False,
                "active": True,
            }
        ),
    )


def build_bluesky() -> list[dict[str, Any]]:
    rng = random.Random(31)
    window_start = NOW - timedelta(days=BSKY_WINDOW_DAYS)
    reasons = ["mention", "reply", "quote"]
    notes: list[tuple[datetime, dict[str, Any]]] = []
    when = NOW - timedelta(seconds=20)
    for n in range(sum(BSKY_PAGES)):
        if n == BSKY_IN_WINDOW:
            when = window_start - timedelta(minutes=1)
        notes.append((when, bsky_notification(when, n, reasons[n % 3])))
        when -= timedelta(seconds=rng.randint(300, 540))
    assert notes[BSKY_IN_WINDOW - 1][0] > window_start

    out = [bsky_session()]
    path = "/xrpc/app.bsky.notification.listNotifications"
    base = {"limit": "100", "reasons": ["mention", "quote", "reply"]}
    offset = 0
    cursor: str | None = None
    for i, size in enumerate(BSKY_PAGES):
        page = notes[offset : offset + size]
        query = dict(base) if cursor is None else {**base, "cursor": cursor}
        body: dict[str, Any] = {
            "notifications": [n for _, n in page],
            "priority": False,
            "seenAt": bsky_time(NOW - timedelta(days=4)),
        }
        if page:
            cursor = bsky_cursor(*page[-1])
        else:  # every notification of this page was dropped after it was chosen
            last = notes[offset - 1][0] - timedelta(seconds=90)
            cursor = f"{int(last.timestamp() * 1000)}::{cid(f'hidden-{offset}')}"
        body["cursor"] = cursor
        if i == 2:
            limited = {
                "status": 429,
                "headers": {
                    "content-type": "application/json; charset=utf-8",
                    "ratelimit-limit": "3000",
                    "ratelimit-remaining": "0",
                    "ratelimit-reset": str(int((NOW + timedelta(seconds=240)).timestamp())),
                    "ratelimit-policy": "3000;w=300",
                },
                "body": {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            }
            out.append(exchange("GET", path, query, limited))
        out.append(exchange("GET", path, query, xrpc_ok(body)))
        offset += size

    # The next poll: three new notifications, then the ones already read.
    later = NOW + timedelta(minutes=10)
    fresh = [
        bsky_notification(later - timedelta(seconds=30 * k), 5000 + k, reasons[k]) for k in range(3)
    ]
    page = fresh + [n for _, n in notes[:97]]
    body = {
        "notifications": page,
        "cursor": bsky_cursor(*notes[96]),
        "priority": False,
        "seenAt": bsky_time(NOW - timedelta(days=4)),
    }
    out.append(exchange("GET", path, dict(base), xrpc_ok(body)))
    return out


# Posting (com.atproto.repo.createRecord with a record key the client chose, then
# getRecord for that key). The keys and scheduled times of the test's two posts:
BSKY_POSTS = [
    ("post-key-tour", datetime(2026, 11, 20, 11, 59, 0, tzinfo=UTC), "Tour dates are out!"),
    ("post-key-single", datetime(2026, 11, 20, 11, 59, 30, tzinfo=UTC), "New single on Friday."),
]


def post_rkey(key: str, did: str, scheduled_at: datetime) -> str:
    """Written apart from the connector's: a TID within a second after the post's time,
    low bits from SHA-256 of the account and the key (prefixed, to differ from replies')."""
    digest = hashlib.sha256(f"{did}\x00post\x00{key}".encode()).digest()
    micros = int(scheduled_at.timestamp() * 1_000_000) + int.from_bytes(digest[:4], "big") % 10**6
    return tid(micros & ((1 << 53) - 1), int.from_bytes(digest[4:6], "big") & 0x3FF)


def xrpc_error(status: int, error: str, message: str) -> dict[str, Any]:
    return {**xrpc_ok({"error": error, "message": message}), "status": status}


def build_bluesky_publish() -> list[dict[str, Any]]:
    """Two posts: the first goes through; the second's createRecord is accepted by the PDS but
    its answer is lost behind a 502 from the gateway, and the retry finds it with getRecord."""
    out = [bsky_session()]
    collection = "app.bsky.feed.post"
    for n, (key, at, text) in enumerate(BSKY_POSTS):
        rkey = post_rkey(key, BSKY_DID, at)
        uri = f"at://{BSKY_DID}/{collection}/{rkey}"
        lookup = {"repo": BSKY_DID, "collection": collection, "rkey": rkey}
        record = {
            "$type": collection,
            "text": text,
            "createdAt": bsky_time(at + timedelta(seconds=45)),
        }
        out.append(
            exchange(
                "GET",
                "/xrpc/com.atproto.repo.getRecord",
                lookup,
                xrpc_error(400, "RecordNotFound", f"Could not locate record: {uri}"),
            )
        )
        created = xrpc_ok(
            {
                "uri": uri,
                "cid": cid(uri),
                "commit": {"cid": cid(f"commit-{n}"), "rev": tid(int(at.timestamp() * 1e6), 0)},
                "validationStatus": "valid",
            }
        )
        if n == 0:
            out.append(exchange("POST", "/xrpc/com.atproto.repo.createRecord", {}, created))
            continue
        gateway = {
            "status": 502,
            "headers": {"content-type": "text/html"},
            "body": "<html><body>502 Bad Gateway</body></html>",
        }
        out.append(exchange("POST", "/xrpc/com.atproto.repo.createRecord", {}, gateway))
        out.append(
            exchange(
                "GET",
                "/xrpc/com.atproto.repo.getRecord",
                lookup,
                xrpc_ok({"uri": uri, "cid": cid(uri), "value": record}),
            )
        )
    return out


def write(folder: Path, exchanges: list[dict[str, Any]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    for i, ex in enumerate(exchanges, start=1):
        req = ex["request"]
        name = req["path"].rsplit("/", 1)[-1].split(".")[-1]
        status = ex["response"]["status"]
        path = folder / f"{i:02d}_{name}_{status}.json"
        # One line per item: small files that still diff item by item.
        text = json.dumps(ex, ensure_ascii=False, separators=(",", ":"))
        path.write_text(text.replace("},{", "},\n{") + "\n")


if __name__ == "__main__":
    write(HERE / "x" / "backfill", build_x())
    write(HERE / "bluesky" / "backfill", build_bluesky())
    write(HERE / "bluesky" / "publish", build_bluesky_publish())
