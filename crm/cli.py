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
    from inbox.runtime import Runtime


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


@main.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--workspace", "slug", default=None, help="Workspace slug (default: the only one)")
def import_cmd(file: BinaryIO, slug: str | None) -> None:
    """Import messages from a JSON Lines file (see README: import format)."""
    from inbox.importer import import_file

    rt = _runtime(jobs="inline")
    report = import_file(rt.sessionmaker, _workspace_id(rt, slug), file)
    for ch in report.channels_created:
        click.echo(f"new channel {ch} (imported, not connected)")
    click.echo(
        f"{report.lines} lines: {report.created} new messages, "
        f"{report.duplicates} already there, {report.updated} updated, "
        f"{len(report.errors)} errors"
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


@main.command(context_settings={"ignore_unknown_options": True})
@click.option(
    "--model", "model_dir", default=None, help="A model folder (default: the shipped one)"
)
def classify(model_dir: str | None) -> None:
    """Classify JSON Lines from stdin (text, author, network, lang) to stdout."""
    from triage.__main__ import _classify

    sys.exit(_classify(["--model", model_dir] if model_dir else []))


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
