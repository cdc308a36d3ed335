"""The ``unplugged`` command line.

Commands call the same service functions as the web app and the jobs. Heavy
imports happen inside each command, so ``unplugged classify`` starts fast.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import click

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from crm.services.channels import ChannelProgress
    from inbox.importer import ImportReport
    from inbox.runtime import Runtime
    from models import Channel, Role


def _runtime(jobs: str | None = None) -> Runtime:
    from dataclasses import replace

    from inbox.config import ConfigError, Settings
    from inbox.runtime import build_runtime, set_runtime

    try:
        settings = Settings.from_env()
        if jobs:
            settings = replace(settings, jobs_mode=jobs)
        rt = build_runtime(settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    set_runtime(rt)
    return rt


def _load_env() -> None:
    from dotenv import load_dotenv

    load_dotenv(Path.cwd() / ".env", override=False)


@click.group()
def main() -> None:
    """Unplugged: one inbox for every network, replies written by people."""
    _load_env()


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or migrate the database schema."""
    from crm import migrate

    rt = _runtime(jobs="inline")
    migrate.upgrade(rt.engine, revision)
    click.echo(f"database at {migrate.current(rt.engine)}")


@db.command("current")
def db_current() -> None:
    from crm import migrate

    click.echo(migrate.current(_runtime(jobs="inline").engine) or "empty")


@main.command()
def keys() -> None:
    """Print a new secret key and encryption key for .env."""
    import secrets

    from cryptography.fernet import Fernet

    click.echo(f"UNPLUGGED_SECRET_KEY={secrets.token_hex(32)}")
    click.echo(f"UNPLUGGED_ENCRYPTION_KEYS={Fernet.generate_key().decode()}")


@main.group()
def user() -> None:
    """Users and workspaces."""


@user.command("create")
@click.option("--email", required=True)
@click.option("--name", default="")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option(
    "--workspace", "workspace_name", required=True, help="Workspace name (created if new)"
)
@click.option("--role", type=click.Choice(["owner", "manager", "agent", "viewer"]), default="owner")
def user_create(email: str, name: str, password: str, workspace_name: str, role: str) -> None:
    """Create a user and add them to a workspace."""
    from sqlalchemy import select

    from crm.services import accounts
    from models import Role, Workspace

    rt = _runtime(jobs="inline")
    try:
        with rt.session() as s:
            ws = s.scalar(select(Workspace).where(Workspace.name == workspace_name))
            if ws is None:
                ws = accounts.create_workspace(s, workspace_name)
            u = accounts.create_user(s, email, name, password)
            accounts.add_member(s, ws, u, Role(role))
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {email} ({role}) in {workspace_name}")


def _workspace_id(rt: Runtime, slug: str | None) -> int:
    from sqlalchemy import select

    from models import Workspace

    with rt.session() as s:
        q = select(Workspace.id)
        if slug:
            q = q.where(Workspace.slug == slug)
        ids = s.scalars(q.order_by(Workspace.id)).all()
    if not ids:
        raise click.ClickException(f"no workspace {slug!r}" if slug else "no workspace yet")
    if len(ids) > 1 and not slug:
        raise click.ClickException("several workspaces: choose one with --workspace SLUG")
    return ids[0]


@main.group()
def token() -> None:
    """Personal API tokens for /api/v1."""


@token.command("create")
@click.option("--email", required=True, help="Whose token: replies sent with it are theirs")
@click.option("--workspace", "slug", default=None, help="Workspace slug (default: the only one)")
@click.option("--name", default="API token", show_default=True)
def token_create(email: str, slug: str | None, name: str) -> None:
    """Create a token and print it (it is shown once)."""
    from sqlalchemy import select

    from crm.services import accounts, api_tokens
    from models import User

    rt = _runtime(jobs="inline")
    workspace_id = _workspace_id(rt, slug)
    with rt.session() as s:
        user = s.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None or accounts.membership(s, user.id, workspace_id) is None:
            raise click.ClickException(f"{email} is not a member of that workspace")
        click.echo(api_tokens.create(s, user, workspace_id, name))


