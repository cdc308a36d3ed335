"""Text to sparse features, identical at training and at classification.

One featuriser feeds every head of the model (spam, sentiment, toxicity,
intent, priority), so a batch is read once however many questions are asked
of it. It uses only the standard library, numpy and scipy, so that
``unplugged classify`` starts without importing scikit-learn, and the
character n-grams are hashed by numpy over the whole batch at once: a Python
loop over every n-gram of 20,000 messages would cost seconds.

Blocks, each L2-normalised on its own and then weighted:

* ``word``: word unigrams and bigrams of the normalised text (a vocabulary);
* ``char``: hashed character 2-5-grams of the normalised text, which carry
  meaning across typos, missing accents, inflection and languages;
* ``author``: hashed character 1-4-grams of the author's display name
  (NFKC-folded): the only place where 2023-style bots show themselves;
* ``dense``: cues that n-grams count badly, each scaled to about 0..1: form
  (links, shouting, decoration in the author's name), lexicon sentiment
  sums and swearing (see :mod:`triage.lexicon`);
* ``meaning`` (when the model has word-piece vectors): the message's
  pretrained word-piece vector (:mod:`triage.pieces`), in columns after
  all the others.

An n-gram's value is ``count x idf`` and a block's norm is
``sqrt(sum(count x idf^2))``: the same linear function whether repeated
n-grams are summed first (training) or left as separate entries
(classification, which skips the sort that summing would need).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise, repeat

import numpy as np
import scipy.sparse as sp

from triage.lexicon import (
    PROFANITY_NAMES,
    SENTIMENT_NAMES,
    LanguageWords,
    LexiconScorer,
    profanity_features,
)
from triage.pieces import PieceVectors
from triage.text import (
    EMOJI_RE,
    FANCY_RE,
    LETTER_RE,
    TOKEN_RE,
    clean_markup,
    normalise_author,
    normalise_text,
)

FORM_NAMES = (
    "has_url",
    "many_urls",
    "log_length",
    "caps_ratio",
    "exclaims",
    "questions",
    "emoji_density",
    "author_fancy",
    "author_emoji",
    "author_digits",
    "author_long",
    "no_letters",
)
DENSE_NAMES = FORM_NAMES + SENTIMENT_NAMES + PROFANITY_NAMES
# The lexicon's sums read with the message's language list first (see
# FeatureConfig.language_lexicon), beside the shared lexicon's sums: a head reads
# one pair or the other (train.HeadSpec.uses_language_lexicon).
LANGUAGE_LEXICON_NAMES = tuple(f"lang_{name}" for name in SENTIMENT_NAMES)


def form_features(raw: str, norm: str, author: str) -> tuple[float, ...]:
    """Cues about form rather than words; all scaled to roughly 0..1."""
    length = len(raw)
    letters = len(LETTER_RE.findall(raw))
    upper = sum(map(str.__ne__, raw, raw.lower())) if letters >= 4 else 0
    urls = norm.count("httpurl")
    emoji = len(EMOJI_RE.findall(raw))
    fancy = len(FANCY_RE.findall(author))
    author_emoji = len(EMOJI_RE.findall(author))
    author_digits = sum(map(str.isdigit, author))
    return (
        1.0 if urls else 0.0,
        1.0 if urls > 1 else 0.0,
        math.log1p(length) / 8.0,
        upper / letters if letters >= 4 else 0.0,
        min(raw.count("!"), 5) / 5.0,
        min(raw.count("?"), 3) / 3.0,
        min(emoji * 4.0 / max(length, 1), 1.0),
        min(fancy / 4.0, 1.0),
        min(author_emoji / 2.0, 1.0),
        1.0 if author_digits >= 4 else 0.0,
        1.0 if len(author) > 25 else 0.0,
        1.0 if length and not letters else 0.0,
    )


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """How n-grams are cut and blocks weighed; stored with the model."""

    char_min: int = 2
    char_max: int = 5
    char_bits: int = 21
    author_min: int = 1
    author_max: int = 4
    author_bits: int = 18
    word_bigrams: bool = True
    # A second set of lexicon sums, read with the message's language list first
    # (LANGUAGE_LEXICON_NAMES); models from before the lists have none and load as they were.
    language_lexicon: bool = False
    weights: dict[str, float] = field(
        default_factory=lambda: {
            "word": 1.0,
            "char": 1.0,
            "author": 1.0,
            "form": 1.0,
            "lexicon": 2.0,
            "profanity": 1.5,
            "meaning": 1.0,
        }
    )

    def dense_names(self) -> tuple[str, ...]:
        return DENSE_NAMES + (LANGUAGE_LEXICON_NAMES if self.language_lexicon else ())

    def dense_scale(self) -> np.ndarray:
        w = self.weights
        return np.array(
            [w["form"]] * len(FORM_NAMES)
            + [w["lexicon"]] * len(SENTIMENT_NAMES)
            + [w["profanity"]] * len(PROFANITY_NAMES)
            + [w["lexicon"]] * (len(LANGUAGE_LEXICON_NAMES) if self.language_lexicon else 0),
            dtype=np.float32,
        )

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, object]) -> FeatureConfig:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown feature settings: {sorted(unknown)}")
        return cls(**data)  # type: ignore[arg-type]


BLOCKS = ("word", "char", "author", "dense")

_PRIME = np.uint32(16777619)
_MIX = np.uint32(0x9E3779B1)


def hash_char_grams(
    strings: Sequence[str], lo: int, hi: int, bits: int, salt: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Hashed character n-grams of every string, for n in ``lo..hi``.

    Returns, per n, ``(row, bucket)`` arrays in row order. Each string is
    padded with a space on both sides (so word starts and ends are n-grams)
    and strings are separated by NUL, which no n-gram may span. The hash is
    a multiplicative rolling hash in uint32 arithmetic, defined to wrap, so
    it is the same on every machine and in every process.
    """
    big = "\x00 " + " \x00 ".join(strings) + " \x00"
    if big.count("\x00") != len(strings) + 1:  # a NUL inside a string would split it
        big = "\x00 " + " \x00 ".join(s.replace("\x00", " ") for s in strings) + " \x00"
    # "replace" keeps one code unit per character even for lone surrogates.
    codes = np.frombuffer(big.encode("utf-32-le", errors="replace"), dtype="<u4").astype(np.uint32)
    seps = np.cumsum(codes == 0, dtype=np.int32)
    rows_all = seps - 1
    shift = np.uint32(32 - bits)
    out: list[tuple[np.ndarray, np.ndarray]] = []
    rolling = codes.copy()
    for n in range(1, hi + 1):
        if n > 1:
            rolling = rolling[:-1] * _PRIME + codes[n - 1 :]
        if n < lo:
            continue
        size = len(rolling)
        valid = seps[n - 1 :] == seps[:size]
        valid &= codes[:size] != 0
        buckets = (
            (rolling[valid] ^ np.uint32(((salt * 131 + n) * 0x27D4EB2D) & 0xFFFFFFFF)) * _MIX
        ) >> shift
        out.append((rows_all[:size][valid], buckets.astype(np.int32)))
    return out


