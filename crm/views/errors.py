"""HTTP error pages in the reader's language: Werkzeug's own pages are English."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

HTTP_ERRORS = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Not allowed"), _l("Your role does not let you open this page.")),
    404: (_l("Not found"), _l("This page does not exist, or no longer does.")),
    405: (_l("Not allowed"), _l("This address does not take that kind of request.")),
    413: (_l("Too large"), _l("What was sent is too large.")),
    429: (_l("Too many requests"), _l("Too many requests in a short time: wait a moment.")),
}


def http_error_words(code: int) -> tuple[str, str]:
    """The title and the sentence of an HTTP error page, in the reader's language."""
    title, text = HTTP_ERRORS.get(code, (_l("Something went wrong"), _l("Please try again.")))
    return str(title), str(text)