def _duration(seconds: float) -> str:
    """A duration the way a person reads it: "45 s", "3 min 05 s", "1 h 12 min"."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class _ImportProgress:
    """``unplugged import``'s progress on stderr, as the Channels page shows a backfill's:
    lines done, the rate, and the time left (from how far into the file reading has come,
    when the file has a size). In a terminal one line is rewritten; piped (a log), a line
    every ten seconds, and :meth:`summary` gives one closing line either way."""

    def __init__(self, file: BinaryIO | None = None) -> None:
        import os
        import stat
        import time

        self._clock = time.monotonic
        self.started = self._clock()
        self._last = 0.0
        self._tty = sys.stderr.isatty()
        self._file = file
        self._size: int | None = None
        try:
            info = os.fstat(file.fileno()) if file is not None else None
            if info is not None and stat.S_ISREG(info.st_mode) and info.st_size > 0:
                self._size = info.st_size
        except (OSError, ValueError, AttributeError):  # a pipe, a socket, no file number
            self._size = None

    def _left(self, elapsed: float) -> str:
        """ "about 2 min 10 s left", from the share of the file read so far; "" unknown."""
        if self._size is None or self._file is None:
            return ""
        try:
            done = self._file.tell()
        except (OSError, ValueError):
            return ""
        if done <= 0 or elapsed < 1:
            return ""
        if done >= self._size:
            return "reading done"
        return f"{done * 100 // self._size}%, about {_duration(elapsed * (self._size - done) / done)} left"

    def __call__(self, report: ImportReport, step: str) -> None:
        now = self._clock()
        if not self._tty and now - self._last < 10 and step == "storing":
            return
        self._last = now
        elapsed = max(now - self.started, 1e-6)
        parts = [
            f"{report.lines:,} lines ({report.lines / elapsed:,.0f}/s)",
            f"{report.created:,} new messages",
            f"{len(report.errors):,} errors",
        ]
        left = self._left(elapsed) if step == "storing" else ""
        line = ", ".join(parts) + (f", {left}" if left else "") + f": {step}"
        click.echo(("\r" + line.ljust(110)) if self._tty else line, err=True, nl=not self._tty)

    def done(self) -> None:
        if self._tty:
            click.echo("", err=True)

    def summary(self, report: ImportReport) -> str:
        """The closing line: how long it took and the rate, for a terminal and a log alike."""
        elapsed = max(self._clock() - self.started, 1e-6)
        return (
            f"done in {_duration(elapsed)}: {report.lines:,} lines "
            f"({report.lines / elapsed:,.0f} lines/s)"
        )


@main.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--workspace", "slug", default=None, help="Workspace slug (default: the only one)")
@click.option(
    "--full-reading",
    is_flag=True,
    help="Also give every message the classifier's full reading now (about 100 a second); "
    "by default workers do it when REDIS_URL is set",
)
def import_cmd(file: BinaryIO, slug: str | None, full_reading: bool) -> None:
    """Import messages from a JSON Lines file (see README: import format)."""
    from inbox import jobs
    from inbox.importer import import_file, workspace_model
    from inbox.pipeline import chunks
    from inbox.queue import defer

    rt = _runtime()
    ws = _workspace_id(rt, slug)
    spec = workspace_model(rt.sessionmaker, rt.settings.instance_path, rt.settings.secret_key, ws)
    progress = _ImportProgress(file)
    report = import_file(rt.sessionmaker, ws, file, classify=spec, progress=progress)
    progress.done()
    for ch in report.channels_created:
        click.echo(f"new channel {ch} (imported, not connected)")
    click.echo(
        f"{report.lines} lines: {report.created} new messages, "
        f"{report.duplicates} already there, {report.updated} updated, "
        f"{len(report.errors)} errors"
    )
    click.echo(progress.summary(report))
    if report.message_ids and full_reading:
        for done, ids in enumerate(chunks(report.message_ids, 500), start=1):
            jobs.refine_messages(list(ids))
            progress(report, f"full reading, {min(done * 500, len(report.message_ids)):,}")
        progress.done()
    elif report.message_ids and rt.settings.jobs_mode == "rq":
        with rt.session() as s:
            for ids in chunks(report.message_ids, 500):
                defer(s, jobs.refine_messages, list(ids), queue="classify")
        click.echo(
            f"the full reading of {len(report.message_ids)} messages is queued for the workers"
        )
    elif report.message_ids:
        click.echo(
            f"{len(report.message_ids)} messages have the fast reading; "
            "workers give them the full reading when REDIS_URL is set (or import with --full-reading)"
        )
    for number, note in report.notes[:200]:
        click.echo(f"line {number}: {note}")
    for number, reason in report.errors[:200]:
        click.echo(f"line {number}: {reason}", err=True)
    if report.errors:
        sys.exit(1)


@main.command()
@click.argument("channel")
def sync(channel: str) -> None:
    """Sync one channel now (CHANNEL: its id, or network:handle)."""
    from sqlalchemy import select

    from inbox import sync as sync_svc
    from inbox import triage
    from models import Channel

    rt = _runtime(jobs="inline")
    with rt.session() as s:
        if channel.isdigit():
            ch = s.get(Channel, int(channel))
        else:
            network, _, handle = channel.partition(":")
            ch = s.scalar(
                select(Channel).where(Channel.network == network, Channel.handle == handle)
            )
        if ch is None:
            raise click.ClickException(f"no channel {channel!r}")
        channel_id, workspace_id = ch.id, ch.workspace_id
    report = sync_svc.sync_channel(rt, channel_id, classify=triage.for_workspace(workspace_id))
    if report.skipped_lease:
        raise click.ClickException("another sync of this channel is running")
    click.echo(
        f"{report.pages} pages, {report.ingest.created} new messages, "
        f"{report.ingest.duplicates} duplicates, {len(report.ingest.skipped)} skipped"
    )
    if report.error:
        raise click.ClickException(report.error)


def _job_runtime() -> Runtime:
    """A runtime whose jobs outlive this command: rq when Redis is configured, else run
    right here after each commit (an in-process thread would die with the command)."""
    from inbox.config import ConfigError, Settings

    try:
        mode = Settings.from_env().jobs_mode
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    return _runtime(jobs=None if mode == "rq" else "inline")


def _optional_workspace(rt: Runtime, slug: str | None) -> int | None:
    return _workspace_id(rt, slug) if slug else None


def _find_channel(s: Session, workspace_id: int | None, ref: str) -> Channel:
    from crm.services import channels as svc

    try:
        return svc.find_channel(s, workspace_id, ref)
    except LookupError:
        raise click.ClickException(f"no channel {ref!r} (give its id or network:handle)") from None
    except svc.ChannelError as exc:
        raise click.ClickException(f"{exc} Use --workspace SLUG.") from None


def _actor(s: Session, workspace_id: int, email: str | None, role: Role) -> int:
    from crm.services import accounts

    try:
        return accounts.acting_user(s, workspace_id, email, role).id
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from None


def _progress_words(p: ChannelProgress | None) -> str:
    if p is None:
        return ""
    back = f" back to {p.oldest:%Y-%m-%d}" if p.oldest else ""
    if p.importing:
        return f"importing… {p.messages} messages{back}"
    if p.state == "up_to_date":
        return f"up to date, {p.messages} messages{back}"
    return f"{p.messages} messages{back}"


AS_OPTION = click.option(
    "--as",
    "as_email",
    default=None,
    metavar="USER_EMAIL",
    help="Who does it, for the audit trail (default: the workspace's owner)",
)
WORKSPACE_OPTION = click.option(
    "--workspace", "slug", default=None, help="Workspace slug (default: the only one)"
)


@main.group()
def channel() -> None:
    """Connected accounts: add, list, pause, resume, remove (as on the Channels page)."""


def _credentials(network: str, pairs: tuple[str, ...], file: BinaryIO | None) -> dict[str, str]:
    """Credentials from a JSON file and NAME=VALUE options; missing required ones are asked
    for (secrets without echo), so they need not appear in the shell's history."""
    import json

    from crm.services import channels as svc

    fields = {f.name: f for f in svc.CREDENTIAL_FIELDS[network]}
    given: dict[str, str] = {}
    if file is not None:
        try:
            data = json.loads(file.read())
        except (ValueError, UnicodeDecodeError) as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--credentials-file") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise click.BadParameter(
                "must be a JSON object of strings", param_hint="--credentials-file"
            )
        given.update(data)
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--credential")
        given[name.strip()] = value
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise click.BadParameter(
            f"{', '.join(unknown)} not known for {network}; it takes: {', '.join(fields)}",
            param_hint="--credential",
        )
    for f in fields.values():
        if f.required and not given.get(f.name, "").strip():
            given[f.name] = click.prompt(f.label, hide_input=f.secret, err=True)
    return given


