"""Turning one RFC 5322 message into an :class:`IncomingItem`.

Separate from the IMAP/SMTP code because it is pure: bytes in, item out, so
it is easy to test on odd mail (unknown charsets, HTML only, no Message-ID,
quoted replies) without a server.

- ``external_id`` is the Message-ID (angle brackets kept, as in headers), or
  ``sha256:<hex of the raw message>`` when the sender left it out, so the same
  stored mail always gets the same id.
- ``thread_id`` is the first Message-ID of ``References`` (the thread's first
  mail), else ``In-Reply-To``, else the message's own id.
- ``text`` is the new part of the mail: text/plain preferred (HTML converted
  when there is no plain part), with quoted replies and the signature cut;
  ``raw["body_text"]`` keeps the full plain body and ``html`` the HTML part.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import Any

from inbox.connectors.base import Author, IncomingItem

MAX_TEXT_CHARS = 200_000  # a pasted novel is still kept, within reason
_MSGID = re.compile(r"<[^<>\s]+>")
_ATTRIBUTION = re.compile(
    r"^\s*("
    r"on\b.{0,200}\bwrote:?"  # On Mon, 1 Jan 2024, Fan <fan@x> wrote:
    r"|le\b.{0,200}\ba écrit\s*:?"
    r"|am\b.{0,200}\bschrieb\b.{0,100}:?"
    r"|el\b.{0,200}\bescribió:?"
    r"|-{2,}\s*original message\s*-{2,}"
    r"|_{20,}"  # Outlook's rule above the quoted header block
    r"|from:\s.+"  # Outlook's quoted header block
    r")\s*$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^-- ?$")


def parse_message(
    raw_message: bytes,
    *,
    internal_date: datetime | None = None,
    extra_raw: Mapping[str, Any] | None = None,
) -> IncomingItem:
    """The item for one fetched message. Raises ValueError when it has no sender."""
    msg = BytesParser(policy=policy.default).parsebytes(raw_message)
    assert isinstance(msg, EmailMessage)
    sender = _first_address(msg, "From")
    if sender is None:
        raise ValueError("message has no usable From address")
    reply_to = _first_address(msg, "Reply-To")
    own_id = _first_msgid(_header(msg, "Message-ID"))
    external_id = own_id or "sha256:" + hashlib.sha256(raw_message).hexdigest()
    references = _MSGID.findall(_header(msg, "References"))
    in_reply_to = _first_msgid(_header(msg, "In-Reply-To"))
    thread_id = references[0] if references else (in_reply_to or external_id)
    subject = " ".join(_header(msg, "Subject").split())
    sent_date = _header_date(msg)
    created_at = _choose_date(sent_date, internal_date)

    plain, html = _bodies(msg)
    full_text = plain if plain is not None else (html_to_text(html) if html else "")
    full_text = full_text[:MAX_TEXT_CHARS]
    attachments = [
        {
            "filename": part.get_filename() or "",
            "content_type": part.get_content_type(),
            "size": len(part.get_payload(decode=True) or b""),
        }
        for part in msg.iter_attachments()
    ]
    address = sender.addr_spec.lower()
    raw: dict[str, Any] = {
        **(extra_raw or {}),
        "message_id": own_id,
        "in_reply_to": in_reply_to,
        "references": references,
        "subject": subject,
        "from": str(sender),
        "reply_to": str(reply_to) if reply_to else None,
        "to": _header(msg, "To"),
        "cc": _header(msg, "Cc"),
        "date": _header(msg, "Date"),
        "auto_submitted": _header(msg, "Auto-Submitted") or None,
        "list_id": _header(msg, "List-Id") or None,
        "body_text": full_text,
        "has_html": html is not None,
        "attachments": attachments,
        "defects": [type(d).__name__ for d in msg.defects][:20],
    }
    return IncomingItem(
        external_id=external_id,
        text=strip_quoted(full_text),
        created_at=created_at,
        author=Author(
            external_id=address,
            handle=address,
            name=sender.display_name,
            profile_url=f"mailto:{address}",
        ),
        kind="email",
        thread_id=thread_id,
        parent_id=in_reply_to or (references[-1] if references else None),
        subject=subject or None,
        html=html,
        media=tuple(attachments),
        raw=raw,
    )


def _header(msg: Message, name: str) -> str:
    """A header as text; a header the parser cannot read counts as absent."""
    try:
        value = msg.get(name)
    except (IndexError, ValueError, TypeError):  # malformed structured headers
        return ""
    return str(value) if value is not None else ""


def _first_msgid(value: str) -> str | None:
    found = _MSGID.search(value)
    return found.group(0) if found else None


def _first_address(msg: Message, name: str) -> Address | None:
    try:
        header = msg.get(name)
        addresses = getattr(header, "addresses", ()) if header is not None else ()
    except (IndexError, ValueError, TypeError):
        return None
    for address in addresses:
        if address.addr_spec and "@" in address.addr_spec:
            return address
    return None


def _header_date(msg: Message) -> datetime | None:
    try:
        header = msg.get("Date")
        value = getattr(header, "datetime", None) if header is not None else None
    except (IndexError, ValueError, TypeError):
        return None
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    return None


def _choose_date(sent: datetime | None, received: datetime | None) -> datetime:
    """The Date header, unless it is missing or claims a time after the server
    received the mail (a wrong clock would pin it to the top of the inbox)."""
    if sent is None:
        if received is None:
            raise ValueError("message has neither a Date header nor an arrival time")
        return received
    if received is not None and sent > received + timedelta(hours=1):
        return received
    return sent


def _bodies(msg: EmailMessage) -> tuple[str | None, str | None]:
    plain_part = msg.get_body(preferencelist=("plain",))
    html_part = msg.get_body(preferencelist=("html",))
    plain = _decoded(plain_part) if plain_part is not None else None
    html = _decoded(html_part) if html_part is not None else None
    return plain, html


def _decoded(part: Message) -> str:
    """A text part as str, whatever charset it claims."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError, AssertionError, KeyError):
        pass  # unknown or lying charset: decode by hand below
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    for charset in (part.get_content_charset(), "utf-8"):
        if charset:
            try:
                return payload.decode(charset)
            except (LookupError, UnicodeDecodeError):
                continue
    return payload.decode("latin-1")


def strip_quoted(text: str) -> str:
    """The part of a reply the fan wrote: no quoted mail, no signature.

    Cuts at the first attribution line ("On ... wrote:", Outlook's header
    block, ...) or signature separator, and drops ``>`` lines left in between
    (interleaved answers keep their own lines). Falls back to the whole text
    when nothing would remain, so an item is never emptied by mistake.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _SIGNATURE.match(line):
            break
        if _ATTRIBUTION.match(line) and _quote_follows(lines, index):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    result = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return result or text.strip()


def _quote_follows(lines: list[str], index: int) -> bool:
    """An attribution line only counts when quoted text (or the rest of a
    forwarded block) follows it, so "On Monday I wrote: a song" survives."""
    line = lines[index].strip().lower()
    rest = [ln.strip().lower() for ln in lines[index + 1 :] if ln.strip()]
    if line.startswith(("-", "_")):
        return True
    if line.startswith("from:"):  # Outlook: From:/Sent:/To:/Subject: block
        return any(ln.startswith(("sent:", "date:", "to:", "subject:")) for ln in rest[:4])
    return bool(rest) and rest[0].startswith(">")


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})
    _SKIP = frozenset({"script", "style", "head", "title", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML-only mail; quoted ``<blockquote>`` parts are left out."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
