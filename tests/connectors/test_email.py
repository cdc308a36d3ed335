"""The email connector against real local servers: pymap (IMAP) and aiosmtpd (SMTP)."""

from __future__ import annotations

import imaplib
import socket
import threading
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from fake_email import MailServers, make_tls
from imapclient import IMAPClient
from pytest_socket import socket_allow_hosts
from sqlalchemy import select

from inbox import sync
from inbox.connectors import build
from inbox.connectors.base import (
    AuthError,
    ChannelConfig,
    Connector,
    IncomingItem,
    PermanentError,
    ReplyTarget,
    TransientError,
)
from inbox.connectors.email import EmailConnector, reply_subject
from inbox.connectors.email_parse import html_to_text, parse_message, strip_quoted
from inbox.runtime import Runtime
from models import Channel, Message, Workspace

ARTIST = "artist@example.com"
# The plain-text fake SMTP server asks for AUTH without TLS; aiosmtpd warns about it.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@pytest.fixture
def mail(monkeypatch: pytest.MonkeyPatch) -> Iterator[MailServers]:
    monkeypatch.setenv("FQDN", "mail.example.test")  # pymap's greeting: no DNS lookup
    socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    servers = MailServers(user=ARTIST).start()
    yield servers
    servers.stop()


def connect(
    mail: MailServers, creds: dict[str, Any] | None = None, **options: Any
) -> EmailConnector:
    config = ChannelConfig(
        channel_id=5,
        network="email",
        handle=ARTIST,
        external_id=None,
        credentials={
            "imap_host": "127.0.0.1",
            "imap_port": mail.imap_port,
            "imap_security": "none",
            "imap_password": mail.password,
            "smtp_port": mail.smtp_port,
            "smtp_security": "none",
            **(creds or {}),
        },
        options={"timeout_s": 5.0, **options},
    )
    connector = build("email", config)
    assert isinstance(connector, EmailConnector)
    return connector


def fan_mail(
    n: int,
    *,
    body: str = "Hello!",
    subject: str = "Your show",
    sender: str = "Fan One <fan1@example.org>",
    extra: str = "",
    msgid: str | None = None,
) -> bytes:
    message_id = msgid if msgid is not None else f"<m{n}@example.org>"
    headers = [
        f"From: {sender}",
        f"To: {ARTIST}",
        f"Subject: {subject}",
        "Date: Mon, 10 Jun 2024 10:00:00 +0200",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
    ]
    if message_id:
        headers.append(f"Message-ID: {message_id}")
    if extra:
        headers.append(extra)
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()


def drain(
    connector: EmailConnector, cursor: Any, limit: int = 100
) -> tuple[list[IncomingItem], Any, list[Any], int]:
    items: list[IncomingItem] = []
    malformed: list[Any] = []
    calls = 0
    while True:
        result = connector.fetch_since(cursor, limit=limit)
        calls += 1
        items += result.items
        malformed += result.malformed
        cursor = result.cursor
        if not result.has_more:
            return items, cursor, malformed, calls
        assert calls < 30


def test_is_a_connector(mail: MailServers) -> None:
    assert isinstance(connect(mail), Connector)


def test_first_sync_reads_recent_mail_without_marking_it_read(mail: MailServers) -> None:
    now = datetime.now(UTC)
    mail.deliver(fan_mail(1), received=now - timedelta(days=40))
    mail.deliver(fan_mail(2, subject="Tickets"), received=now - timedelta(days=2))
    mail.deliver(
        fan_mail(3, sender="Fan Two <Fan2@Example.org>"), received=now - timedelta(hours=1)
    )
    before = mail.flags()

    items, cursor, malformed, _ = drain(connect(mail), None)

    assert malformed == []
    assert [i.external_id for i in items] == ["<m2@example.org>", "<m3@example.org>"]
    first = items[0]
    assert (first.kind, first.subject, first.thread_id) == ("email", "Tickets", "<m2@example.org>")
    assert first.author.external_id == "fan1@example.org" and first.author.name == "Fan One"
    assert items[1].author.handle == "fan2@example.org"
    assert first.created_at == datetime(2024, 6, 10, 8, 0, tzinfo=UTC)
    assert first.raw["uid"] > 0 and first.raw["mailbox"] == "INBOX"
    assert mail.flags() == before and not any("\\Seen" in f for f in before.values())
    assert cursor["last_uid"] == items[1].raw["uid"]