@channel.command("add")
@click.argument("network")
@click.argument("handle")
@click.option(
    "--credential",
    "-c",
    "pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="A credential field (repeat; missing required ones are asked for)",
)
@click.option(
    "--credentials-file",
    type=click.File("rb"),
    default=None,
    help="A JSON object of credential fields ('-' reads standard input)",
)
@click.option("--base-url", default=None, help="Mastodon instance, self-hosted PDS...")
@click.option(
    "--backfill-days",
    type=click.IntRange(1, 90),
    default=7,
    show_default=True,
    help="How far back the first sync reaches",
)
@WORKSPACE_OPTION
@AS_OPTION
def channel_add(
    network: str,
    handle: str,
    pairs: tuple[str, ...],
    credentials_file: BinaryIO | None,
    base_url: str | None,
    backfill_days: int,
    slug: str | None,
    as_email: str | None,
) -> None:
    """Connect an account (or reconnect it with fresh credentials); its first sync starts now.

    NETWORK is x, instagram, facebook, youtube, mastodon, bluesky or email.
    """
    from crm.services import channels as svc
    from models import Channel, ChannelHealth, Role
    from models.channel import NETWORKS

    if network not in NETWORKS:
        raise click.BadParameter(
            f"{network!r} is not one of {', '.join(NETWORKS)}", param_hint="NETWORK"
        )
    rt = _job_runtime()
    workspace_id = _workspace_id(rt, slug)
    creds = _credentials(network, pairs, credentials_file)
    try:
        with rt.session() as s:
            user_id = _actor(s, workspace_id, as_email, Role.MANAGER)
            ch = svc.connect(
                s,
                rt.box,
                workspace_id,
                user_id,
                network,
                handle,
                creds,
                base_url=base_url,
                backfill_days=backfill_days,
            )
            channel_id = ch.id
            click.echo(f"connected {ch.label} (channel {channel_id})")
    except svc.ChannelError as exc:
        raise click.ClickException(str(exc)) from None
    # Inline mode: the first sync ran at the commit above. rq: a worker runs it.
    with rt.session() as s:
        ch = s.get_one(Channel, channel_id)
        state = _progress_words(svc.progress(s, workspace_id).get(channel_id))
        if rt.settings.jobs_mode == "rq":
            click.echo("first sync queued: `unplugged channel list` shows how far it has come")
        elif ch.health in (ChannelHealth.DEGRADED, ChannelHealth.NEEDS_RECONNECT):
            raise click.ClickException(f"first sync failed: {ch.last_error}")
        else:
            click.echo(f"first sync: {state}")


