"""The dependency contracts in pyproject.toml hold, and they bite when broken."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("crm", "inbox", "triage", "models")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_sources(dest: Path) -> None:
    """The four packages' Python files and the project's contracts, nothing else."""
    for package in PACKAGES:
        for source in (ROOT / package).rglob("*.py"):
            target = dest / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    shutil.copyfile(ROOT / "pyproject.toml", dest / "pyproject.toml")


def _lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_project_keeps_its_layers(tmp_path: Path) -> None:
    _copy_sources(tmp_path)
    result = _lint_imports(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_import_of_the_web_app_inside_the_inbox_breaks_the_build(tmp_path: Path) -> None:
    _copy_sources(tmp_path)
    jobs = tmp_path / "inbox" / "jobs.py"
    jobs.write_text(jobs.read_text() + "\n\nfrom crm.app import create_app  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "inbox.jobs -> crm.app" in result.stdout


def test_a_connector_that_reads_the_schema_breaks_the_build(tmp_path: Path) -> None:
    _copy_sources(tmp_path)
    base = tmp_path / "inbox" / "connectors" / "base.py"
    base.write_text(base.read_text() + "\n\nimport models  # noqa\n")
    result = _lint_imports(tmp_path)
    assert result.returncode != 0
    assert "inbox.connectors.base -> models" in result.stdout
