"""Write the project's labelled examples to ``triage/data/``."""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterable
from pathlib import Path

from triage.datagen import lang_de, lang_en, lang_es, lang_fr
from triage.datagen.bots import generate_bots, generate_ham_comments
from triage.datagen.compose import Example, generate

PACKS = (lang_en.PACK, lang_fr.PACK, lang_es.PACK, lang_de.PACK)
DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# Messages written per template: enough variants for the roughening to show,
# few enough that no template dominates its intent.
TRAIN_PER_TEMPLATE = 6
HELDOUT_PER_TEMPLATE = 4


def _write(path: Path, examples: Iterable[Example]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for example in examples:
            out.write(json.dumps(example.to_json(), ensure_ascii=False) + "\n")
            count += 1
    return count


def build(out_dir: Path, seed: int = 5) -> dict[str, int]:
    """Write the four files and return how many lines each got."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # reproducible training data (bandit B311)
    rng = random.Random(seed)  # nosec B311
    train: list[Example] = []
    heldout: list[Example] = []
    for pack in PACKS:
        train += generate(pack, pack.train, TRAIN_PER_TEMPLATE, rng)
        heldout += generate(pack, pack.heldout, HELDOUT_PER_TEMPLATE, rng)
    # Keep held-out texts out of the training file even when two templates
    # happen to produce the same short message.
    held_keys = {e.text.casefold() for e in heldout}
    train = [e for e in train if e.text.casefold() not in held_keys]
    bots_train = generate_bots(300, heldout=False, rng=rng) + generate_ham_comments(200, rng)
    bots_held = generate_bots(120, heldout=True, rng=rng) + generate_ham_comments(80, rng)
    return {
        "fan_messages.jsonl": _write(out_dir / "fan_messages.jsonl", train),
        "fan_messages_heldout.jsonl": _write(out_dir / "fan_messages_heldout.jsonl", heldout),
        "spam_bots.jsonl": _write(out_dir / "spam_bots.jsonl", bots_train),
        "spam_bots_heldout.jsonl": _write(out_dir / "spam_bots_heldout.jsonl", bots_held),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    for name, count in build(args.out).items():
        print(f"{name}: {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