def test_incremental_sync_returns_only_new_mail_and_nothing_when_idle(mail: MailServers) -> None:
    connector = connect(mail)
    mail.deliver(fan_mail(1))
    _, cursor, _, _ = drain(connector, None)

    idle, cursor, _, _ = drain(connector, cursor)  # UID n:* still matches the newest mail
    assert idle == []

    mail.deliver(fan_mail(2))
    items, _, _, _ = drain(connector, cursor)
    assert [i.external_id for i in items] == ["<m2@example.org>"]


def test_limit_pages_through_the_mailbox_without_gaps(mail: MailServers) -> None:
    for n in range(5):
        mail.deliver(fan_mail(n))

    items, _, _, calls = drain(connect(mail), None, limit=2)

    assert [i.external_id for i in items] == [f"<m{n}@example.org>" for n in range(5)]
    assert calls == 3


def test_large_batches_are_fetched_in_bounded_chunks(
    mail: MailServers, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(5):
        mail.deliver(fan_mail(n, body="y" * 300))
    # Room for two of these ~550-byte mails per FETCH.
    monkeypatch.setattr("inbox.connectors.email.FETCH_CHUNK_BYTES", 1200)
    fetches: list[list[int]] = []
    original = IMAPClient.fetch

    def spy(self: IMAPClient, messages: list[int], data: list[str], *args: Any) -> Any:
        if "BODY.PEEK[]" in data:
            fetches.append(list(messages))
        return original(self, messages, data, *args)

    monkeypatch.setattr(IMAPClient, "fetch", spy)

    items, _, _, _ = drain(connect(mail), None)

    assert [i.external_id for i in items] == [f"<m{n}@example.org>" for n in range(5)]
    assert len(fetches) == 3


def test_empty_first_sync_still_starts_after_existing_mail(mail: MailServers) -> None:
    mail.deliver(fan_mail(1), received=datetime.now(UTC) - timedelta(days=60))
    connector = connect(mail)
    items, cursor, _, _ = drain(connector, None)
    assert items == [] and cursor["last_uid"] > 0

    mail.deliver(fan_mail(2))
    items, _, _, _ = drain(connector, cursor)
    assert [i.external_id for i in items] == ["<m2@example.org>"]


def test_text_prefers_plain_strips_the_quote_and_keeps_full_body_and_html(
    mail: MailServers,
) -> None:
    raw = (
        b"From: Fan One <fan1@example.org>\r\nTo: artist@example.com\r\n"
        b"Subject: Re: Tour\r\nMessage-ID: <r1@example.org>\r\n"
        b"Date: Tue, 11 Jun 2024 09:00:00 +0000\r\n"
        b"In-Reply-To: <t0@example.com>\r\nReferences: <t0@example.com>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
        b"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"Yes! Berlin please =F0=9F=99=8F\r\n\r\n"
        b"On Mon, 10 Jun 2024 at 10:00, The Band <artist@example.com> wrote:\r\n"
        b"> Where should we play next?\r\n> Tell us!\r\n"
        b"--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Yes! Berlin please</p><blockquote>Where should we play next?</blockquote>\r\n"
        b"--b1--\r\n"
    )
    mail.deliver(raw)

    (item,), _, _, _ = drain(connect(mail), None)

    assert item.text == "Yes! Berlin please 🙏"
    assert "> Tell us!" in item.raw["body_text"]
    assert item.html is not None and "<blockquote>" in item.html
    assert (item.thread_id, item.parent_id) == ("<t0@example.com>", "<t0@example.com>")


def test_html_only_and_odd_charsets_are_decoded(mail: MailServers) -> None:
    html_latin1 = (
        b"From: fan@example.org\r\nSubject: =?iso-8859-1?q?Caf=E9?=\r\nMessage-ID: <h1@x.org>\r\n"
        b"Date: Tue, 11 Jun 2024 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    ) + "<div>Un caf\xe9 apr\xe8s le concert&nbsp;?<br>Merci</div>".encode("latin-1")
    unknown = (
        b"From: fan@example.org\r\nSubject: hi\r\nMessage-ID: <u1@x.org>\r\n"
        b"Date: Tue, 11 Jun 2024 09:01:00 +0000\r\n"
        b"Content-Type: text/plain; charset=x-made-up\r\n\r\n"
    ) + "Grüße aus Köln".encode()
    mail.deliver(html_latin1)
    mail.deliver(unknown)

    items, _, malformed, _ = drain(connect(mail), None)

    assert malformed == []
    by_id = {i.external_id: i for i in items}
    assert by_id["<h1@x.org>"].subject == "Café"
    assert by_id["<h1@x.org>"].text == "Un café après le concert ?\nMerci"
    assert by_id["<u1@x.org>"].text == "Grüße aus Köln"


def test_thread_is_the_first_message_of_the_chain(mail: MailServers) -> None:
    mail.deliver(fan_mail(1, extra="References: <root@a> <mid@b>\r\nIn-Reply-To: <mid@b>"))
    mail.deliver(fan_mail(2, extra="In-Reply-To: <only@c>"))
    mail.deliver(fan_mail(3, msgid="", body="no id at all"))

    items, _, _, _ = drain(connect(mail), None)
    again, _, _, _ = drain(connect(mail), None)

    chained, answered, anonymous = items
    assert (chained.thread_id, chained.parent_id) == ("<root@a>", "<mid@b>")
    assert (answered.thread_id, answered.parent_id) == ("<only@c>", "<only@c>")
    assert anonymous.external_id.startswith("sha256:")
    assert anonymous.thread_id == anonymous.external_id
    assert again[2].external_id == anonymous.external_id  # stable across syncs


def test_a_message_without_sender_is_reported_and_the_rest_kept(mail: MailServers) -> None:
    mail.deliver(fan_mail(1))
    mail.deliver(b"Subject: who sent this?\r\nMessage-ID: <nofrom@x>\r\n\r\nmystery\r\n")
    mail.deliver(fan_mail(3))

    items, _, malformed, _ = drain(connect(mail), None)

    assert [i.external_id for i in items] == ["<m1@example.org>", "<m3@example.org>"]
    ((reason, raw),) = malformed
    assert "From" in reason and "mystery" in raw["source"] and raw["uid"] > 0


def test_changed_uidvalidity_resyncs_by_date_and_deduplicates(mail: MailServers) -> None:
    mail.deliver(fan_mail(1), mailbox="Fans")
    mail.deliver(fan_mail(2), mailbox="Fans")
    connector = connect(mail, mailbox="Fans")
    _, cursor, _, _ = drain(connector, None)

    mail.rebuild_mailbox("Fans")
    for n in (1, 2, 2, 3):  # same mails restored (one twice) plus a new one
        mail.deliver(fan_mail(n), mailbox="Fans")
    items, new_cursor, _, _ = drain(connector, cursor)

    ids = [i.external_id for i in items]
    assert "<m3@example.org>" in ids and len(ids) == len(set(ids))
    assert set(ids) <= {"<m1@example.org>", "<m2@example.org>", "<m3@example.org>"}
    assert new_cursor["uidvalidity"] != cursor["uidvalidity"]
    assert drain(connector, new_cursor)[0] == []


def test_oversized_mail_is_kept_with_its_headers_only(mail: MailServers) -> None:
    mail.deliver(fan_mail(1, body="x" * 5000))

    (item,), _, _, _ = drain(connect(mail, max_message_bytes=1000), None)

    assert item.external_id == "<m1@example.org>" and item.raw["body_omitted"]
    assert "x" * 100 not in item.text


def test_reply_threads_in_the_fans_client_and_is_sent_once(mail: MailServers) -> None:
    mail.deliver(
        fan_mail(
            7,
            subject="Re: New album",
            extra="References: <news@example.com>\r\nReply-To: Fan One <inbox@fan.example>",
        )
    )
    connector = connect(mail, sent_mailbox="Sent", from_name="The Band")
    (item,), _, _, _ = drain(connector, None)
    target = ReplyTarget(
        thread_id=item.thread_id or item.external_id,
        parent_external_id=item.external_id,
        parent_author=item.author,
        subject=item.subject,
        kind="email",
        parent_raw=item.raw,
    )

    sent = connector.send_reply(target, "Thank you so much!", idempotency_key="reply-42")
    again = connector.send_reply(target, "Thank you so much!", idempotency_key="reply-42")

    assert len(mail.smtp.received) == 1
    envelope = mail.smtp.received[0]
    assert envelope.rcpt_tos == ["inbox@fan.example"]
    out = message_from_bytes(envelope.original_content or b"", policy=policy.default)
    assert out["Subject"] == "Re: New album"
    assert out["In-Reply-To"] == "<m7@example.org>"
    assert out["References"] == "<news@example.com> <m7@example.org>"
    assert out["Message-ID"] == sent.external_id == again.external_id
    assert str(out["From"]) == "The Band <artist@example.com>"
    assert out.get_content().strip() == "Thank you so much!"
    assert mail.message_ids("Sent") == [sent.external_id]
    assert mail.flags()  # the fan's mail is still there, untouched


def test_reply_without_sent_folder_and_new_subject(mail: MailServers) -> None:
    connector = connect(mail)
    target = ReplyTarget(
        thread_id="<x@y>",
        parent_external_id="<x@y>",
        kind="email",
        parent_raw={"from": "fan@example.org", "subject": "", "message_id": "<x@y>"},
    )

    sent = connector.send_reply(target, "hi", idempotency_key="k")

    out = message_from_bytes(mail.smtp.received[0].original_content or b"", policy=policy.default)
    assert out["Subject"] == "Re: your message" and out["In-Reply-To"] == "<x@y>"
    assert sent.external_id.endswith("@example.com>")


def test_wrong_passwords_are_auth_errors(mail: MailServers) -> None:
    with pytest.raises(AuthError):
        connect(mail, {"imap_password": "nope"}).fetch_since(None)
    target = ReplyTarget(
        thread_id="<x@y>",
        parent_external_id="<x@y>",
        kind="email",
        parent_raw={"from": "fan@example.org"},
    )
    with pytest.raises(AuthError):
        connect(mail, {"smtp_password": "nope"}).send_reply(target, "hi", idempotency_key="k")
    assert mail.smtp.received == []


@pytest.mark.parametrize(
    ("where", "reply", "expected"),
    [
        ("rcpt", "450 4.2.1 mailbox busy, try later", TransientError),
        ("rcpt", "550 5.1.1 no such user", PermanentError),
        ("data", "451 4.3.0 local problem", TransientError),
        ("data", "554 5.7.1 rejected as spam", PermanentError),
    ],
)
def test_smtp_rejections_map_by_reply_code(
    mail: MailServers, where: str, reply: str, expected: type[Exception]
) -> None:
    setattr(mail.smtp, f"{where}_reply", reply)
    target = ReplyTarget(
        thread_id="<x@y>",
        parent_external_id="<x@y>",
        kind="email",
        parent_raw={"from": "fan@example.org"},
    )
    with pytest.raises(expected):
        connect(mail).send_reply(target, "hi", idempotency_key="k")


def test_missing_mailbox_is_permanent(mail: MailServers) -> None:
    with pytest.raises(PermanentError, match="Nope"):
        connect(mail, mailbox="Nope").fetch_since(None)


def test_unreachable_and_silent_servers_are_transient(mail: MailServers) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(TransientError):
        connect(mail, {"imap_port": port}).fetch_since(None)

    with socket.socket() as silent:  # accepts, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        started = datetime.now(UTC)
        with pytest.raises(TransientError):
            connect(mail, {"imap_port": port}, timeout_s=0.3).fetch_since(None)
        target = ReplyTarget(
            thread_id="<x@y>",
            parent_external_id="<x@y>",
            kind="email",
            parent_raw={"from": "fan@example.org"},
        )
        with pytest.raises(TransientError):
            connect(mail, {"smtp_port": port}, timeout_s=0.3).send_reply(target, "hi", "k")
        assert datetime.now(UTC) - started < timedelta(seconds=5)


def test_starttls_with_a_private_ca(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FQDN", "mail.example.test")
    socket_allow_hosts(["127.0.0.1", "localhost", "::1"], allow_unix_socket=True)
    context, ca_file = make_tls(tmp_path)
    servers = MailServers(user=ARTIST, tls=context).start()
    try:
        servers.deliver(fan_mail(1))
        secure = {"imap_security": "starttls", "smtp_security": "starttls"}
        connector = connect(servers, {**secure, "ca_file": str(ca_file)})
        (item,), _, _, _ = drain(connector, None)
        target = ReplyTarget(
            thread_id=item.external_id,
            parent_external_id=item.external_id,
            kind="email",
            parent_raw=item.raw,
        )
        connector.send_reply(target, "over TLS", idempotency_key="tls")
        assert len(servers.smtp.received) == 1

        with pytest.raises(PermanentError, match="certificate"):
            connect(servers, secure).fetch_since(None)  # no CA: the self-signed cert is refused
    finally:
        servers.stop()


def test_starttls_not_offered_is_a_configuration_error(mail: MailServers) -> None:
    with pytest.raises(PermanentError, match="STARTTLS"):
        connect(mail, {"imap_security": "starttls"}).fetch_since(None)
    target = ReplyTarget(
        thread_id="<x@y>",
        parent_external_id="<x@y>",
        kind="email",
        parent_raw={"from": "fan@example.org"},
    )
    with pytest.raises(PermanentError, match="STARTTLS"):
        connect(mail, {"smtp_security": "starttls"}).send_reply(target, "hi", "k")
    assert mail.smtp.received == []


def test_settings_are_validated() -> None:
    base: dict[str, Any] = {"channel_id": 1, "network": "email", "external_id": None}
    with pytest.raises(PermanentError):
        EmailConnector(ChannelConfig(handle="not-an-address", credentials={}, **base))
    with pytest.raises(AuthError):
        EmailConnector(ChannelConfig(handle=ARTIST, credentials={"imap_host": "h"}, **base))
    with pytest.raises(PermanentError):
        EmailConnector(
            ChannelConfig(
                handle=ARTIST,
                credentials={"imap_host": "h", "imap_password": "p", "imap_security": "tls?"},
                **base,
            )
        )
    with pytest.raises(PermanentError, match="settings"):
        EmailConnector(
            ChannelConfig(
                handle=ARTIST,
                credentials={"imap_host": "h", "imap_password": "p", "imap_port": "imap"},
                **base,
            )
        )
    via_url = EmailConnector(
        ChannelConfig(
            handle=ARTIST,
            credentials={"imap_password": "p"},
            base_url="imaps://mail.example.net:1993",
            **base,
        )
    )
    assert (via_url.imap.host, via_url.imap.port, via_url.imap.security) == (
        "mail.example.net",
        1993,
        "ssl",
    )
    assert via_url.smtp.host == "mail.example.net" and via_url.smtp.port == 587


# -- pure helpers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thanks!\n\nOn Mon, 1 Jan 2024, Band <b@x> wrote:\n> hi\n> there", "Thanks!"),
        ("Merci\nLe lun. 1 janv. 2024, Band <b@x> a écrit :\n> salut", "Merci"),
        ("Danke\nAm 01.01.2024 um 10:00 schrieb Band <b@x>:\n> hallo", "Danke"),
        ("Sure\n\n-----Original Message-----\nFrom: Band\nSent: today\n\nold", "Sure"),
        ("Yes\n\nFrom: Band <b@x>\nSent: Monday\nTo: me\nSubject: hi\n\nold", "Yes"),
        ("> what time?\n8pm\n> where?\nBerlin", "8pm\nBerlin"),  # interleaved answers kept
        ("See you\n-- \nFan One\nfan.example", "See you"),
        ("On Monday I wrote: a song about you", "On Monday I wrote: a song about you"),
        ("From: my heart, with love", "From: my heart, with love"),
        ("> only quoted", "> only quoted"),  # never emptied
    ],
)
def test_strip_quoted(text: str, expected: str) -> None:
    assert strip_quoted(text) == expected


def test_reply_subject_does_not_stack_prefixes() -> None:
    assert reply_subject("New album") == "Re: New album"
    assert reply_subject("RE: New album") == "RE: New album"
    assert reply_subject("AW:  Tour") == "AW: Tour"
    assert reply_subject("  ") == "Re: your message"


def test_mailboxes_with_accents_and_ampersands_are_read_and_written(mail: MailServers) -> None:
    # The fake server's helpers speak raw imaplib: they are given the names as the
    # wire carries them, in modified UTF-7 (RFC 3501 5.1.3), quoted.
    mail.deliver(fan_mail(1), mailbox='"Fans &- Friends"')
    connector = connect(mail, mailbox="Fans & Friends", sent_mailbox="Envoyés")
    (item,), _, _, _ = drain(connector, None)
    assert item.external_id == "<m1@example.org>" and item.raw["mailbox"] == "Fans & Friends"
    target = ReplyTarget(
        thread_id=item.external_id,
        parent_external_id=item.external_id,
        kind="email",
        parent_raw=item.raw,
    )
    sent = connector.send_reply(target, "Merci !", idempotency_key="accents")
    assert mail.message_ids('"Envoy&AOk-s"') == [sent.external_id]
    connector.send_reply(target, "Merci !", idempotency_key="accents")  # found there: not again
    assert len(mail.smtp.received) == 1


def test_internaldate_keeps_its_zone(mail: MailServers) -> None:
    received = datetime(2024, 6, 11, 23, 30, tzinfo=timezone(timedelta(hours=-7)))
    mail.deliver(fan_mail(1), received=received)
    (item,), _, _, _ = drain(connect(mail, first_sync_days=100_000), None)
    assert item.raw["internal_date"] == "2024-06-12T06:30:00+00:00"


def test_html_to_text_drops_quotes_scripts_and_entities() -> None:
    html = (
        "<html><head><style>p{}</style></head><body><p>Hi &amp; bye</p>"
        "<script>x()</script><blockquote>old</blockquote><div>Line<br>two</div></body></html>"
    )
    assert html_to_text(html) == "Hi & bye\n\nLine\ntwo"


def test_date_in_the_future_falls_back_to_arrival_time() -> None:
    arrived = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
    raw = fan_mail(1).replace(b"Date: Mon, 10 Jun 2024", b"Date: Mon, 10 Jun 2030")
    assert parse_message(raw, internal_date=arrived).created_at == arrived


# --------------------------------------------------------------------------- backfill


class CuttableRelay:
    """A TCP relay in front of the IMAP server that drops the connection mid-command.

    Armed with :meth:`cut_when`, it closes both sides the moment the client sends
    a command containing those bytes, as a flaky network or a restarting server
    does: the client sees the connection die in the middle of a page.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._cut_on: bytes | None = None
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def cut_when(self, marker: bytes) -> None:
        self._cut_on = marker

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_client: bool) -> None:
        try:
            while data := src.recv(65536):
                if from_client and self._cut_on is not None and self._cut_on in data:
                    self._cut_on = None
                    self.cuts += 1
                    break
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def append_all(mail: MailServers, messages: list[tuple[bytes, datetime]]) -> None:
    """Deliver many mails over one IMAP session (each with its arrival time)."""
    imap = mail.client()
    # Without it each APPEND waits out a delayed ACK (its literal goes in a second write).
    imap.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        for raw, received in messages:
            typ, data = imap.append("INBOX", None, imaplib.Time2Internaldate(received), raw)
            assert typ == "OK", data
    finally:
        imap.logout()


@pytest.mark.slow
def test_backfill_reads_the_window_over_several_syncs_through_a_dropped_connection(
    mail: MailServers, rt: Runtime, workspace: Workspace
) -> None:
    now = datetime.now(UTC)
    old = [(fan_mail(n, msgid=f"<old{n}@example.org>"), now - timedelta(days=30)) for n in range(5)]
    window = [
        (fan_mail(n, msgid=f"<w{n}@example.org>"), now - timedelta(days=13) + timedelta(hours=n))
        for n in range(230)
    ]
    # Filed into the inbox after the rest (a higher UID) but dated before the window.
    moved_in = [(fan_mail(999, msgid="<moved@example.org>"), now - timedelta(days=40))]
    append_all(mail, old + window + moved_in)
    relay = CuttableRelay(mail.imap_port)
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network="email",
            connector="email",
            handle=ARTIST,
            credentials_encrypted=rt.box.encrypt(
                {
                    "imap_host": "127.0.0.1",
                    "imap_port": relay.port,
                    "imap_security": "none",
                    "imap_password": mail.password,
                    "smtp_port": mail.smtp_port,
                    "smtp_security": "none",
                }
            ),
            options={"timeout_s": 5.0, "first_sync_days": 14},
        )
        s.add(channel)
        s.flush()
        channel_id = channel.id

    def stored() -> list[str]:
        with rt.session() as s:
            return list(s.scalars(select(Message.external_id)))

    def cursor() -> dict[str, Any]:
        with rt.session() as s:
            value = s.get_one(Channel, channel_id).cursor
            assert value is not None
            return dict(value)

    # One page (100 mails) per sync: the 230-mail window takes three.
    first = sync.sync_channel(rt, channel_id, max_pages=1)
    after_first = cursor()
    relay.cut_when(b"BODY.PEEK[]")  # the next page's bodies never arrive
    dropped = sync.sync_channel(rt, channel_id, max_pages=1)
    assert relay.cuts == 1
    assert cursor() == after_first  # nothing of the broken page, the cursor where it was
    rest = [sync.sync_channel(rt, channel_id, max_pages=1) for _ in range(2)]

    assert first.error is None and first.pages == 1 and after_first["since"]
    assert dropped.error and "IMAP" in dropped.error and dropped.pages == 0
    assert [r.error for r in rest] == [None, None]
    assert [r.ingest.created for r in [first, *rest]] == [100, 100, 30]
    assert sum(r.ingest.duplicates for r in [first, *rest]) == 0
    ids = stored()
    assert len(ids) == len(set(ids))  # each mail once
    assert set(ids) == {f"<w{n}@example.org>" for n in range(230)}  # the window, nothing older
    assert cursor()["since"] is None  # the window is read: forward from here

    append_all(mail, [(fan_mail(n, msgid=f"<new{n}@example.org>"), now) for n in range(2)])
    forward = sync.sync_channel(rt, channel_id, max_pages=1)
    relay.close()
    assert forward.error is None and forward.ingest.created == 2
    assert set(stored()) - set(ids) == {"<new0@example.org>", "<new1@example.org>"}


def test_backfill_resumes_at_the_page_a_killed_worker_was_storing(
    mail: MailServers, rt: Runtime, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window of 230 mails, one page of 100 a sync; the worker dies while storing the
    second page: its cursor was never stored, so the next sync reads that page again and
    the window ends up stored whole, each mail once, nothing from before it."""
    now = datetime.now(UTC)
    old = [(fan_mail(n, msgid=f"<old{n}@example.org>"), now - timedelta(days=30)) for n in range(3)]
    window = [
        (fan_mail(n, msgid=f"<w{n}@example.org>"), now - timedelta(days=13) + timedelta(hours=n))
        for n in range(230)
    ]
    append_all(mail, old + window)
    with rt.session() as s:
        channel = Channel(
            workspace_id=workspace.id,
            network="email",
            connector="email",
            handle=ARTIST,
            credentials_encrypted=rt.box.encrypt(
                {
                    "imap_host": "127.0.0.1",
                    "imap_port": mail.imap_port,
                    "imap_security": "none",
                    "imap_password": mail.password,
                    "smtp_port": mail.smtp_port,
                    "smtp_security": "none",
                }
            ),
            options={"timeout_s": 5.0, "first_sync_days": 14},
        )
        s.add(channel)
        s.flush()
        channel_id = channel.id

    def stored() -> list[str]:
        with rt.session() as s:
            return list(s.scalars(select(Message.external_id)))

    def cursor() -> Any:
        with rt.session() as s:
            return s.get_one(Channel, channel_id).cursor

    first = sync.sync_channel(rt, channel_id, max_pages=1)
    after_first = cursor()
    real_ingest = sync.ingest

    def killed(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("worker killed while storing a page")

    monkeypatch.setattr(sync, "ingest", killed)
    with pytest.raises(RuntimeError):
        sync.sync_channel(rt, channel_id, max_pages=1)
    monkeypatch.setattr(sync, "ingest", real_ingest)
    assert cursor() == after_first and len(stored()) == 100  # nothing of the killed page
    rest = [sync.sync_channel(rt, channel_id, max_pages=1) for _ in range(2)]

    assert first.error is None and [r.error for r in rest] == [None, None]
    assert [r.ingest.created for r in [first, *rest]] == [100, 100, 30]
    ids = stored()
    assert len(ids) == len(set(ids))  # each mail once
    assert set(ids) == {f"<w{n}@example.org>" for n in range(230)}  # the window, nothing older
    assert cursor()["since"] is None  # the window is read: forward from here
