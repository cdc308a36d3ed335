"""The phrasebooks by language code: the four languages the sandbox writes in."""

from __future__ import annotations

from collections.abc import Mapping

from inbox.sandbox import phrases_de, phrases_en, phrases_es, phrases_fr
from inbox.sandbox.phrasebook import Phrasebook

PHRASEBOOKS: Mapping[str, Phrasebook] = {
    book.lang: book
    for book in (
        phrases_en.PHRASEBOOK,
        phrases_fr.PHRASEBOOK,
        phrases_es.PHRASEBOOK,
        phrases_de.PHRASEBOOK,
    )
}


def phrasebook(lang: str) -> Phrasebook:
    """The phrasebook for ``lang``, English for a language the sandbox does not write."""
    return PHRASEBOOKS.get(lang, PHRASEBOOKS["en"])