@channel.command("list")
@WORKSPACE_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table")
def channel_list(slug: str | None, fmt: str) -> None:
    """The workspace's channels, their health and how far their import has come."""
    import json

    from crm.services import channels as svc

    rt = _runtime(jobs="inline")
    workspace_id = _workspace_id(rt, slug)
    with rt.session() as s:
        progress = svc.progress(s, workspace_id)
        for ch in svc.list_channels(s, workspace_id):
            p = progress[ch.id]
            if fmt == "jsonl":
                row = {
                    "id": ch.id,
                    "network": ch.network,
                    "handle": ch.handle,
                    "health": ch.health.value,
                    "sync_enabled": ch.sync_enabled,
                    "state": p.state or None,
                    "messages": p.messages,
                    "oldest": p.oldest.isoformat() if p.oldest else None,
                    "last_synced_at": ch.last_synced_at.isoformat() if ch.last_synced_at else None,
                    "last_error": ch.last_error,
                }
                click.echo(json.dumps(row, ensure_ascii=False))
                continue
            synced = f"{ch.last_synced_at:%Y-%m-%d %H:%M} UTC" if ch.last_synced_at else "never"
            click.echo(
                f"{ch.id}\t{ch.label}\t{ch.health.value}\tlast sync {synced}\t{_progress_words(p)}"
            )


