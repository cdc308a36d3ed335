"""The installed packages are the ones requirements.lock pins (what `make` installs)."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"


def _pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name] = version
    return pins


def test_every_dependency_is_pinned_and_installed_at_its_pin() -> None:
    pins = _pins()
    assert {"flask", "sqlalchemy", "rq", "tweepy", "scikit-learn", "pytest"} <= set(pins)
    wrong = {
        name: (metadata.version(name), version)
        for name, version in pins.items()
        if metadata.version(name) != version
    }
    assert wrong == {}, "run `make lock` after changing pyproject.toml, then reinstall"
