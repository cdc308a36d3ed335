"""The sandbox network: seeded, deterministic fan traffic for the demo and the tests.

Nothing here talks to a network. A population of a few hundred invented fans
(superfans, bookers, journalists, trolls, spam bots...) writes to an invented
band in English, French, Spanish and German, in the style of X, Bluesky,
Instagram, YouTube, Mastodon, Facebook and email. Two ways in:

* the ``sandbox`` connector (:mod:`inbox.connectors.sandbox`), which serves the
  traffic over time like a real network, replies included;
* :func:`generate_import_lines`, which writes a bulk history in the import
  format for ``unplugged import`` and its benchmark.

:data:`DEFAULT_DEMO_CHANNELS` describes the channels ``make demo`` connects.
"""

from inbox.sandbox.artist import (
    DEFAULT_ARTIST,
    DEFAULT_DEMO_CHANNELS,
    DEFAULT_HISTORY_DAYS,
    DEFAULT_RATES,
    DEFAULT_SEED,
    Artist,
    DemoChannel,
)
from inbox.sandbox.handles import artist_account_id
from inbox.sandbox.import_lines import generate_import_lines
from inbox.sandbox.personas import Persona
from inbox.sandbox.population import build_population

__all__ = [
    "DEFAULT_ARTIST",
    "DEFAULT_DEMO_CHANNELS",
    "DEFAULT_HISTORY_DAYS",
    "DEFAULT_RATES",
    "DEFAULT_SEED",
    "Artist",
    "DemoChannel",
    "Persona",
    "artist_account_id",
    "build_population",
    "generate_import_lines",
]