def _set_paused(ref: str, slug: str | None, as_email: str | None, paused: bool) -> None:
    from crm.services import channels as svc
    from models import Role

    rt = _runtime(jobs="inline")
    with rt.session() as s:
        ch = _find_channel(s, _optional_workspace(rt, slug), ref)
        user_id = _actor(s, ch.workspace_id, as_email, Role.MANAGER)
        svc.set_paused(s, ch, paused, user_id)
        click.echo(f"{'paused' if paused else 'resumed'} {ch.label}")


@channel.command("pause")
@click.argument("ref", metavar="CHANNEL")
@WORKSPACE_OPTION
@AS_OPTION
def channel_pause(ref: str, slug: str | None, as_email: str | None) -> None:
    """Stop syncing a channel (CHANNEL: its id, or network:handle); nothing is deleted."""
    _set_paused(ref, slug, as_email, True)


@channel.command("resume")
@click.argument("ref", metavar="CHANNEL")
@WORKSPACE_OPTION
@AS_OPTION
def channel_resume(ref: str, slug: str | None, as_email: str | None) -> None:
    """Sync a paused channel again."""
    _set_paused(ref, slug, as_email, False)


@channel.command("remove")
@click.argument("ref", metavar="CHANNEL")
@click.option("--yes", is_flag=True, help="Remove without asking")
@WORKSPACE_OPTION
@AS_OPTION
def channel_remove(ref: str, yes: bool, slug: str | None, as_email: str | None) -> None:
    """Remove a channel with its conversations and messages (asks first)."""
    from crm.services import channels as svc
    from models import Role

    rt = _job_runtime()
    with rt.session() as s:
        ch = _find_channel(s, _optional_workspace(rt, slug), ref)
        user_id = _actor(s, ch.workspace_id, as_email, Role.MANAGER)
        stored = svc.progress(s, ch.workspace_id)[ch.id].messages
        label = ch.label
        if not yes:
            click.confirm(
                f"Remove {label} and the {stored} messages stored from it? This cannot be undone",
                abort=True,
                err=True,
            )
        removed = svc.remove(s, ch, user_id)
    click.echo(f"removed {label} and {removed} messages")


def _since(value: str | None) -> datetime | None:
    """A day or a time, ISO 8601; without a zone it is UTC (as the import reads times)."""
    from datetime import UTC, datetime

    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date (2026-03-01) or a time (2026-03-01T18:00:00+01:00)",
            param_hint="--since",
        ) from None
    if not 1900 <= when.year <= 9000:
        raise click.BadParameter("must be between the years 1900 and 9000", param_hint="--since")
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


@main.command()
@click.option("--channel", "ref", required=True, help="The channel's id, or network:handle")
@click.option("--since", default=None, help="Only messages sent from then on (date or time)")
@click.option("--format", "fmt", type=click.Choice(["ids", "jsonl"]), default="jsonl")
@WORKSPACE_OPTION
def messages(ref: str, since: str | None, fmt: str, slug: str | None) -> None:
    """A channel's stored messages, oldest first: one id, or one JSON object, a line."""
    import json

    from crm.api import serialize
    from crm.services import channels as svc

    when = _since(since)
    rt = _runtime(jobs="inline")
    with rt.session() as s:
        ch = _find_channel(s, _optional_workspace(rt, slug), ref)
        for m in svc.messages_since(s, ch, when):
            if fmt == "ids":
                click.echo(str(m.id))
            else:
                row = {**serialize.message(m), "conversation_id": m.conversation_id}
                click.echo(json.dumps(row, ensure_ascii=False))


