"""HTML email bodies made safe to show inside the app.

Fan email is untrusted markup. It is cleaned with nh3 (an allow-list: text
formatting, links, lists, tables; no scripts, styles, images, forms or
event handlers), every ``hx-*``/``data-*`` attribute is dropped so nothing in
a message can drive HTMX, and links open outside the app without a referrer.
The template still shows the result inside an ``hx-disable`` container.
"""

from __future__ import annotations

import nh3

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "q", "s",
    "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_HTML = 200_000


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    name = attribute.lower()
    if name.startswith(("hx-", "data-", "on")):
        return None
    return value


def clean_email_html(html: str) -> str:
    """Markup that is safe to place in a page: allow-listed, no HTMX, no remote loads."""
    return nh3.clean(
        html[:MAX_HTML],
        tags=TAGS,
        clean_content_tags={"script", "style", "template", "noscript", "title"},
        attributes=ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
