"""@mentions in private notes: finding who is named, and showing the names as names.

A mention is ``@`` followed by a teammate's handle (see
:func:`crm.services.team.members`), matched case-insensitively; an ``@`` in
the middle of a word (an email address) is not a mention.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from crm.services.team import Member

MENTION = re.compile(r"(?<![\w@])@([\w][\w.\-]{0,63})")


@dataclass(frozen=True)
class Segment:
    text: str
    member: Member | None = None  # set when this piece is a mention


def _by_handle(members: Iterable[Member]) -> dict[str, Member]:
    return {m.handle.lower(): m for m in members}


def _handle_of(raw: str) -> str:
    return raw.rstrip(".-").lower()


def mentioned(text: str, members: Iterable[Member]) -> list[Member]:
    """The teammates named in ``text``, each once, in order of first mention."""
    known = _by_handle(members)
    found: dict[int, Member] = {}
    for match in MENTION.finditer(text):
        member = known.get(_handle_of(match.group(1)))
        if member is not None:
            found.setdefault(member.user_id, member)
    return list(found.values())


def segments(text: str, members: Iterable[Member]) -> list[Segment]:
    """``text`` cut into plain pieces and mentions, for a template to escape and style."""
    known = _by_handle(members)
    out: list[Segment] = []
    pos = 0
    for match in MENTION.finditer(text):
        handle = _handle_of(match.group(1))
        member = known.get(handle)
        if member is None:
            continue
        end = match.start() + 1 + len(handle)
        if match.start() > pos:
            out.append(Segment(text[pos : match.start()]))
        out.append(Segment(text[match.start() : end], member))
        pos = end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out