@dataclass(slots=True)
class Vocabulary:
    """The columns of the model: words, kept char buckets, kept author buckets."""

    words: list[str]
    char_buckets: np.ndarray  # sorted int32 bucket ids
    author_buckets: np.ndarray
    idf: np.ndarray  # float32, one per column of words + char + author

    @property
    def sizes(self) -> tuple[int, int, int]:
        return len(self.words), len(self.char_buckets), len(self.author_buckets)


@dataclass(slots=True)
class FeatureBatch:
    """A batch as per-block sparse parts plus row norms.

    ``parts[block]`` is a list of CSR matrices over the whole column space
    (possibly with repeated entries), whose sum is the block's unnormalised
    tf x idf; ``scale[block]`` is the per-row factor weight / norm.
    """

    n_rows: int
    n_columns: int
    parts: dict[str, list[sp.csr_matrix]]
    scale: dict[str, np.ndarray]
    # A dense block (the word-piece vectors): its first column and its values.
    dense_block: tuple[int, np.ndarray] | None = None

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """``X @ weights`` without ever building X."""
        out = np.zeros((self.n_rows, weights.shape[1]), dtype=np.float32)
        if self.dense_block is not None:
            start, values = self.dense_block
            out += values @ weights[start : start + values.shape[1]]
        for block, parts in self.parts.items():
            if not parts:
                continue
            acc = parts[0] @ weights
            for part in parts[1:]:
                acc += part @ weights
            out += acc * self.scale[block][:, None]
        return out

    def to_csr(self) -> sp.csr_matrix:
        """The explicit matrix, for training."""
        total: sp.csr_matrix | None = None
        for block, parts in self.parts.items():
            for part in parts:
                scaled = sp.diags(self.scale[block]) @ part
                total = scaled if total is None else total + scaled
        if self.dense_block is not None:
            start, values = self.dense_block
            n, dim = values.shape
            cols = np.tile(np.arange(start, start + dim, dtype=np.int32), n)
            indptr = np.arange(0, n * dim + 1, dim, dtype=np.int64)
            block = sp.csr_matrix((values.ravel(), cols, indptr), shape=(n, self.n_columns))
            total = block if total is None else total + block
        assert total is not None
        total = total.tocsr()
        total.sum_duplicates()
        return total.astype(np.float32)


