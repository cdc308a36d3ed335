"""``unplugged import``: messages from a network-neutral JSON Lines file.

One JSON object per line::

    {"network": "x", "channel": "lesfanfares", "external_id": "1790...",
     "text": "see you in Lyon!", "created_at": "2026-03-01T18:22:05Z",
     "author": {"external_id": "99", "handle": "marie_l", "name": "Marie L."},
     "thread_id": "1790...", "parent_id": null, "kind": "mention", "url": "https://..."}

Required: ``network``, ``channel`` (the artist's handle on that network),
``external_id``, ``text``, ``created_at`` (ISO 8601), ``author`` with
``external_id``, ``handle`` and ``name``. Optional: ``thread_id``, ``parent_id``,
``kind`` (mention, comment, reply, dm, email; default mention), ``url``,
``subject``, ``lang``. A message whose author is the channel itself is outbound.

Lines are read in batches; each batch is one transaction, so an import that is
killed leaves whole batches or nothing, and running it again finishes the job
(messages already stored are recognised by channel and external id). A bad line
is reported with its number and reason and the good lines go in.

With ``classify`` (what ``unplugged import`` does), the batches go through a
pipeline: while one batch is stored, the next ones are read by the classifier
(its fast reading) in a pool of processes, so the two overlap on a machine's
cores; each batch is stored with its verdicts. The fans' segments and the
conversations' priorities are then computed once for the whole import, not once
per batch (a fan who wrote in forty batches is read once); the search index
catches up after each batch, while the classifier reads the next ones. The full
reading (the sentence encoder, about a hundred messages a second) is left to the
workers (:func:`inbox.jobs.refine_messages`).
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

import msgspec
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, sessionmaker

from inbox.bulk import EncodedMapping
from inbox.connectors.base import KINDS, Author, IncomingItem
from inbox.normalise import MAX_TEXT
from inbox.pipeline import ChannelRef, IngestReport, chunks, ingest
from models import Channel, ChannelHealth
from models.channel import NETWORKS

if TYPE_CHECKING:  # the classifier is loaded by the pool's processes, not on import
    from triage.classifier import Classification

BATCH = 10_000
CHECKPOINT_EVERY = 25  # batches between WAL checkpoints on SQLite (see import_lines)
REQUIRED = ("network", "channel", "external_id", "text", "created_at", "author")


class LineError(ValueError):
    pass


@dataclass
class ImportReport:
    lines: int = 0
    created: int = 0
    duplicates: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)
    notes: list[tuple[int, str]] = field(default_factory=list)  # stored, with a remark
    channels_created: list[str] = field(default_factory=list)
    # With ``classify``: what the import touched, refreshed once at the end.
    message_ids: list[int] = field(default_factory=list)
    fan_ids: set[int] = field(default_factory=set)
    conversation_ids: set[int] = field(default_factory=set)

    def add(self, r: IngestReport) -> None:
        self.created += r.created
        self.duplicates += r.duplicates
        self.updated += r.updated + r.deleted


def _str(obj: dict[str, Any], key: str, required: bool = True, limit: int = 255) -> str | None:
    value = obj.get(key)
    if type(value) is str and 0 < len(value) <= limit:  # the common case, first
        return value
    if value is None or value == "":
        if required:
            raise LineError(f"missing {key!r}")
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise LineError(f"{key!r} must be a string")
    if len(value) > limit:
        raise LineError(f"{key!r} is longer than {limit} characters")
    return value


def _optional(obj: dict[str, Any], key: str, limit: int) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if type(value) is str and len(value) <= limit:
        return value
    return _str(obj, key, required=False, limit=limit)


class _AuthorLine(msgspec.Struct):
    external_id: str
    handle: str = ""
    name: str = ""


class _Line(msgspec.Struct):
    """A line in its plainest form: every value a string of the expected size."""

    network: str
    channel: str
    external_id: str
    text: str
    created_at: str
    author: _AuthorLine
    kind: str | None = None
    thread_id: str | None = None
    parent_id: str | None = None
    url: str | None = None
    subject: str | None = None
    lang: str | None = None


_decode_plain = msgspec.json.Decoder(_Line).decode
_KINDS = frozenset(KINDS)
_NETWORKS = frozenset(NETWORKS)


def _fits(value: str | None, limit: int) -> bool:
    return value is None or 0 < len(value) <= limit


def parse_line(line: str) -> tuple[str, str, IncomingItem]:
    """(network, channel handle, item) from one line, or :class:`LineError`.

    Nearly every line of a real file is plain (strings where strings belong,
    nothing empty or oversized): those are decoded straight into typed fields.
    Anything else takes :func:`parse_line_checked`, which accepts what it can
    (numbers as ids, empty optional fields) and names what is wrong.
    """
    try:
        o = _decode_plain(line)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return parse_line_checked(line)
    a = o.author
    kind = o.kind or ("email" if o.network == "email" else "mention")
    if not (
        o.network in _NETWORKS
        and kind in _KINDS
        and 0 < len(o.channel) <= 255
        and 0 < len(o.external_id) <= 255
        and 0 < len(o.created_at) <= 64
        and 0 < len(a.external_id) <= 255
        and len(a.handle) <= 255
        and len(a.name) <= 255
        and o.text
        and _fits(o.thread_id, 255)
        and _fits(o.parent_id, 255)
        and _fits(o.url, 1000)
        and _fits(o.subject, 500)
        and _fits(o.lang, 8)
        and o.kind != ""
    ):
        return parse_line_checked(line)
    try:
        created = datetime.fromisoformat(o.created_at)
    except ValueError:
        return parse_line_checked(line)
    item = IncomingItem(
        external_id=o.external_id,
        text=o.text,
        created_at=created,
        author=Author(external_id=a.external_id, handle=a.handle, name=a.name),
        kind=kind,
        thread_id=o.thread_id,
        parent_id=o.parent_id,
        url=o.url,
        subject=o.subject,
        lang=o.lang,
        raw=EncodedMapping(line.strip()),
    )
    return o.network, o.channel, item


def parse_line_checked(line: str) -> tuple[str, str, IncomingItem]:
    """:func:`parse_line` for any line: lenient where it can be, precise where it cannot."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LineError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise LineError("JSON nested too deeply") from None
    if not isinstance(obj, dict):
        raise LineError("not a JSON object")
    try:
        # json accepts "\ud800", which no database can store: refuse the line, not the file.
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise LineError("contains an invalid Unicode escape (a lone surrogate)") from None
    missing = [k for k in REQUIRED if k not in obj or obj[k] in (None, "")]
    if missing:
        raise LineError("missing " + ", ".join(repr(k) for k in missing))
    network = _str(obj, "network")
    if network not in NETWORKS:
        raise LineError(f"unknown network {network!r} (expected one of {', '.join(NETWORKS)})")
    kind = _str(obj, "kind", required=False) or ("email" if network == "email" else "mention")
    if kind not in KINDS:
        raise LineError(f"unknown kind {kind!r}")
    text = obj["text"]
    if not isinstance(text, str):
        raise LineError("'text' must be a string")
    created_raw = _str(obj, "created_at", limit=64)
    try:
        created = datetime.fromisoformat(created_raw)  # type: ignore[arg-type]
    except ValueError:
        raise LineError(f"'created_at' is not an ISO 8601 time: {created_raw!r}") from None
    author = obj["author"]
    if not isinstance(author, dict):
        raise LineError("'author' must be an object")
    author_id = _str(author, "external_id")
    handle = _str(author, "handle", required=False) or ""
    name = _str(author, "name", required=False) or ""
    item = IncomingItem(
        external_id=_str(obj, "external_id"),  # type: ignore[arg-type]
        text=text,
        created_at=created,
        author=Author(external_id=author_id, handle=handle, name=name),  # type: ignore[arg-type]
        kind=kind,
        thread_id=_optional(obj, "thread_id", 255),
        parent_id=_optional(obj, "parent_id", 255),
        url=_optional(obj, "url", 1000),
        subject=_optional(obj, "subject", 500),
        lang=_optional(obj, "lang", 8),
        raw=EncodedMapping(line.strip(), obj),
    )
    return network, _str(obj, "channel"), item  # type: ignore[return-value]


