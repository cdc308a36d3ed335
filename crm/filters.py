"""Jinja filters and globals that need no language: network names, idempotency keys.

Times and anything translated are in :mod:`crm.views.i18n`.
"""

from __future__ import annotations

import secrets

from flask import Flask

NETWORK_NAMES = {
    "x": "X",
    "bluesky": "Bluesky",
    "instagram": "Instagram",
    "facebook": "Facebook",
    "youtube": "YouTube",
    "mastodon": "Mastodon",
    "email": "Email",
}


def network_name(value: str) -> str:
    return NETWORK_NAMES.get(value, value.title())


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(network_name=network_name)
    app.jinja_env.globals["new_idempotency_key"] = lambda: secrets.token_hex(16)
