"""The registry of connectors: one module per network in this package.

Each module defines a connector class and decorates it with :func:`register`.
The registry imports every module of the package the first time it is asked,
so adding a network is adding one file here.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from inbox.connectors.base import ChannelConfig, Connector, Publishes

_REGISTRY: dict[str, Callable[[ChannelConfig], Connector]] = {}
_loaded = False


def register(name: str) -> Callable[[type], type]:
    """Class decorator: make a connector available under ``name``."""

    def deco(cls: type) -> type:
        _REGISTRY[name] = cls
        return cls

    return deco


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for mod in pkgutil.iter_modules(__path__):
        if mod.name != "base" and not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")
    _loaded = True


def available() -> list[str]:
    _load_all()
    return sorted(_REGISTRY)


def publishes(connector: str) -> bool:
    """Whether ``connector`` can post on the account's own timeline (the Posting page
    offers only those channels)."""
    _load_all()
    factory = _REGISTRY.get(connector)
    return isinstance(factory, type) and issubclass(factory, Publishes)


def build(connector: str, config: ChannelConfig) -> Connector:
    """A connector instance for a channel. ``connector`` is the channel's connector name."""
    _load_all()
    try:
        factory = _REGISTRY[connector]
    except KeyError:
        raise KeyError(f"no connector named {connector!r}; have {sorted(_REGISTRY)}") from None
    return factory(config)