def _decoded(raw: str | bytes) -> str | LineError:
    """A line as text; a line that is not UTF-8 is named, and the others go on."""
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return LineError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start})")


def _batches(
    lines: Iterable[str | bytes], size: int
) -> Iterator[list[tuple[int, str | LineError]]]:
    batch: list[tuple[int, str | LineError]] = []
    for number, raw in enumerate(lines, start=1):
        line = _decoded(raw)
        if isinstance(line, str) and not line.strip():
            continue
        batch.append((number, line))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _channel(
    session: Session, workspace_id: int, network: str, handle: str, report: ImportReport
) -> ChannelRef:
    ch = session.scalar(
        select(Channel).where(
            Channel.workspace_id == workspace_id,
            Channel.network == network,
            Channel.handle == handle,
        )
    )
    if ch is None:
        # An imported account that is not connected (yet): stored, not synced.
        ch = Channel(
            workspace_id=workspace_id,
            network=network,
            connector=network,
            handle=handle,
            display_name=handle,
            sync_enabled=False,
            health=ChannelHealth.PAUSED,
        )
        session.add(ch)
        session.flush()
        report.channels_created.append(f"{network}:{handle}")
    return ChannelRef.of(ch)


@dataclass(frozen=True)
class ModelSpec:
    """Which model the pool's processes load: the shipped one, or a workspace's own
    (its file and the key it must be signed with)."""

    path: str | None = None
    key: bytes | None = None


