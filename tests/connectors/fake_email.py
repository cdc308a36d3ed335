"""Real mail servers on 127.0.0.1 for the email connector tests.

- IMAP: pymap with its in-memory dict backend (a full IMAP4rev1 server:
  UIDVALIDITY, UIDNEXT, UID SEARCH/FETCH, BODY.PEEK, APPEND, STARTTLS).
- SMTP: aiosmtpd, recording what it accepts, with switchable answers.

Both run in one background asyncio loop thread. Tests drive the IMAP side as
a mail provider would (delivering with APPEND) through :mod:`imaplib`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import imaplib
import ipaddress
import ssl
import threading
from argparse import Namespace
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from proxyprotocol.reader import ProxyProtocolReader
from pymap.backend.dict import DictBackend
from pymap.imap import IMAPServer
from pysasl.hashing import BuiltinHash


@dataclass
class SmtpBehaviour:
    """What the SMTP server answers; tests flip these."""

    rcpt_reply: str = "250 OK"
    data_reply: str = "250 2.0.0 Ok: queued"
    received: list[Envelope] = field(default_factory=list)


class _Handler:
    def __init__(self, behaviour: SmtpBehaviour) -> None:
        self.b = behaviour

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.b.rcpt_reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.b.rcpt_reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.b.data_reply.startswith("250"):
            self.b.received.append(envelope)
        return self.b.data_reply


class MailServers:
    def __init__(
        self,
        user: str = "artist@example.com",
        password: str = "s3cret-pass",
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.user, self.password, self.tls = user, password, tls
        self.smtp = SmtpBehaviour()
        self.imap_port = 0
        self.smtp_port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="fake-mail", daemon=True)

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> MailServers:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("mail servers did not start")
        if self._error is not None:
            raise RuntimeError("mail servers failed to start") from self._error
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # surfaced by start()
            self._error = exc
            self._ready.set()
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        args = Namespace(
            debug=False,
            passlib_cfg=None,
            host="127.0.0.1",
            port=0,
            cert=None,
            key=None,
            tls=self.tls is not None,
            demo_data=False,
            demo_user=self.user,
            demo_password=self.password,
            proxy_protocol=None,
            inherited_sockets=None,
        )
        overrides: dict[str, Any] = {
            "invalid_user_sleep": 0.0,
            "hash_context": BuiltinHash(rounds=1000),  # fast logins in tests
        }
        if self.tls is not None:
            overrides["ssl_context"] = self.tls
        backend, config = await DictBackend.init(args, **overrides)
        config.apply_context()
        imap_cb = ProxyProtocolReader(config.proxy_protocol).get_callback(
            IMAPServer(backend.login, config)
        )
        imap = await asyncio.start_server(imap_cb, host="127.0.0.1", port=0)
        self.imap_port = imap.sockets[0].getsockname()[1]

        def smtp_factory() -> SMTP:
            return SMTP(
                _Handler(self.smtp),
                hostname="mail.example.test",
                authenticator=self._authenticate,
                auth_required=True,
                auth_require_tls=self.tls is not None,
                tls_context=self.tls,
                require_starttls=self.tls is not None,
                timeout=10,
            )

        smtp = await self._loop.create_server(smtp_factory, host="127.0.0.1", port=0)
        self.smtp_port = smtp.sockets[0].getsockname()[1]
        self._stop = asyncio.Event()
        self._ready.set()
        async with imap, smtp:
            await self._stop.wait()

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (
            data.login.decode() == self.user and data.password.decode() == self.password
        )
        return AuthResult(success=ok, handled=False)  # let aiosmtpd answer 235 or 535

    # -- acting as the mail provider ---------------------------------------------------

    def client(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=5)
        if self.tls is not None:
            imap.starttls(ssl_context=_client_context_for(self.tls))
        imap.login(self.user, self.password)
        return imap

    def deliver(
        self,
        raw: bytes,
        mailbox: str = "INBOX",
        *,
        flags: str = "",
        received: dt.datetime | None = None,
    ) -> None:
        when = received or dt.datetime.now(dt.UTC)
        imap = self.client()
        try:
            if mailbox != "INBOX":
                imap.create(mailbox)  # NO when it exists: fine
            typ, data = imap.append(
                mailbox, f"({flags})" if flags else None, imaplib.Time2Internaldate(when), raw
            )
            assert typ == "OK", data
        finally:
            imap.logout()

    def flags(self, mailbox: str = "INBOX") -> dict[int, set[str]]:
        imap = self.client()
        try:
            imap.select(mailbox, readonly=True)
            _, data = imap.uid("FETCH", "1:*", "(UID FLAGS)")
            out: dict[int, set[str]] = {}
            for line in data:
                if isinstance(line, bytes):
                    text = line.decode()
                    uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                    out[uid] = set(text.split("FLAGS (")[1].split(")")[0].split())
            return out
        finally:
            imap.logout()

    def message_ids(self, mailbox: str) -> list[str]:
        imap = self.client()
        try:
            typ, _ = imap.select(mailbox, readonly=True)
            if typ != "OK":
                return []
            typ, data = imap.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            return [
                part[1].decode().split(":", 1)[1].strip()
                for part in data
                if isinstance(part, tuple) and b":" in part[1]
            ]
        finally:
            imap.logout()

    def rebuild_mailbox(self, mailbox: str) -> None:
        """Delete and recreate a folder, as a provider migration does: new UIDVALIDITY."""
        imap = self.client()
        try:
            assert imap.delete(mailbox)[0] == "OK"
            assert imap.create(mailbox)[0] == "OK"
        finally:
            imap.logout()


def make_tls(tmp: Path) -> tuple[ssl.SSLContext, Path]:
    """A self-signed certificate for 127.0.0.1: the server context and the CA file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


def _client_context_for(server_context: ssl.SSLContext) -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
