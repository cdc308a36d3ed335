"""Fixtures for the triage tests: the shipped model and the training data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from triage.classifier import Model, load_model
from triage.datasets import INDEPENDENT_DATA, OWN_DATA, default_data_dir


@pytest.fixture(scope="session")
def model() -> Model:
    return load_model()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = default_data_dir()
    if not (path / "youtube-spam").is_dir():
        pytest.skip(f"training data not found at {path}")
    return path


@pytest.fixture(scope="session")
def own_texts() -> list[str]:
    """Every training message the project keeps (the evaluation sets excepted)."""
    quiet = OWN_DATA / "quiet"
    texts: list[str] = []
    for path in sorted(OWN_DATA.rglob("*.jsonl")):
        if INDEPENDENT_DATA in path.parents or quiet in path.parents:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(str(json.loads(line)["text"]))
    return texts