def workspace_model(
    maker: sessionmaker[Session], instance_path: Any, secret: str, ws: int
) -> ModelSpec:
    """The workspace's active model, as :func:`inbox.triage.model_for` picks it."""
    from inbox import learning

    with maker() as session:
        version = learning.active_version(session, ws)
    if version is None:
        return ModelSpec()
    return ModelSpec(str(instance_path / version.path), learning.model_key(secret))


def _classify_inputs(spec: ModelSpec, inputs: list[tuple[str, str, str | None]]) -> list[Any]:
    """In a pool process: the fast reading of ``(text, author, lang)`` inputs."""
    from pathlib import Path

    from triage.artifact import ArtifactError
    from triage.classifier import MessageInput, load_model

    try:
        model = load_model(Path(spec.path), key=spec.key) if spec.path else load_model()
    except ArtifactError:  # refused (altered, or signed elsewhere): the shipped model
        model = load_model()
    return list(
        model.classify(
            [MessageInput(text=t, author=a, lang=lang) for t, a, lang in inputs], fast=True
        )
    )


@dataclass
class _Parsed:
    """A batch read and checked, waiting for its verdicts."""

    lines: int
    groups: dict[tuple[str, str], list[IncomingItem]]
    line_of: dict[str, int]
    errors: list[tuple[int, str]]
    notes: list[tuple[int, str]]

    def items(self) -> list[IncomingItem]:
        return [i for items in self.groups.values() for i in items]


def _parse(batch: list[tuple[int, str | LineError]]) -> _Parsed:
    parsed = _Parsed(len(batch), {}, {}, [], [])
    for number, line in batch:
        try:
            if isinstance(line, LineError):
                raise line
            network, handle, item = parse_line(line)
        except LineError as exc:
            parsed.errors.append((number, str(exc)))
            continue
        if len(item.text) > MAX_TEXT:
            parsed.notes.append((number, f"text cut to {MAX_TEXT:,} characters"))
        parsed.groups.setdefault((network, handle), []).append(item)
        parsed.line_of[item.external_id] = number
    return parsed


def _pool_size() -> int:
    """One classifying process per core: the store needs a third of a core beside them."""
    return max(1, min(4, os.cpu_count() or 1))