class Featuriser:
    """Maps messages to features over a fixed :class:`Vocabulary`."""

    def __init__(
        self,
        vocabulary: Vocabulary,
        config: FeatureConfig,
        lexicon: dict[str, float],
        pieces: PieceVectors | None = None,
        languages: Mapping[str, LanguageWords] | None = None,
    ) -> None:
        self.config = config
        self.pieces = pieces
        self.vocabulary = vocabulary
        self.lexicon = LexiconScorer(lexicon, languages)
        n_words, n_chars, n_authors = vocabulary.sizes
        if len(vocabulary.idf) != n_words + n_chars + n_authors:
            raise ValueError("idf does not match the vocabulary")
        self.word_index = {w: i for i, w in enumerate(vocabulary.words)}
        self.dense_names = config.dense_names()
        self.scratch = sum(vocabulary.sizes) + len(self.dense_names)  # unknown n-grams, idf 0
        self.meaning_offset = self.scratch + 1
        self.n_columns = self.meaning_offset + (pieces.dim if pieces else 0)
        self.char_map = self._bucket_map(vocabulary.char_buckets, config.char_bits, n_words)
        self.author_map = self._bucket_map(
            vocabulary.author_buckets, config.author_bits, n_words + n_chars
        )
        self.idf = np.zeros(self.n_columns, dtype=np.float32)
        self.idf[: len(vocabulary.idf)] = vocabulary.idf
        self.dense_offset = n_words + n_chars + n_authors

    def _bucket_map(self, buckets: np.ndarray, bits: int, offset: int) -> np.ndarray:
        mapping = np.full(1 << bits, self.scratch, dtype=np.int32)
        mapping[buckets] = np.arange(offset, offset + len(buckets), dtype=np.int32)
        return mapping

    def transform(
        self,
        texts: Sequence[str],
        authors: Sequence[str],
        norms: Sequence[str] | None = None,
        meaning_norms: Sequence[str] | None = None,
        langs: Sequence[str] | None = None,
    ) -> FeatureBatch:
        """Features of a batch; ``norms`` (``normalise_text`` of each text) may
        be passed when the caller already has them. ``meaning_norms`` is what the
        word-piece vectors read instead of ``norms`` (an English gloss, see
        :mod:`triage.gloss`); the n-grams always read the message's own words.
        ``langs`` (one code per text) pick the lexicon's language lists."""
        if len(texts) != len(authors):
            raise ValueError("one author per text")
        if langs is not None and len(langs) != len(texts):
            raise ValueError("one language per text")
        n = len(texts)
        cfg = self.config
        raw = [clean_markup(t) for t in texts]
        if norms is None:
            norms = [normalise_text(t) for t in raw]
        elif len(norms) != n:
            raise ValueError("one normalised text per text")
        author_norms = [normalise_author(a) for a in authors]
        row_langs: Sequence[str | None] = langs if langs is not None else [None] * n
        n_dense = len(self.dense_names)
        score = self.lexicon.features
        by_language = self.config.language_lexicon
        languages = self.lexicon.languages
        rows: list[tuple[float, ...]] = []
        for r, m, a, lang in zip(raw, norms, authors, row_langs, strict=True):
            shared = score(m)
            row = form_features(r, m, a) + shared + profanity_features(m)
            if by_language:
                row += score(m, lang) if lang in languages else shared
            rows.append(row)
        dense = np.array(rows, dtype=np.float32).reshape(n, n_dense)
        dense *= cfg.dense_scale()

        parts: dict[str, list[sp.csr_matrix]] = {}
        sq: dict[str, np.ndarray] = {}
        tokens = [TOKEN_RE.findall(norm) for norm in norms]
        parts["word"], sq["word"] = self._word_part(tokens)
        parts["char"], sq["char"] = self._hashed_parts(
            norms, cfg.char_min, cfg.char_max, cfg.char_bits, 0, self.char_map
        )
        parts["author"], sq["author"] = self._hashed_parts(
            author_norms, cfg.author_min, cfg.author_max, cfg.author_bits, 1, self.author_map
        )
        dense_cols = np.arange(self.dense_offset, self.dense_offset + n_dense)
        parts["dense"] = [
            sp.csr_matrix(
                (
                    dense.ravel(),
                    np.tile(dense_cols, n),
                    np.arange(0, n * n_dense + 1, n_dense),
                ),
                shape=(n, self.n_columns),
            )
        ]
        scale: dict[str, np.ndarray] = {}
        for block in ("word", "char", "author"):
            norm = np.sqrt(sq[block])
            norm[norm == 0] = 1.0
            scale[block] = (cfg.weights[block] / norm).astype(np.float32)
        scale["dense"] = np.ones(n, dtype=np.float32)
        batch = FeatureBatch(n, self.n_columns, parts, scale)
        if self.pieces is not None:
            if meaning_norms is not None:
                if len(meaning_norms) != n:
                    raise ValueError("one meaning text per text")
                tokens = [
                    t if m == g else TOKEN_RE.findall(g)
                    for t, m, g in zip(tokens, norms, meaning_norms, strict=True)
                ]
            meaning = self.pieces.embed_tokens(tokens)
            meaning *= np.float32(cfg.weights.get("meaning", 1.0))
            batch.dense_block = (self.meaning_offset, meaning)
        return batch

    def meaning_columns(self) -> slice:
        return slice(self.meaning_offset, self.n_columns)

    def lexicon_columns(self, by_language: bool) -> slice:
        """The lexicon sums read with the shared lexicon alone, or (``by_language``)
        with the message's language list first; empty if the model has no such."""
        if by_language:
            end = self.dense_offset + len(self.dense_names)
            width = len(LANGUAGE_LEXICON_NAMES) if self.config.language_lexicon else 0
            return slice(end - width, end)
        start = self.dense_offset + len(FORM_NAMES)
        return slice(start, start + len(SENTIMENT_NAMES))

    def _csr(
        self, rows: np.ndarray, cols: np.ndarray, n_rows: int
    ) -> tuple[sp.csr_matrix, np.ndarray]:
        """CSR from row-sorted entries valued idf; also each row's sum of idf^2."""
        values = self.idf[cols]
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        matrix = sp.csr_matrix((values, cols, indptr), shape=(n_rows, self.n_columns))
        squares = np.bincount(rows, weights=values.astype(np.float64) ** 2, minlength=n_rows)
        return matrix, squares

    def _word_part(
        self, token_lists: Sequence[list[str]]
    ) -> tuple[list[sp.csr_matrix], np.ndarray]:
        get = self.word_index.get
        scratch = self.scratch
        cols: list[int] = []
        lengths: list[int] = []
        bigrams = self.config.word_bigrams
        for tokens in token_lists:
            grams = grams_of(tokens, bigrams)
            cols.extend(map(get, grams, repeat(scratch)))
            lengths.append(len(grams))
        n = len(token_lists)
        rows = np.repeat(np.arange(n, dtype=np.int32), lengths)
        matrix, squares = self._csr(rows, np.asarray(cols, dtype=np.int32), n)
        return [matrix], squares

    def _hashed_parts(
        self, strings: Sequence[str], lo: int, hi: int, bits: int, salt: int, mapping: np.ndarray
    ) -> tuple[list[sp.csr_matrix], np.ndarray]:
        parts: list[sp.csr_matrix] = []
        squares = np.zeros(len(strings), dtype=np.float64)
        empty = np.array([not s for s in strings], dtype=bool)
        if empty.all():
            return parts, squares
        for rows, buckets in hash_char_grams(strings, lo, hi, bits, salt):
            if empty.any():
                keep = ~empty[rows]
                rows, buckets = rows[keep], buckets[keep]
            matrix, sq = self._csr(rows, mapping[buckets], len(strings))
            parts.append(matrix)
            squares += sq
        return parts, squares


