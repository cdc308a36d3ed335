"""Fans pages on a big workspace: 200,000 fans and 1,000,000 messages on SQLite.

The data is :mod:`bench.million`'s (``cached_sqlite()``), copied so this run may
write to it: the fan with the most messages is topped up to :data:`FAN_MESSAGES`
messages across three networks (three identities on X, Bluesky and email, as a
person the team has linked), the way a sync stores them. Then, through the whole
app (login session, view, services, templates), each beside its bare query:

- ``fans_list``: the first page of /fans under a mix of filters and sorts
  (segment, network, engagement, last contact, language, location, label, search by
  handle, by name, by most messages); bare query: ``list_fans``'s SELECT of the page;
- ``fan_profile``: the page of that fan (identities, suggestions, the first page of
  the cross-network timeline, answers, labels, notes); bare query: the timeline's two
  reads.

Prints ``name_median_ms``, ``name_p95_ms`` and ``name_sql_p95_ms``.
"""

from __future__ import annotations

import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import func, insert, select

import models
from bench import million
from crm.app import create_app, settle_for_serving
from crm.services import fans as fan_svc
from inbox.config import Settings
from inbox.runtime import build_runtime
from models import Conversation, Direction, Fan, Identity, Message, MessageKind, utcnow

MESSAGES = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
FAN_MESSAGES = 500
REPEAT = 40
LIST_URLS = (
    "/fans",
    "/fans?segment=superfan",
    "/fans?network=bluesky",
    "/fans?engagement=high&sort=engaged",
    "/fans?last_contact=7",
    "/fans?lang=de",
    "/fans?segment=regular&network=instagram&sort=engaged",
    "/fans?sort=messages",
    "/fans?q=lena",
    "/fans?label=vip",
    "/fans?location=lyon",
)


def timed(run: Callable[[], object], n: int = REPEAT) -> list[float]:
    run()  # warm
    out = []
    for _ in range(n):
        t = time.perf_counter()
        run()
        out.append((time.perf_counter() - t) * 1000)
    return out


def quantiles(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values), values[min(len(values) - 1, int(len(values) * 0.95))]


def top_up(rt: object, fan_id: int) -> None:
    """Give ``fan_id`` three identities and :data:`FAN_MESSAGES` messages, as a sync would."""
    with rt.session() as s:  # type: ignore[attr-defined]
        fan = s.get_one(Fan, fan_id)
        channels = {
            c.network: c
            for c in s.scalars(select(models.Channel).where(models.Channel.workspace_id == 1))
        }
        have = {i.network for i in fan.identities}
        for network in ("x", "bluesky", "email"):
            if network not in have:
                s.add(
                    Identity(
                        workspace_id=1,
                        fan_id=fan_id,
                        network=network,
                        external_id=f"bench-{network}-{fan_id}",
                        handle=f"benchfan{fan_id}",
                        display_name=fan.display_name,
                    )
                )
        s.flush()
        idents = list(s.scalars(select(Identity).where(Identity.fan_id == fan_id)))
        count = s.scalar(
            select(func.count()).where(Message.author_identity_id.in_([i.id for i in idents]))
        )
        missing = FAN_MESSAGES - int(count or 0)
        start = utcnow() - timedelta(days=60)
        convs: dict[str, int] = {}
        rows = []
        for n in range(max(0, missing)):
            ident = idents[n % len(idents)]
            channel = channels[ident.network]
            if ident.network not in convs:
                conv = Conversation(
                    workspace_id=1,
                    channel_id=channel.id,
                    fan_id=fan_id,
                    external_thread_id=f"bench-thread-{fan_id}-{ident.network}",
                    kind=MessageKind.COMMENT,
                    last_activity_at=utcnow(),
                )
                s.add(conv)
                s.flush()
                convs[ident.network] = conv.id
            rows.append(
                {
                    "workspace_id": 1,
                    "channel_id": channel.id,
                    "conversation_id": convs[ident.network],
                    "external_id": f"bench-{fan_id}-{n}",
                    "direction": Direction.INBOUND,
                    "kind": MessageKind.COMMENT,
                    "text": f"message {n} about the Lyon show",
                    "lang": "fr",
                    "sent_at": start + timedelta(minutes=n * 170),
                    "author_identity_id": ident.id,
                    "created_at": utcnow(),
                }
            )
        if rows:
            s.execute(insert(Message), rows)
        fan.message_count = max(fan.message_count, FAN_MESSAGES)
        s.commit()
        total = s.scalar(
            select(func.count()).where(Message.author_identity_id.in_([i.id for i in idents]))
        )
        print(f"# fan {fan_id}: {total} messages on {len(idents)} identities")