def import_lines(
    maker: sessionmaker[Session],
    workspace_id: int,
    lines: Iterable[str | bytes],
    *,
    batch_size: int = BATCH,
    classify: ModelSpec | None = None,
    progress: Callable[[ImportReport, str], None] | None = None,
) -> ImportReport:
    """Import ``lines``, one transaction per batch, on one connection.

    ``classify``: read every message with that model's fast reading in a pool of
    processes while the batches before it are stored, then compute segments and
    priorities once and catch the search index up (see the module's docstring).
    Without it, each batch queues its classification as jobs, as before.
    ``progress`` is called after each batch and each closing step with the report so
    far and what is happening ("storing", "search index", "segments and priorities").

    On SQLite, copying the write-ahead log back into the database (a checkpoint)
    normally follows any commit that leaves the log over 1,000 pages: after every
    batch, rewriting the same index pages each time. An import checkpoints every
    ``CHECKPOINT_EVERY`` batches instead, and leaves the last stretch to SQLite.
    """
    report = ImportReport()
    channels: dict[tuple[str, str], ChannelRef] = {}
    engine = maker.kw["bind"]
    batches = (_parse(b) for b in _batches(lines, batch_size))
    with engine.connect() as conn, _checkpoints_deferred(conn) as checkpoint:
        if classify is None:
            for number, parsed in enumerate(batches, start=1):
                _store(maker, conn, workspace_id, parsed, None, channels, report, defer_jobs=True)
                if number % CHECKPOINT_EVERY == 0:
                    checkpoint()
                if progress:
                    progress(report, "storing")
            return report
        with ProcessPoolExecutor(max_workers=_pool_size()) as pool:
            ahead: deque[tuple[_Parsed, Future[list[Any]]]] = deque()

            def submit(parsed: _Parsed) -> None:
                inputs = [
                    (i.text, i.author.name or i.author.handle, i.lang) for i in parsed.items()
                ]
                ahead.append((parsed, pool.submit(_classify_inputs, classify, inputs)))

            number = 0
            for parsed in batches:
                submit(parsed)
                if len(ahead) <= _pool_size():  # keep every process busy while storing
                    continue
                number += 1
                done, future = ahead.popleft()
                _store(maker, conn, workspace_id, done, future.result(), channels, report)
                if number % CHECKPOINT_EVERY == 0:
                    checkpoint()
                if progress:
                    progress(report, "storing")
            while ahead:
                done, future = ahead.popleft()
                _store(maker, conn, workspace_id, done, future.result(), channels, report)
                if progress:
                    progress(report, "storing")
    _after_import(maker, report, progress)
    return report


def _store(
    maker: sessionmaker[Session],
    conn: Connection,
    workspace_id: int,
    parsed: _Parsed,
    verdicts: Sequence[Classification] | None,
    channels: dict[tuple[str, str], ChannelRef],
    report: ImportReport,
    *,
    defer_jobs: bool = False,
) -> None:
    report.lines += parsed.lines
    report.errors += parsed.errors
    report.notes += parsed.notes
    # By external id: the pipeline hands back its own copy of an item it cleaned.
    verdict_of: dict[str, Classification] = {}
    if verdicts is not None:
        verdict_of = {
            i.external_id.strip(): v for i, v in zip(parsed.items(), verdicts, strict=True)
        }

    def read(items: Sequence[IncomingItem]) -> list[Classification]:
        return [verdict_of[i.external_id] for i in items]

    with maker(bind=conn) as session, session.begin():
        for key, items in parsed.groups.items():
            if key not in channels:
                channels[key] = _channel(session, workspace_id, *key, report=report)
            result = ingest(
                session,
                channels[key],
                items,
                read if verdicts is not None else None,
                defer_jobs=defer_jobs,
            )
            report.add(result)
            if verdicts is not None:
                report.message_ids += result.message_ids
                report.fan_ids |= result.fan_ids
                report.conversation_ids |= result.conversation_ids
            for ext, reason in result.skipped:
                report.errors.append((parsed.line_of.get(ext, 0), reason))
        if verdicts is not None:
            # The search index now, in the time this process would spend waiting for the
            # classifier's next batch, rather than all at the end.
            from models.search import catch_up

            catch_up(session.connection())


REFRESH_CHUNK = 5000


def _after_import(
    maker: sessionmaker[Session],
    report: ImportReport,
    progress: Callable[[ImportReport, str], None] | None,
) -> None:
    """Once per import: the search index, then fans' segments, then priorities (which
    read the segments), each in transactions of a few thousand rows."""
    from inbox import triage
    from models.search import catch_up

    if progress:
        progress(report, "search index")
    with maker() as session, session.begin():
        catch_up(session.connection())  # what the last batches left, if anything
    fans = sorted(report.fan_ids)
    conversations = sorted(report.conversation_ids)
    for part in chunks(fans, REFRESH_CHUNK):
        with maker() as session, session.begin():
            triage.refresh_fans(session, part)
        if progress:
            progress(report, "segments and priorities")
    for part in chunks(conversations, REFRESH_CHUNK):
        with maker() as session, session.begin():
            refresh_priorities(session, part)
        if progress:
            progress(report, "segments and priorities")