@main.command()
@click.option("--message", "message_id", type=int, required=True, help="The fan message to answer")
@click.option("--text", required=True, help="What to say ('-' reads standard input)")
@AS_OPTION
@click.option("--idempotency-key", default=None, help="Running the command again sends once")
@click.option(
    "--confirm-identical", is_flag=True, help="Send even if these words went to many fans today"
)
def reply(
    message_id: int,
    text: str,
    as_email: str | None,
    idempotency_key: str | None,
    confirm_identical: bool,
) -> None:
    """Answer one fan message, through the outbox like a reply from the inbox.

    A person writes it: --as names them (default: the workspace's owner), and they
    are recorded as its author.
    """
    from crm.services import accounts, replies
    from inbox import outbox
    from models import Reply

    if text == "-":
        text = sys.stdin.read()
    rt = _job_runtime()
    try:
        with rt.session() as s:
            queued, author = replies.reply_to_message(
                s,
                message_id,
                text,
                author_email=as_email,
                idempotency_key=idempotency_key,
                confirm_identical=confirm_identical,
            )
            author_email = author.email
    except LookupError:
        raise click.ClickException(f"no message {message_id}") from None
    except outbox.IdenticalText as exc:
        raise click.ClickException(f"{exc} (--confirm-identical sends anyway)") from None
    except (accounts.AccountError, outbox.ReplyRejected) as exc:
        raise click.ClickException(str(exc)) from None
    with rt.session() as s:
        r = s.get_one(Reply, queued.reply_id)
        click.echo(f"reply {r.id} by {author_email}: {r.status.value}")
        if r.status.value == "failed":
            raise click.ClickException(r.error or "the network refused it")


@main.command(context_settings={"ignore_unknown_options": True})
@click.option(
    "--model", "model_dir", default=None, help="A model folder (default: the shipped one)"
)
@click.option(
    "--fast", is_flag=True, help="The linear heads alone, no sentence encoder (bulk work)"
)
def classify(model_dir: str | None, fast: bool) -> None:
    """Classify JSON Lines from stdin (text, author, network, lang) to stdout."""
    from triage.__main__ import _classify

    sys.exit(
        _classify([*(["--fast"] if fast else []), *(["--model", model_dir] if model_dir else [])])
    )


@main.command()
@click.option("--workspace", "slug", default=None, help="Workspace slug (default: the only one)")
def train(slug: str | None) -> None:
    """Retrain a workspace's model on the shipped data plus its team's corrections."""
    from inbox import learning

    rt = _runtime(jobs="inline")
    version = learning.retrain(rt, _workspace_id(rt, slug), log=click.echo)
    click.echo(
        f"model {version.version} trained with {version.corrections_used} corrections"
        " and made active"
    )


@main.command()
@click.option("--workspace", "slug", default=None, help="Workspace slug (default: the only one)")
def rollback(slug: str | None) -> None:
    """Make the workspace's previous model active again (or the shipped one)."""
    from inbox import learning

    rt = _runtime(jobs="inline")
    with rt.session() as s:
        earlier = learning.rollback(s, _workspace_id(rt, slug), None)
        click.echo(f"active: {earlier.version}" if earlier else "active: the shipped model")


@main.command()
@click.option("--history-days", default=14, show_default=True)
@click.option("--reset", is_flag=True, help="Delete the demo database first")
def demo(history_days: int, reset: bool) -> None:
    """Create the demo workspace, its owner and sandbox channels, and load their history."""
    from crm import demo as demo_svc

    rt = _runtime(jobs="inline")
    info = demo_svc.setup(rt, history_days=history_days, reset=reset)
    click.echo(info.summary())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Default: $PORT or 5000")
