"""Text normalisation shared by the features, the lexicon and the reasons.

Everything the model reads goes through :func:`normalise_text` first, at
training and at classification alike, so the two can never disagree about
what a message says.
"""

from __future__ import annotations

import html
import re
import unicodedata

URL_RE = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|ly|co|biz|io|me|tv|info|ru|xyz|link|ee|gl|be)\b(?:/\S*)?",
    re.IGNORECASE,
)
# Every match of URL_RE holds one of these; most messages hold none, and this
# scan is several times cheaper than URL_RE's try at every word.
_URL_HINT = re.compile(
    r"://|www\.|\.(?:com|net|org|ly|co|biz|io|me|tv|info|ru|xyz|link|ee|gl|be)\b", re.IGNORECASE
)
_HREF = re.compile(r"""href=["']([^"']+)["']""", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,500}>")
_MENTION = re.compile(r"@\w+")
_REPEAT = re.compile(r"(.)\1{2,}")
_SPACE = re.compile(r"\s+")
TOKEN_RE = re.compile(r"\w+|[^\w\s]")
LETTER_RE = re.compile(r"[^\W\d_]")
# Three letters anywhere: a search that stops at the third, not a count of all.
THREE_LETTERS_RE = re.compile(r"[^\W\d_](?:[\W\d_]*[^\W\d_]){2}")
_DIGITS = str.maketrans("0123456789", "0000000000")


def _fold_table() -> dict[int, str]:
    """Latin letters with diacritics to their base letter (é -> e, ß -> ss).

    Fans drop accents on phones ("recu", "cancion", "fur"); folding keeps
    "reçu" and "recu" one feature. ``str.translate`` then runs at C speed.
    """
    table: dict[int, str] = {0xDF: "ss", 0xE6: "ae", 0x153: "oe", 0xF8: "o", 0x131: "i"}
    for code in range(0xC0, 0x250):
        base = unicodedata.normalize("NFD", chr(code))
        if len(base) > 1 and unicodedata.combining(base[1]):
            table[code] = base[0]
    return table


_FOLD = _fold_table()

# Mathematical alphanumerics, small capitals, enclosed and full-width letters:
# the "𝓯𝓪𝓷𝓬𝔂" styles that bots use so that filters cannot read their names.
FANCY_RE = re.compile(
    "[\U0001d400-\U0001d7ff\u1d00-\u1d2b\ua730-\ua7ff\u0280-\u02af\u24b6-\u24e9"
    "\uff21-\uff5a\U0001f130-\U0001f189]"
)
# Emoji, arrows and pictographs.
EMOJI_RE = re.compile("[\u2190-\u21ff\u2300-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff]")


def clean_markup(text: str) -> str:
    """Undo the HTML some networks send (YouTube, email): entities, tags, links."""
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _HREF.sub(r" \1 ", text)
        text = _TAG.sub(" ", text)
    return text.replace("\ufeff", "")


def replace_urls(text: str, replacement: str) -> str:
    """``URL_RE.sub(replacement, text)``, skipped when no link can be there."""
    return URL_RE.sub(replacement, text) if _URL_HINT.search(text) else text


def normalise_text(text: str) -> str:
    """The form every text feature is read from.

    Links and @handles become placeholders (that there is a link generalises,
    which link does not), digits become 0 (order and phone numbers), letters
    are case- and accent-folded, and long repeats are cut to three.
    """
    text = unicodedata.normalize("NFKC", clean_markup(text))
    text = replace_urls(text, " httpurl ")
    if "@" in text:
        text = _MENTION.sub(" @user ", text)
    text = text.casefold().translate(_FOLD).translate(_DIGITS)
    text = _REPEAT.sub(r"\1\1\1", text)
    return _SPACE.sub(" ", text).strip()


def normalise_author(author: str) -> str:
    text = unicodedata.normalize("NFKC", author).casefold().translate(_FOLD).translate(_DIGITS)
    return _SPACE.sub(" ", text).strip()
