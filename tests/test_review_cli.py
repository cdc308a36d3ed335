"""`unplugged report`: the same figures as the page, as JSON, CSV or one HTML file."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from crm.cli import main
from inbox.runtime import Runtime
from models import Workspace
from tests.test_review_data import build

Run = Callable[..., Result]


@pytest.fixture
def report(rt: Runtime, workspace: Workspace, tmp_path: Path) -> Run:
    with rt.session() as s:
        build(s, workspace.id)
    env = {
        "DATABASE_URL": rt.settings.database_url,
        "UNPLUGGED_SECRET_KEY": rt.settings.secret_key,
        "UNPLUGGED_ENCRYPTION_KEYS": ",".join(rt.settings.encryption_keys),
        "UNPLUGGED_INSTANCE_PATH": str(tmp_path),
        "REDIS_URL": "",
        "UNPLUGGED_JOBS": "",
    }

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["report", *args], env=env, catch_exceptions=False)

    return run


def test_report_json_gives_every_measure_with_change_and_trend(report: Run) -> None:
    result = report("--week", "2026-W13", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["week"] == "2026-W13" and doc["timezone"] == "Europe/Paris"
    assert doc["start"] == "2026-03-22T23:00:00+00:00" and doc["end"] == "2026-03-29T22:00:00+00:00"
    m = {x["key"]: x for x in doc["measures"]}
    assert (m["messages"]["value"], m["messages"]["previous"], m["messages"]["change"]) == (7, 2, 5)
    assert m["messages"]["trend"] == [0, 1, 0, 0, 0, 1, 2, 7]
    assert m["frt_median"]["value"] == 32400 and m["frt_business_p90"]["value"] == 7200
    assert m["returning_fans"]["value"] == 1 and m["flags"]["value"] == 1
    assert doc["superfans_gained"] == ["Hugo"] and doc["superfans_lapsed"] == ["Lou"]


def test_report_csv_prints_every_table_or_one(report: Run) -> None:
    everything = report("--week", "2026-W13", "--format", "csv").output
    for key in ("summary", "trend", "networks", "members", "fans", "intents", "cases", "flags"):
        assert f"# {key}\n" in everything
    one = report("--week", "2026-W13", "--format", "csv", "--table", "summary").output
    rows = {r[0]: r[1:] for r in csv.reader(io.StringIO(one))}
    assert rows["reply_share"] == ["0.8333", "1.0", "-0.1667"]


def test_report_html_is_one_self_contained_file(report: Run) -> None:
    html = report("--week", "2026-W13", "--format", "html").output
    assert html.lstrip().startswith("<!doctype html>")
    assert 'data-measure="messages">7<' in html and "<svg" in html and "<style>" in html
    assert "/review/" not in html  # no links back into the app's exports


def test_report_refuses_a_bad_week(report: Run) -> None:
    result = report("--week", "47")
    assert result.exit_code != 0
    assert "2026-W47" in result.output