def refresh_priorities(session: Session, conversation_ids: Sequence[int]) -> None:
    """:func:`inbox.triage.refresh_conversations` for the many conversations of an import,
    reading and writing columns rather than whole rows (the thread's latest classified
    fan message scored with the same :func:`triage.priority.score_priority`, beside the
    fan's segment). A conversation whose priority a teammate set goes through
    ``refresh_conversations`` itself, which knows when that choice stands."""
    from sqlalchemy import bindparam, update

    from inbox import notifications, triage
    from models import Base, Conversation, Direction, Fan, Message, Priority, Segment, utcnow
    from triage.priority import PriorityContext, score_priority

    now = utcnow()
    c, m = Conversation, Message
    convs = session.execute(
        select(c.id, c.fan_id, c.waiting_for_us, c.last_inbound_at, c.priority_set_by_id).where(
            c.id.in_(conversation_ids)
        )
    ).all()
    by_team = [row.id for row in convs if row.priority_set_by_id]
    latest = {
        row.conversation_id: row
        for row in session.execute(
            select(m.conversation_id, *triage.VERDICT_COLUMNS)
            .where(
                m.conversation_id.in_(conversation_ids),
                m.direction == Direction.INBOUND,
                m.classified_at.is_not(None),
                m.deleted_at.is_(None),
            )
            .order_by(m.sent_at)
        )
    }
    segments = dict(
        session.execute(
            select(Fan.id, Fan.segment).where(Fan.id.in_({r.fan_id for r in convs if r.fan_id}))
        ).all()
    )
    changes = []
    for row in convs:
        msg = latest.get(row.id)
        if msg is None or row.priority_set_by_id:
            continue
        verdict = triage.StoredVerdict.of(msg)
        segment = segments.get(row.fan_id) if row.fan_id else None
        waiting = (
            max(0.0, (now - row.last_inbound_at).total_seconds() / 3600)
            if row.waiting_for_us and row.last_inbound_at is not None
            else 0.0
        )
        priority, score, reasons = score_priority(
            verdict,
            PriorityContext(
                segment=segment.value if segment else None,
                waiting_hours=waiting,
                unanswered_question=row.waiting_for_us and verdict.intent == "question",
                industry=segment == Segment.INDUSTRY,
            ),
        )
        changes.append(
            {
                "cid": row.id,
                "p_priority": Priority(priority),
                "p_score": score,
                "p_reasons": reasons,
                "p_intent": verdict.intent,
                "p_spam": verdict.spam,
            }
        )
    if changes:
        table = Base.metadata.tables["conversations"]
        session.execute(
            update(table)
            .where(table.c.id == bindparam("cid"))
            .values(
                priority=bindparam("p_priority"),
                priority_score=bindparam("p_score"),
                priority_reasons=bindparam("p_reasons"),
                intent=bindparam("p_intent"),
                is_spam=bindparam("p_spam"),
            ),
            changes,
        )
    if by_team:
        triage.refresh_conversations(session, by_team)
    notifications.notify_urgent(session, [ch["cid"] for ch in changes])


@contextmanager
def _checkpoints_deferred(conn: Connection) -> Iterator[Callable[[], None]]:
    """Turn SQLite's automatic checkpoints off on ``conn``; yield a checkpoint to call."""
    if conn.dialect.name != "sqlite":
        yield lambda: None
        return

    def checkpoint() -> None:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        conn.commit()

    before = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
    conn.commit()
    try:
        yield checkpoint
    finally:
        # The rest of the log is copied by the next commit, or when the last connection
        # closes, as SQLite does for any writer.
        conn.rollback()
        conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={int(before or 1000)}")
        conn.commit()


def import_file(
    maker: sessionmaker[Session], workspace_id: int, stream: IO[str] | IO[bytes], **kwargs: Any
) -> ImportReport:
    return import_lines(maker, workspace_id, stream, **kwargs)
