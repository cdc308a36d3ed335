"""Word-by-word English glosses, so that the English readers can read the other languages.

The word-piece vectors and the sentence encoder come from all-MiniLM-L6-v2,
which learned English: "je sais où tu dors" is five unknown fragments to it,
"i know where you sleep" is a sentence it places next to other threats. No
multilingual model or translation engine installs offline, so the meaning
readers see a gloss instead: each French, Spanish, German, Portuguese or
Italian word replaced by its usual English sense, from the word lists in
``glossary/`` (one ``word<TAB>english`` per line, written for this project
with the vocabulary of fan mail, live music, business and danger).

A gloss is crude (no grammar, one sense per word) but an English encoder reads
broken English far better than French. Only the meaning readers see it: the
n-grams, the lexicon and the safety rules keep reading the message's own
words, and English messages, or messages whose language is unsure, are read
as they are.

A model carries the glossary it was trained with (``vocab["gloss"]``), so a
change to the word lists changes nothing until the next training.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from triage.text import TOKEN_RE, normalise_text

GLOSSARY_DIR = Path(__file__).resolve().parent / "glossary"
LANGS = ("fr", "es", "de", "pt", "it")
_KEY = re.compile(r"[^\W\d_]+")
MAX_ENGLISH_WORDS = 4


class GlossaryError(ValueError):
    """A word list line that is not ``word<TAB>english``."""


class Glossary:
    """Per language, folded word -> English words."""

    def __init__(self, tables: Mapping[str, Mapping[str, str]]) -> None:
        self.source = {lang: dict(table) for lang, table in tables.items()}
        self.tables: dict[str, dict[str, tuple[str, ...]]] = {
            lang: {word: tuple(TOKEN_RE.findall(english)) for word, english in table.items()}
            for lang, table in tables.items()
        }

    def __len__(self) -> int:
        return sum(len(t) for t in self.tables.values())

    def to_json(self) -> dict[str, dict[str, str]]:
        return self.source

    def tokens(self, tokens: Sequence[str], lang: str) -> list[str]:
        """``tokens`` (of a normalised text) with each known word replaced by its gloss."""
        table = self.tables.get(lang)
        if not table:
            return list(tokens)
        out: list[str] = []
        for token in tokens:
            english = table.get(token)
            if english is None:
                out.append(token)
            else:
                out += english
        return out

    def norms(self, norms: Sequence[str], langs: Sequence[str]) -> list[str]:
        """Each normalised text as the meaning readers should see it (itself unless glossed)."""
        out: list[str] = []
        for norm, lang in zip(norms, langs, strict=True):
            if lang in self.tables:
                out.append(" ".join(self.tokens(TOKEN_RE.findall(norm), lang)))
            else:
                out.append(norm)
        return out

    def readings(
        self, texts: Sequence[str], norms: Sequence[str], langs: Sequence[str]
    ) -> tuple[list[str], list[str]]:
        """What the two meaning readers see of a batch: the word pieces' normalised
        texts (:meth:`norms`) and the encoder's texts (:meth:`encoder_texts`)."""
        glossed = self.norms(norms, langs)
        return glossed, self.encoder_texts(texts, glossed, langs)

    def encoder_texts(
        self, texts: Sequence[str], glossed: Sequence[str], langs: Sequence[str]
    ) -> list[str]:
        """What the sentence encoder reads: the gloss (``glossed``, from :meth:`norms`)
        of a glossed language, else the text as written."""
        return [
            gloss if lang in self.tables else text
            for text, gloss, lang in zip(texts, glossed, langs, strict=True)
        ]


def parse_table(lines: Sequence[str], where: str = "glossary") -> dict[str, str]:
    """One word list: folded single-word keys (first entry wins), lowercase English."""
    table: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        word, sep, english = line.rstrip("\n").partition("\t")
        key = normalise_text(word)
        gloss = normalise_text(english)
        if not sep or not _KEY.fullmatch(key) or not gloss:
            raise GlossaryError(f"{where}:{number}: expected 'word<TAB>english', got {line!r}")
        if len(gloss.split()) > MAX_ENGLISH_WORDS:
            raise GlossaryError(f"{where}:{number}: more than {MAX_ENGLISH_WORDS} English words")
        table.setdefault(key, gloss)
    return table


def load_source(folder: Path = GLOSSARY_DIR) -> Glossary:
    """The shipped word lists (``glossary/<lang>.tsv``); training copies them into the model."""
    tables: dict[str, dict[str, str]] = {}
    for lang in LANGS:
        path = folder / f"{lang}.tsv"
        if path.is_file():
            tables[lang] = parse_table(
                path.read_text(encoding="utf-8").splitlines(), str(path.name)
            )
    return Glossary(tables)
