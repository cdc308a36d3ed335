"""Benchmark ``python -m triage classify`` as other tools run it.

Writes generated fan messages (all four languages, every intent, emails and
DMs, bots) to a JSON Lines file, runs the command as a child process with
that file on stdin, and reports the wall time *including the child's
start-up and model load* and the children's peak resident memory:

    classify_msgs_per_s: N msgs/s        the full reading (sentence encoder), 2,000 messages
    classify_fast_msgs_per_s: N msgs/s   ``--fast`` (linear heads alone), 20,000 messages
    classify_peak_mb: N MB               the larger of the two runs

Run: ``python bench/classify_bench.py [--count N] [--fast-count N] [--model DIR]``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from triage.datagen import lang_de, lang_en, lang_es, lang_fr  # noqa: E402
from triage.datagen.bots import generate_bots  # noqa: E402
from triage.datagen.compose import INTENTS, Template, write_message  # noqa: E402

PACKS = (lang_en.PACK, lang_fr.PACK, lang_es.PACK, lang_de.PACK)


def generate(count: int, seed: int = 20) -> list[dict[str, str]]:
    """``count`` messages: 95% fan messages from every template, 5% bots."""
    rng = random.Random(seed)
    out: list[dict[str, str]] = []
    bots = generate_bots(max(1, count // 20), heldout=False, rng=rng)
    for bot in bots:
        out.append({"text": bot.text, "author": bot.author, "network": bot.network})
    while len(out) < count:
        pack = rng.choice(PACKS)
        intent = rng.choice(INTENTS)
        templates = [*pack.train[intent], *pack.heldout[intent]]
        message = write_message(Template.parse(rng.choice(templates)), intent, pack, rng)
        record = {"text": message.text, "author": message.author, "network": message.network}
        if rng.random() < 0.3:
            record["lang"] = message.lang  # some networks say the language
        out.append(record)
    rng.shuffle(out)
    return out[:count]


def run(count: int, model: Path | None, fast: bool = False) -> tuple[float, float, int]:
    """(messages per second, peak MB of the child, output lines)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "messages.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for record in generate(count):
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        command = [sys.executable, "-m", "triage", "classify"]
        if fast:
            command.append("--fast")
        if model is not None:
            command += ["--model", str(model)]
        with path.open("rb") as stdin:
            started = time.perf_counter()
            done = subprocess.run(command, stdin=stdin, capture_output=True, cwd=ROOT, check=False)
            elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(
            f"classify failed ({done.returncode}): {done.stderr.decode(errors='replace')[-2000:]}"
        )
    lines = done.stdout.count(b"\n")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    return count / elapsed, peak_kb / 1024.0, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2_000)
    parser.add_argument("--fast-count", type=int, default=20_000)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    rate, _, lines = run(args.count, args.model)
    if lines != args.count:
        raise SystemExit(f"expected {args.count} output lines, got {lines}")
    fast_rate, peak_mb, fast_lines = run(args.fast_count, args.model, fast=True)
    if fast_lines != args.fast_count:
        raise SystemExit(f"expected {args.fast_count} output lines, got {fast_lines}")
    print(f"classify_msgs_per_s: {rate:.0f} msgs/s")
    print(f"classify_fast_msgs_per_s: {fast_rate:.0f} msgs/s")
    print(f"classify_peak_mb: {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
