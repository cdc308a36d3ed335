"""Word-piece vectors: a pretrained model's sense of words, at lookup speed.

The n-gram features know only the words of the training rows. A message
saying "gutted" when training only saw "sad" gets nothing from them. A
pretrained sentence encoder knows that the two are close, but running one
costs milliseconds per message, hundreds of times the classifier's budget.
This module keeps the part that is cheap: a static vector for each of the
encoder's 30,522 word pieces (``pretrained/minilm_pieces.npz``, made once
by :mod:`triage.distill` from all-MiniLM-L6-v2; see
``pretrained/NOTICE.md``). A message's vector is the weighted mean of its
pieces' vectors, weights ``a / (a + p(piece))`` from the training corpus, so
that "the" and "!" count for little; then L2-normalised.

Only numpy and scipy: the word-piece split is the greedy longest-match of
BERT's tokenizer, run on :func:`triage.text.normalise_text`'s tokens
(already case- and accent-folded) and remembered per word.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from triage.text import TOKEN_RE

SOURCE = Path(__file__).resolve().parent / "pretrained" / "minilm_pieces.npz"
MAX_WORD_CHARS = 50
SIF_A = 1e-2


class PieceVectors:
    """Pieces, their int8 vectors with a per-dimension scale, and their weights."""

    def __init__(
        self, pieces: Sequence[str], vectors: np.ndarray, scale: np.ndarray, weight: np.ndarray
    ) -> None:
        n = len(pieces)
        if vectors.ndim != 2 or vectors.shape[0] != n or vectors.dtype != np.int8:
            raise ValueError("piece vectors must be int8, one row per piece")
        if scale.shape != (vectors.shape[1],) or weight.shape != (n,):
            raise ValueError("piece scale or weights do not match the vectors")
        self.pieces = list(pieces)
        self.vectors = vectors
        self.scale = scale.astype(np.float32)
        self.weight = weight.astype(np.float32)
        self.table = vectors.astype(np.float32) * self.scale
        self.index = {p: i for i, p in enumerate(self.pieces)}
        self.split = lru_cache(maxsize=200_000)(self._split)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def _split(self, word: str) -> tuple[int, ...]:
        """Greedy longest-match word pieces; a word with an unknown part has none."""
        if len(word) > MAX_WORD_CHARS:
            return ()
        index = self.index
        out: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = -1
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = index.get(piece, -1)
                if found >= 0:
                    break
                end -= 1
            if found < 0:
                return ()
            out.append(found)
            start = end
        return tuple(out)

    def ids(self, norm: str) -> list[int]:
        return self._token_ids(TOKEN_RE.findall(norm))

    def _token_ids(self, tokens: Sequence[str]) -> list[int]:
        split = self.split
        return [i for token in tokens for i in split(token)]

    def embed(self, norms: Sequence[str]) -> np.ndarray:
        """One L2-normalised row per normalised text (zeros for a text with no known piece)."""
        return self.embed_tokens([TOKEN_RE.findall(norm) for norm in norms])

    def embed_tokens(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """:meth:`embed` for texts already cut by ``TOKEN_RE`` (the featuriser's word tokens)."""
        cols: list[int] = []
        lengths: list[int] = []
        for tokens in token_lists:
            ids = self._token_ids(tokens)
            cols.extend(ids)
            lengths.append(len(ids))
        n = len(token_lists)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        col = np.asarray(cols, dtype=np.int32)
        mix = sp.csr_matrix((self.weight[col], col, indptr), shape=(n, len(self.pieces)))
        out = np.asarray(mix @ self.table, dtype=np.float32)
        norm = np.linalg.norm(out, axis=1, keepdims=True)
        norm[norm == 0] = 1.0
        return out / norm

    def with_weights_from(self, norms: Iterable[str], a: float = SIF_A) -> PieceVectors:
        """The same vectors, weighted by how often each piece occurs in ``norms``."""
        counts = Counter(i for norm in norms for i in self.ids(norm))
        freq = np.zeros(len(self.pieces), dtype=np.float64)
        for i, c in counts.items():
            freq[i] = c
        p = freq / max(freq.sum(), 1.0)
        return PieceVectors(self.pieces, self.vectors, self.scale, a / (a + p))


def load_source(path: Path = SOURCE) -> PieceVectors:
    """The distilled table shipped with the project, every piece weighted 1."""
    with np.load(path, allow_pickle=False) as data:
        pieces = [str(p) for p in data["pieces"]]
        vectors, scale = data["vectors"], data["scale"]
    return PieceVectors(pieces, vectors, scale, np.ones(len(pieces), dtype=np.float32))
