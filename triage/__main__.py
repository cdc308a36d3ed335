"""``python -m triage classify|train|evaluate``.

``classify`` imports only the classifier (numpy and scipy, no scikit-learn,
Flask or SQLAlchemy; onnxruntime for the full reading): its start-up time is
part of every batch it serves. ``--fast`` reads with the linear heads alone.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from pathlib import Path

USAGE = """usage: python -m triage classify [--fast] [--model DIR] < messages.jsonl
       python -m triage train [options]     (see --help)
       python -m triage evaluate [options]  (see --help)"""


def _classify(args: Sequence[str]) -> int:
    from triage.artifact import ArtifactError
    from triage.classifier import load_model
    from triage.cli import run_classify

    model_dir: Path | None = None
    rest = list(args)
    fast = "--fast" in rest
    rest = [a for a in rest if a != "--fast"]
    if rest:
        if len(rest) != 2 or rest[0] != "--model":
            print(USAGE, file=sys.stderr)
            return 2
        model_dir = Path(rest[1])
    try:
        model = load_model(model_dir)
    except ArtifactError as exc:
        print(f"cannot load the triage model: {exc}", file=sys.stderr)
        return 1
    # Bytes that are not UTF-8 must not stop the stream: they become U+FFFD.
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", errors="backslashreplace")
    try:
        return run_classify(stdin, stdout, model, fast=fast)
    finally:
        stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "classify":
        return _classify(rest)
    if command == "train":
        from triage.train import main as train_main

        return train_main(rest)
    if command == "evaluate":
        from triage.evaluate import main as evaluate_main

        return evaluate_main(rest)
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
