"""The Review page in a real browser: switch week, read a figure, compare with the CLI's JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Page, expect

from crm.cli import main
from inbox.runtime import Runtime
from models import Workspace
from tests.test_review_data import build

pytestmark = pytest.mark.browser
OpenAs = Callable[..., Page]


def _cli_measures(rt: Runtime, tmp_path: Path, week: str) -> dict[str, dict[str, object]]:
    env = {
        "DATABASE_URL": rt.settings.database_url,
        "UNPLUGGED_SECRET_KEY": rt.settings.secret_key,
        "UNPLUGGED_ENCRYPTION_KEYS": ",".join(rt.settings.encryption_keys),
        "UNPLUGGED_INSTANCE_PATH": str(tmp_path),
        "REDIS_URL": "",
        "UNPLUGGED_JOBS": "",
    }
    result = CliRunner().invoke(
        main, ["report", "--week", week, "--format", "json"], env=env, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return {m["key"]: m for m in json.loads(result.output)["measures"]}


def test_switching_week_shows_the_figures_the_cli_reports(
    open_as: OpenAs, rt: Runtime, workspace: Workspace, tmp_path: Path
) -> None:
    with rt.session() as s:
        build(s, workspace.id)
    page = open_as("viewer")
    page.goto("/review?week=2026-W14")
    expect(page.locator("#review-week")).to_have_text("2026-W14")
    page.click("#review-prev")  # the week switcher
    expect(page.locator("#review-week")).to_have_text("2026-W13")
    assert page.url.endswith("/review?week=2026-W13")
    cli = _cli_measures(rt, tmp_path, "2026-W13")
    summary = page.locator("#table-summary")
    shown = summary.locator("td[data-measure='messages']").inner_text()
    assert shown == str(cli["messages"]["value"]) == "7"
    share = summary.locator("td[data-measure='reply_share']").inner_text()
    assert share == f"{round(float(cli['reply_share']['value']) * 100)} %"  # type: ignore[arg-type]
    # The other way: the week picker.
    page.fill("#review-week-input", "2026-W12")
    page.click(".review-pick button[type=submit]")
    expect(page.locator("#review-week")).to_have_text("2026-W12")
    assert summary.locator("td[data-measure='messages']").inner_text() == str(
        _cli_measures(rt, tmp_path, "2026-W12")["messages"]["value"]
    )
    expect(page.locator("svg.review-bars").first).to_be_visible()
