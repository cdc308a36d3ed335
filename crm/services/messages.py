"""Messages for people, written in services and translated where they are shown.

Services do not know the reader's language (they also run in jobs and the
CLI). They raise :class:`UserError` with an English message marked by
:func:`N_` (so ``pybabel extract`` finds it) and its parameters kept apart;
the view that shows the error translates the message, then fills it in.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it here."""
    return message


class Words(str):
    """Marked words given as the value of another message ("Missing: %(fields)s."): the
    English text joins them with ", "; where the message is shown each part is translated."""

    parts: tuple[str, ...]

    def __new__(cls, *parts: str) -> Words:
        made = super().__new__(cls, ", ".join(parts))
        made.parts = parts
        return made


class UserError(ValueError):
    """Something a person asked for cannot be done; the message says why, for them."""

    def __init__(self, message: str, **params: object) -> None:
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)
