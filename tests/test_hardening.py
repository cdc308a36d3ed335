"""Small hardening: secrets of a useful length, HSTS over https, no secrets in request logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask

from crm import logs
from crm.app import create_app
from inbox.config import ConfigError, Settings
from inbox.runtime import Runtime
from tests.conftest import TEST_KEY


def test_a_short_secret_key_is_refused_with_what_to_do(tmp_path: Path) -> None:
    short = Settings(
        database_url="sqlite://",
        secret_key="x",
        encryption_keys=(TEST_KEY,),
        instance_path=tmp_path,
    )
    with pytest.raises(ConfigError, match="at least 32 characters"):
        short.checked()
    long = Settings(
        database_url="sqlite://",
        secret_key="k" * 32,
        encryption_keys=(TEST_KEY,),
        instance_path=tmp_path,
    )
    assert long.checked().secret_key == "k" * 32


def test_https_installs_send_hsts_and_the_demo_does_not(app: Flask, rt: Runtime) -> None:
    from dataclasses import replace

    plain = app.test_client().get("/login")
    assert "Strict-Transport-Security" not in plain.headers  # the test app has insecure cookies
    rt.settings = replace(rt.settings, secure_cookies=True)
    secure = create_app(runtime=rt).test_client().get("/login")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize(
    ("line", "kept", "hidden"),
    [
        (
            "GET /oauth/x/callback?code=s3cr3t-code&state=st4te HTTP/1.1",
            "/oauth/x/callback?code=[redacted]&state=[redacted]",
            ["s3cr3t-code", "st4te"],
        ),
        ("GET /webhooks/x?crc_token=abcDEF123 HTTP/1.1", "crc_token=[redacted]", ["abcDEF123"]),
        (
            "GET /webhooks/meta?hub.mode=subscribe&hub.verify_token=v3r1fy&hub.challenge=42 HTTP/1.1",
            "hub.mode=subscribe&hub.verify_token=[redacted]",
            ["v3r1fy"],
        ),
        ("GET /?view=inbox&q=postcode HTTP/1.1", "q=postcode", []),
    ],
)
def test_request_logs_never_hold_oauth_codes_or_tokens(
    line: str, kept: str, hidden: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    logs.install()
    for name in logs.LOGGERS:
        caplog.clear()
        with caplog.at_level(logging.INFO, logger=name):
            if name == "werkzeug":
                logging.getLogger(name).info('127.0.0.1 - - "%s" 200 -', line)
            else:  # gunicorn passes its atoms as a mapping
                logging.getLogger(name).info("%(r)s %(q)s", {"r": line, "q": line.split("?")[-1]})
        written = caplog.text
        assert kept in written, (name, written)
        for secret in hidden:
            assert secret not in written, name


def test_ready_when_the_database_answers_and_not_when_it_does_not(app: Flask, rt: Runtime) -> None:
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"]["database"]["ok"] is True
    rt.engine.dispose()
    from sqlalchemy import event

    @event.listens_for(rt.engine, "connect")
    def _refuse(*_args: object) -> None:
        raise OSError("database is down")

    down = client.get("/readyz")
    body = down.get_json()
    assert down.status_code == 503 and body["checks"]["database"]["ok"] is False
    assert "database is down" not in down.get_data(as_text=True)  # no server detail echoed
    assert client.get("/healthz").status_code == 200  # alive all the same


def test_every_response_carries_a_request_id_and_a_sane_one_is_kept(app: Flask) -> None:
    client = app.test_client()
    fresh = client.get("/healthz").headers["X-Request-ID"]
    assert len(fresh) == 32
    kept = client.get("/healthz", headers={"X-Request-ID": "edge-1234abcd"})
    assert kept.headers["X-Request-ID"] == "edge-1234abcd"
    forged = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert forged.headers["X-Request-ID"] != "<script>alert(1)</script>"


def test_json_log_lines_carry_the_request_id(app: Flask) -> None:
    import json

    record = logging.LogRecord(
        "unplugged.web", logging.WARNING, __file__, 1, "hello %s", ("x",), None
    )
    with app.test_request_context("/"):
        from flask import g

        g.request_id = "req-12345678"
        logs.RequestIdFilter().filter(record)
    line = json.loads(logs.JsonFormatter().format(record))
    assert line == {
        "time": line["time"],
        "level": "WARNING",
        "logger": "unplugged.web",
        "message": "hello x",
        "request_id": "req-12345678",
    }


def test_a_bad_log_format_is_refused_at_start_up() -> None:
    with pytest.raises(ConfigError, match="UNPLUGGED_LOG_FORMAT"):
        Settings.from_env({"UNPLUGGED_LOG_FORMAT": "xml"})


def test_the_health_command_checks_the_database(rt: Runtime, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from crm.cli import main

    env = {
        "DATABASE_URL": rt.settings.database_url,
        "UNPLUGGED_SECRET_KEY": rt.settings.secret_key,
        "UNPLUGGED_ENCRYPTION_KEYS": ",".join(rt.settings.encryption_keys),
        "UNPLUGGED_INSTANCE_PATH": str(tmp_path),
        "UNPLUGGED_JOBS": "inline",
    }
    result = CliRunner().invoke(main, ["health"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("database: ok")
