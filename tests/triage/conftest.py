"""Fixtures for the triage tests: the shipped model and the training data."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.classifier import Model, load_model
from triage.datasets import default_data_dir


@pytest.fixture(scope="session")
def model() -> Model:
    return load_model()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = default_data_dir()
    if not (path / "youtube-spam").is_dir():
        pytest.skip(f"training data not found at {path}")
    return path
