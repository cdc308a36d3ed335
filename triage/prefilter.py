"""A cheap test that must pass before a big rule pattern runs.

The safety, scam and time-critical rules are alternations of hundreds of
phrasings in six languages. Python's ``re`` has no literal scan for an
alternation: at every position of every message it tries each alternative in
turn, and the rules cost more than the linear heads on the fast path, for
messages that nearly never match them.

Every alternative of those rules needs some plain text to be present: "kill
you" cannot match without "kil", "follow(ed|ing) you home" not without
"follow". :func:`required_literals` reads the pattern's parse tree and
collects, per alternative, one set of strings of which any match must contain
at least one. All those strings together become one trie-shaped regex
(:func:`trie_pattern`), which ``re`` scans fast; only a message that contains
one of them is given to the full pattern. The prefilter can only skip
messages the pattern would not have matched: when an alternative needs no
plain text at all (a bare ``\\w+``), there is no prefilter and the pattern
runs on everything, as before.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from typing import Any

# The parser behind ``re`` (``re._parser`` since Python 3.11). It is internal, so
# every use below is guarded: a parse this module does not understand means no
# prefilter, never a wrong answer.
_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_MIN_LETTERS = 3
_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT)
# Words in nearly every message of their language: a filter on them lets most
# messages through. Only speed depends on this list, never an answer.
_COMMON = frozenset(
    (
        *("and", "are", "for", "got", "has", "have", "her", "his", "let", "not", "out", "the"),
        *("their", "was", "with", "you"),
        *("das", "der", "dich", "die", "ich", "mich", "mir", "und"),  # de
        *("che", "dei", "del", "non", "per"),  # it
        *("des", "est", "les", "pas", "que"),  # fr
        *("con", "las", "los", "por"),  # es
        *("com", "dos", "nao"),  # pt
    )
)


def trie_pattern(words: Iterable[str]) -> str:
    """One regex alternation as a trie: Python's ``re`` tries alternatives one
    by one, so ``fuck|fuk|fck`` written as ``f(?:u(?:ck|k)|ck)`` is far faster
    on every position of every message."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def render(node: dict[str, dict]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + render(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return "(?:" + body + ")?"
        return body

    return render(trie)


def _cost(literals: frozenset[str]) -> float:
    """About how often one of ``literals`` turns up by chance: lower is a better filter."""
    total = 0.0
    for literal in literals:
        letters = sum(ch.isalpha() for ch in literal)
        total += 1.0 if literal.strip(" '") in _COMMON else 26.0**-letters
    return total


def _usable(literals: frozenset[str]) -> bool:
    return all(sum(ch.isalpha() for ch in lit) >= _MIN_LETTERS for lit in literals)


def _head(sequence: Any) -> str:
    """The plain text an alternative starts with (zero-width ``\\b`` skipped)."""
    out: list[str] = []
    for op, arg in sequence:
        if op is _c.LITERAL:
            out.append(chr(arg))
        elif op is not _c.AT:
            break
    return "".join(out)


def _branch_of(op: Any, arg: Any) -> list[Any] | None:
    """The alternatives of a ``(?:a|b)`` group or of a bare alternation."""
    if op is _c.BRANCH:
        return list(arg[1])
    if op is _c.SUBPATTERN and not (arg[1] or arg[2]) and len(arg[3]) == 1:
        inner_op, inner_arg = arg[3][0]
        if inner_op is _c.BRANCH:
            return list(inner_arg[1])
    return None


def _required(sequence: Any) -> frozenset[str] | None:
    """A set of strings one of which every match of ``sequence`` contains, or None."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def close() -> None:
        if run:
            literal = frozenset(["".join(run)])
            if _usable(literal):
                candidates.append(literal)
            run.clear()

    for op, arg in sequence:
        if op is _c.LITERAL:
            run.append(chr(arg))
            continue
        if op is _c.AT:  # \b, ^, $ consume nothing: the run goes on
            continue
        if op in _REPEATS and arg[0] >= 1 and len(arg[2]) == 1 and arg[2][0][0] is _c.LITERAL:
            run.append(chr(arg[2][0][1]) * min(arg[0], 8))  # "kil+": "kil" is there
            close()
            continue
        branch = _branch_of(op, arg)
        if branch is not None and run:
            # The parser factors shared openings out ("pics?|photos?" -> "p(?:ics?|hotos?)"):
            # join them back so that the filter looks for "pic", not "p".
            joined = frozenset("".join(run) + _head(alt) for alt in branch)
            if _usable(joined):
                candidates.append(joined)
        close()
        found: frozenset[str] | None = None
        if branch is not None:
            parts = [_required(alt) for alt in branch]
            if all(part is not None for part in parts):
                found = frozenset().union(*(p for p in parts if p is not None))
        elif op is _c.SUBPATTERN and not (arg[1] or arg[2]):
            found = _required(arg[3])
        elif op in _REPEATS and arg[0] >= 1:
            found = _required(arg[2])
        if found is not None:
            candidates.append(found)
    close()
    return min(candidates, key=_cost) if candidates else None


def required_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Strings one of which every match of ``pattern`` contains, or None if
    some alternative needs none (or the pattern uses flags this does not read)."""
    if pattern.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    try:
        tree = _parser.parse(pattern.pattern, pattern.flags)
    except (re.error, AttributeError, TypeError, ValueError):
        return None
    return _required(tree)


class Prefiltered:
    """A compiled pattern behind a literal prefilter; ``search`` answers as the
    pattern's own would, only sooner when the message lacks every needed string."""

    __slots__ = ("pattern", "prefilter")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        literals = required_literals(pattern)
        self.prefilter = re.compile(trie_pattern(sorted(literals))) if literals else None

    def search(self, text: str) -> re.Match[str] | None:
        if self.prefilter is not None and self.prefilter.search(text) is None:
            return None
        return self.pattern.search(text)

    def sub(self, replacement: str, text: str) -> str:
        if self.prefilter is not None and self.prefilter.search(text) is None:
            return text
        return self.pattern.sub(replacement, text)
