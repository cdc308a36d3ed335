"""The ``classify`` command-line contract, which other tools and the benchmarks rely on.

Input: JSON Lines on stdin, one object per line, with ``text`` (string,
required) and optionally ``author`` (display name or handle), ``network``
and ``lang`` (strings or null).

Output: one JSON object per non-blank input line, in input order, with
``spam``, ``spam_score``, ``sentiment``, ``toxic``, ``toxicity_score``,
``intent``, ``intent_score``, ``priority``, ``priority_score``, ``lang``,
``reasons``, ``model_version`` (and ``urgency``, ``time_cue``, ``safety``, ``scam``,
``reading``: "full" with the sentence encoder, "fast" with ``--fast``).

Errors: a line that is not valid JSON, not an object, or has no string
``text`` yields ``{"error": "..."}`` on its own output line and the rest go
on. Blank (whitespace-only) lines are skipped and produce no output line, so
output line N answers the N-th non-blank input line.

Messages are classified in batches of :data:`BATCH` for speed; output is
written batch by batch, so a long stream is not held in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from triage.classifier import MessageInput, Model, load_model

BATCH = 4096
# The full reading answers in smaller batches, so a stream's first lines come back soon.
FULL_BATCH = 256
MAX_LINE_CHARS = 1_000_000
_OPTIONAL = ("author", "network", "lang")
_OUTPUT_FIELDS = (
    "spam",
    "spam_score",
    "sentiment",
    "toxic",
    "toxicity_score",
    "intent",
    "intent_score",
    "priority",
    "priority_score",
    "lang",
    "reasons",
    "model_version",
    "urgency",
    "time_cue",
    "safety",
    "scam",
    "reading",
)


def parse_line(line: str) -> MessageInput | str:
    """A message, or the error to report for this line."""
    if len(line) > MAX_LINE_CHARS:
        return f"line longer than {MAX_LINE_CHARS} characters"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"invalid JSON: {exc.msg} at column {exc.colno}"
    if not isinstance(record, dict):
        return "expected a JSON object"
    text = record.get("text")
    if not isinstance(text, str):
        return "missing or non-string 'text'"
    fields: dict[str, str | None] = {}
    for name in _OPTIONAL:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            return f"'{name}' must be a string or null"
        fields[name] = value
    return MessageInput(
        text=text, author=fields["author"] or "", network=fields["network"], lang=fields["lang"]
    )


def _batches(lines: Iterable[str], size: int = BATCH) -> Iterator[list[MessageInput | str]]:
    batch: list[MessageInput | str] = []
    for line in lines:
        if not line.strip():
            continue
        batch.append(parse_line(line))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _output(result: Any) -> dict[str, Any]:
    data = result.to_json()
    return {name: data[name] for name in _OUTPUT_FIELDS}


def run_classify(
    stdin: TextIO, stdout: TextIO, model: Model | None = None, *, fast: bool = False
) -> int:
    """Classify JSON Lines from ``stdin`` to ``stdout``; returns the exit status.

    The full reading runs the sentence encoder (about a hundred messages a second);
    ``fast`` the linear heads alone (thousands a second), for bulk work."""
    model = model or load_model()
    batch_size = BATCH if fast or not model.reads_full else FULL_BATCH
    for batch in _batches(stdin, batch_size):
        messages = [item for item in batch if isinstance(item, MessageInput)]
        results = iter(model.classify(messages, fast=fast))
        lines: list[str] = []
        for item in batch:
            if isinstance(item, str):
                lines.append(json.dumps({"error": item}))
            else:
                lines.append(json.dumps(_output(next(results)), ensure_ascii=False))
        stdout.write("\n".join(lines) + "\n")
        stdout.flush()
    return 0
