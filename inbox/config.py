"""Settings, read from the environment when the app (or a worker, or the CLI) starts.

Nothing here runs at import time: :func:`Settings.from_env` is called by the app
factory, the worker entry point and the command line, so tests can build apps
with different settings in one process.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

MIN_SECRET_CHARS = 32  # `unplugged keys` prints 64 hex characters


def default_instance() -> Path:
    """``./instance`` of the directory the process starts in (asked at start-up, not import)."""
    return Path.cwd() / "instance"


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says what to set."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _log_format(value: str | None) -> str:
    value = (value or "text").strip().lower()
    if value not in {"text", "json"}:
        raise ConfigError(f"UNPLUGGED_LOG_FORMAT must be text or json, not {value!r}")
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None = None
    secret_key: str = ""
    # Fernet keys, newest first, comma-separated in UNPLUGGED_ENCRYPTION_KEYS: the first
    # encrypts, all decrypt, so a key can be rotated without re-entering credentials.
    encryption_keys: tuple[str, ...] = ()
    demo: bool = False
    # inline: run after commit in the same thread (tests); thread: an in-process
    # worker thread (the embedded default); rq: Redis queues and rq workers.
    jobs_mode: str = "thread"
    secure_cookies: bool = True
    session_days: int = 30
    port: int = 5000
    meta_app_secret: str | None = None
    meta_verify_token: str | None = None
    x_consumer_secret: str | None = None
    # "Connect with ..." sign-in (crm/services/oauth.py): the apps registered with each
    # network, and the address people reach Unplugged at, which the redirect URIs hang off.
    public_url: str | None = None
    x_client_id: str | None = None
    x_client_secret: str | None = None
    google_client_id: str | None = None
    google_client_secret: str | None = None
    meta_app_id: str | None = None
    # Replacements for the networks' sign-in endpoints, by name (see oauth.ENDPOINTS);
    # set by tests to point at a local fake, never read from the environment.
    oauth_endpoints: Mapping[str, str] = field(default_factory=dict)
    mail_from: str | None = None
    smtp_url: str | None = None
    sync_interval_s: int = 120
    # Let connections reach loopback addresses (a local test server standing in for a
    # network), plain http to them included; everything else must be public and
    # encrypted (inbox/netguard.py). On in the demo unless UNPLUGGED_ALLOW_LOOPBACK=0.
    allow_loopback: bool = False
    # "text" (default) or "json": one JSON object per log line, for a log shipper.
    log_format: str = "text"
    instance_path: Path = field(default_factory=default_instance)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from environment variables (see .env.example)."""
        env = os.environ if env is None else env
        instance = Path(env.get("UNPLUGGED_INSTANCE_PATH") or default_instance())
        demo = _bool(env.get("UNPLUGGED_DEMO"))
        database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'unplugged.db'}"
        if database_url.startswith("postgres://"):  # Heroku-style URLs
            database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
        elif database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
        redis_url = env.get("REDIS_URL") or None
        keys = tuple(
            k.strip() for k in env.get("UNPLUGGED_ENCRYPTION_KEYS", "").split(",") if k.strip()
        )
        secret_key = env.get("UNPLUGGED_SECRET_KEY", "")
        jobs_mode = env.get("UNPLUGGED_JOBS") or ("rq" if redis_url else "thread")
        if jobs_mode not in {"inline", "thread", "rq"}:
            raise ConfigError(f"UNPLUGGED_JOBS must be inline, thread or rq, not {jobs_mode!r}")
        if jobs_mode == "rq" and not redis_url:
            raise ConfigError("UNPLUGGED_JOBS=rq needs REDIS_URL")
        return cls(
            database_url=database_url,
            redis_url=redis_url,
            secret_key=secret_key,
            encryption_keys=keys,
            demo=demo,
            jobs_mode=jobs_mode,
            secure_cookies=_bool(env.get("UNPLUGGED_SECURE_COOKIES"), default=not demo),
            session_days=int(env.get("UNPLUGGED_SESSION_DAYS", "30")),
            port=int(env.get("PORT", "5000")),
            meta_app_secret=env.get("META_APP_SECRET") or None,
            meta_verify_token=env.get("META_VERIFY_TOKEN") or None,
            x_consumer_secret=env.get("X_CONSUMER_SECRET") or None,
            public_url=(env.get("UNPLUGGED_PUBLIC_URL") or "").strip().rstrip("/") or None,
            x_client_id=env.get("X_CLIENT_ID") or None,
            x_client_secret=env.get("X_CLIENT_SECRET") or None,
            google_client_id=env.get("GOOGLE_CLIENT_ID") or None,
            google_client_secret=env.get("GOOGLE_CLIENT_SECRET") or None,
            meta_app_id=env.get("META_APP_ID") or None,
            mail_from=env.get("UNPLUGGED_MAIL_FROM") or None,
            smtp_url=env.get("UNPLUGGED_SMTP_URL") or None,
            sync_interval_s=int(env.get("UNPLUGGED_SYNC_INTERVAL", "120")),
            allow_loopback=_bool(env.get("UNPLUGGED_ALLOW_LOOPBACK"), default=demo),
            log_format=_log_format(env.get("UNPLUGGED_LOG_FORMAT")),
            instance_path=instance,
        )

    def checked(self) -> Settings:
        """Refuse to run without the secrets production needs; the demo may invent them.

        A demo install gets a generated secret and encryption key stored in the
        instance folder, so restarts keep sessions and can still read credentials.
        """
        if self.secret_key and len(self.secret_key) < MIN_SECRET_CHARS and not self.demo:
            raise ConfigError(
                f"UNPLUGGED_SECRET_KEY must be at least {MIN_SECRET_CHARS} characters "
                "(it signs every session cookie). Generate one with `unplugged keys`."
            )
        if self.secret_key and self.encryption_keys:
            return self
        if not self.demo:
            missing = [
                name
                for name, value in (
                    ("UNPLUGGED_SECRET_KEY", self.secret_key),
                    ("UNPLUGGED_ENCRYPTION_KEYS", self.encryption_keys),
                )
                if not value
            ]
            raise ConfigError(
                "Unplugged will not start without "
                + " and ".join(missing)
                + ". Generate them with `unplugged keys` and put them in .env "
                "(or set UNPLUGGED_DEMO=1 for a local demo)."
            )
        return replace(
            self,
            secret_key=self.secret_key or _instance_secret(self.instance_path, "secret_key", "hex"),
            encryption_keys=self.encryption_keys
            or (_instance_secret(self.instance_path, "encryption_key", "fernet"),),
        )


def _instance_secret(instance: Path, name: str, kind: str) -> str:
    """A secret generated once and kept in the instance folder (demo installs only)."""
    from cryptography.fernet import Fernet

    instance.mkdir(parents=True, exist_ok=True)
    path = instance / name
    if path.exists():
        return path.read_text().strip()
    value = Fernet.generate_key().decode() if kind == "fernet" else secrets.token_hex(32)
    path.write_text(value)
    path.chmod(0o600)
    return value
