"""A message before it is dressed in a network's ids and payload, and the channel it is on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inbox.sandbox.artist import Artist
from inbox.sandbox.catalogue import Post
from inbox.sandbox.compose import Composition
from inbox.sandbox.population import Fan, Identity


@dataclass(frozen=True, slots=True)
class SandboxChannel:
    """The artist's account the traffic is addressed to."""

    network: str
    handle: str
    account_id: str  # the artist's own id on the network
    display_name: str
    seed: int | str
    artist: Artist


@dataclass(frozen=True, slots=True)
class Draft:
    """One message, network-neutral apart from its final text.

    ``key`` is unique on the channel and stable across runs: every id the
    network style derives comes from it (and the time), which is what makes a
    re-fetched window carry the same external ids.
    """

    key: str
    created_at: datetime
    fan: Fan
    identity: Identity
    kind: str  # one of inbox.connectors.base.KINDS
    text: str  # final text, with the network's @mentions
    composition: Composition
    role: str = "opening"  # opening | followup | chime_in | answer
    post: Post | None = None  # what a comment hangs off
    first: Draft | None = None  # the thread's opening message, for followups and chime-ins
    # For answers to the artist's reply, the ids the reply target gave.
    thread_id: str | None = None
    parent_id: str | None = None

    @property
    def subject(self) -> str | None:
        return self.composition.subject