def main() -> None:
    source = million.cached_sqlite(MESSAGES)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        db = tmp / "fans.db"
        shutil.copyfile(source, db)
        settings = Settings(
            database_url=f"sqlite:///{db}",
            secret_key="bench-secret-for-signing-session-cookies",
            encryption_keys=(Fernet.generate_key().decode(),),
            jobs_mode="inline",
            secure_cookies=False,
            instance_path=tmp,
        )
        rt = build_runtime(settings)
        with rt.session() as s:
            # The fan whose history is nearest 500 messages (topped up if short of it).
            fan_id = s.scalar(
                select(Fan.id)
                .where(Fan.workspace_id == 1)
                .order_by(func.abs(Fan.message_count - FAN_MESSAGES), Fan.id)
                .limit(1)
            )
        assert fan_id is not None
        top_up(rt, fan_id)
        with rt.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        app = create_app(runtime=rt)
        settle_for_serving()
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert token
        resp = client.post(
            "/login",
            data={
                "email": million.OWNER_EMAIL,
                "password": million.PASSWORD,
                "csrf_token": token.group(1),
            },
        )
        assert resp.status_code == 302, resp.status_code

        def get(url: str) -> Callable[[], object]:
            def run() -> object:
                r = client.get(url)
                assert r.status_code == 200, (url, r.status_code)
                return r.data

            return run

        def list_sql(url: str) -> Callable[[], object]:
            args = dict(p.split("=", 1) for p in url.partition("?")[2].split("&") if p)
            flt = fan_svc.FanFilter.from_args(args)

            def run() -> object:
                with rt.sessionmaker() as s:
                    stmt = (
                        select(Fan.id)
                        .where(*fan_svc._conditions(1, flt, utcnow(), "sqlite"))
                        .order_by(*fan_svc.SORTS[flt.sort])
                        .limit(fan_svc.PAGE + 1)
                    )
                    return s.execute(stmt).all()

            return run

        results: dict[str, list[float]] = {"fans_list": [], "fans_list_sql": []}
        per = max(3, REPEAT // len(LIST_URLS))
        slowest: list[tuple[float, str]] = []
        for url in LIST_URLS:
            times = timed(get(url), per)
            slowest.append((max(times), url))
            results["fans_list"] += times
            results["fans_list_sql"] += timed(list_sql(url), per)
        results["fan_profile"] = timed(get(f"/fans/{fan_id}"))
        shown = get(f"/fans/{fan_id}")()
        assert b'class="fan-message' in shown and b'data-network="bluesky"' in shown  # type: ignore[operator]

        def profile_sql() -> object:
            with rt.sessionmaker() as s:
                return fan_svc.timeline(s, 1, fan_id)

        results["fan_profile_sql"] = timed(profile_sql)
        rt.close()
    for name in ("fans_list", "fan_profile"):
        med, p95 = quantiles(results[name])
        _, sql_p95 = quantiles(results[f"{name}_sql"])
        print(f"{name}_median_ms: {med:.1f} ms")
        print(f"{name}_p95_ms: {p95:.1f} ms")
        print(f"{name}_sql_p95_ms: {sql_p95:.1f} ms")
    worst = max(slowest)
    print(f"# slowest list page: {worst[1]} {worst[0]:.1f} ms")


if __name__ == "__main__":
    main()