def serve(host: str, port: int | None) -> None:
    """Serve the app with the in-process worker and scheduler (embedded mode)."""
    from werkzeug.serving import run_simple

    from crm.app import create_app, settle_for_serving
    from inbox import scheduler

    rt = _runtime()
    app = create_app(runtime=rt)
    settle_for_serving()
    ticker = scheduler.start_background(rt)
    port = port or rt.settings.port
    # SIGTERM (a service manager, `kill`) stops like Ctrl+C: the server stops taking
    # requests, the clock stops, the in-process worker finishes the jobs in hand.
    signal.signal(signal.SIGTERM, _interrupt)
    click.echo(f"Unplugged is running at http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        ticker.stop()
        rt.close()
        click.echo("Unplugged stopped: the jobs in hand finished, connections closed.")


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_cmd(file: Path) -> None:
    """Write a consistent copy of the database to FILE, while the app keeps running."""
    from inbox import backup as backup_svc
    from inbox.config import Settings

    try:
        info = backup_svc.backup(Settings.from_env().database_url, file)
    except backup_svc.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backed up the {info.kind} database to {info.path} ({info.size:,} bytes)")


@main.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the current data without asking")
def restore_cmd(file: Path, yes: bool) -> None:
    """Replace the database's content with the backup in FILE (stop the app first)."""
    from inbox import backup as backup_svc
    from inbox.config import Settings

    if not yes:
        click.confirm(f"Replace everything in the database with {file}?", abort=True)
    try:
        info = backup_svc.restore(Settings.from_env().database_url, file)
    except backup_svc.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored the {info.kind} database from {info.path}")


@main.command()
@click.option("--week", default=None, help="ISO week, e.g. 2026-W47 (default: the last full week)")
@WORKSPACE_OPTION
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "html"]), default="json")
@click.option("--table", default=None, help="With --format csv: one table (summary, trend, ...)")
def report(week: str | None, slug: str | None, fmt: str, table: str | None) -> None:
    """The weekly engagement review, as on the Review page (JSON, CSV tables or an HTML file)."""
    import json

    from crm.services import review as review_svc

    rt = _runtime()
    workspace_id = _workspace_id(rt, slug)
    with rt.session() as s:
        try:
            rv = review_svc.load(s, workspace_id, week)
        except review_svc.BadWeekError as exc:
            raise click.BadParameter(str(exc), param_hint="--week") from None
    if fmt == "json":
        click.echo(json.dumps(review_svc.document(rv), indent=2, ensure_ascii=False))
    elif fmt == "csv":
        chosen = [t for t in review_svc.tables(rv) if table in (None, t.key)]
        if not chosen:
            raise click.BadParameter(f"no table {table!r}", param_hint="--table")
        for i, t in enumerate(chosen):
            if len(chosen) > 1:
                click.echo(("\n" if i else "") + f"# {t.key}")
            click.echo(review_svc.to_csv(t), nl=False)
    else:
        from crm.app import create_app
        from crm.views.review import standalone_html

        app = create_app(runtime=rt)
        with app.test_request_context("/"):
            click.echo(standalone_html(rv))


@main.command()
@click.option("--workers", is_flag=True, help="Also require a live rq worker (rq mode)")
def health(workers: bool) -> None:
    """Check the database, Redis and (with --workers) the rq workers; exit 1 if any fails."""
    from inbox import health as health_svc

    report = health_svc.check(_runtime(), workers=workers)
    for c in report.checks:
        click.echo(f"{c.name}: {'ok' if c.ok else 'FAILED'} ({c.detail}, {c.ms:.0f} ms)")
    if not report.ok:
        sys.exit(1)


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty")
def worker(burst: bool) -> None:
    """An rq worker for every queue, with rq's scheduler (production mode)."""
    from inbox import scheduler

    rt = _runtime()
    if rt.settings.jobs_mode != "rq":
        raise click.ClickException("set REDIS_URL to run rq workers")
    scheduler.run_rq_worker(rt, burst=burst)


if __name__ == "__main__":
    main()