def word_grams(norm: str, bigrams: bool) -> list[str]:
    return grams_of(TOKEN_RE.findall(norm), bigrams)


def grams_of(tokens: list[str], bigrams: bool) -> list[str]:
    if bigrams and len(tokens) > 1:
        return tokens + [a + " " + b for a, b in pairwise(tokens)]
    return tokens


def build_vocabulary(
    texts: Sequence[str],
    authors: Sequence[str],
    config: FeatureConfig,
    *,
    min_df: int = 2,
    max_words: int = 40_000,
    max_chars: int = 100_000,
    max_authors: int = 20_000,
) -> Vocabulary:
    """Keep the most frequent n-grams of each block and compute their idf."""
    n_docs = len(texts)
    raw = [clean_markup(t) for t in texts]
    norms = [normalise_text(t) for t in raw]
    word_df: dict[str, int] = {}
    for norm in norms:
        for gram in set(word_grams(norm, config.word_bigrams)):
            word_df[gram] = word_df.get(gram, 0) + 1
    ranked = sorted((g for g, c in word_df.items() if c >= min_df), key=lambda g: (-word_df[g], g))
    words = sorted(ranked[:max_words])

    def bucket_df(
        strings: Sequence[str], lo: int, hi: int, bits: int, salt: int, limit: int
    ) -> tuple[np.ndarray, np.ndarray]:
        empty = np.array([not s for s in strings], dtype=bool)
        keys = [
            rows[~empty[rows]].astype(np.int64) << bits | buckets[~empty[rows]]
            for rows, buckets in hash_char_grams(strings, lo, hi, bits, salt)
        ]
        # A bucket counts a document once, even if several n land in it.
        pairs = np.unique(np.concatenate(keys))
        df = np.bincount(pairs & ((1 << bits) - 1), minlength=1 << bits)
        kept = np.flatnonzero(df >= min_df)
        kept = kept[np.argsort(-df[kept], kind="stable")[:limit]]
        kept.sort()
        return kept.astype(np.int32), df[kept]

    author_norms = [normalise_author(a) for a in authors]
    char_b, char_df = bucket_df(
        norms, config.char_min, config.char_max, config.char_bits, 0, max_chars
    )
    auth_b, auth_df = bucket_df(
        author_norms, config.author_min, config.author_max, config.author_bits, 1, max_authors
    )
    dfs = np.concatenate(
        [np.array([word_df[w] for w in words], dtype=np.float64), char_df, auth_df]
    )
    idf = (np.log((1.0 + n_docs) / (1.0 + dfs)) + 1.0).astype(np.float32)
    return Vocabulary(words, char_b, auth_b, idf)
