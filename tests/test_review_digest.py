"""The weekly digest goes out once, at the workspace's day and hour, through SMTP (aiosmtpd)."""

from __future__ import annotations

import email
import email.header
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.message import Message as MailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from inbox import digest
from inbox.runtime import Runtime
from models import User, Workspace
from tests.test_review_data import NOW, build


class _Inbox:
    def __init__(self) -> None:
        self.received: list[Envelope] = []
        self.port = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[_Inbox]:
    handler = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        handler.port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def mailing(rt: Runtime, workspace: Workspace, smtp: _Inbox) -> Runtime:
    with rt.session() as s:
        build(s, workspace.id)
        ws = s.get_one(Workspace, workspace.id)
        ws.digest_weekday, ws.digest_hour = 4, 9  # Thursdays from 09:00, Paris time
        for address, locale in (("owner@example.org", "en"), ("agent@example.org", "fr")):
            user = s.query(User).filter_by(email=address).one()
            user.weekly_digest, user.locale = True, locale
    rt.settings = replace(
        rt.settings,
        smtp_url=f"smtp://127.0.0.1:{smtp.port}",
        mail_from="review@unplugged.test",
        public_url="https://crm.example.org",
    )
    return rt


def _parts(envelope: Envelope) -> tuple[MailMessage, str, str]:
    assert isinstance(envelope.content, bytes)
    msg = email.message_from_bytes(envelope.content)
    assert msg.get_content_type() == "multipart/alternative"
    text = html = ""
    for part in msg.walk():
        payload = part.get_payload(decode=True)
        if part.get_content_type() == "text/plain" and isinstance(payload, bytes):
            text = payload.decode()
        elif part.get_content_type() == "text/html" and isinstance(payload, bytes):
            html = payload.decode()
    return msg, text, html


def test_digest_goes_to_those_who_opted_in_in_their_language_with_both_parts(
    mailing: Runtime, smtp: _Inbox
) -> None:
    sent = digest.send_due(mailing, NOW)  # Thursday 2 April, 14:00 in Paris
    assert sent == ["owner@example.org", "agent@example.org"]
    by_rcpt = {e.rcpt_tos[0]: e for e in smtp.received}
    assert set(by_rcpt) == {"owner@example.org", "agent@example.org"}
    msg, text, html = _parts(by_rcpt["owner@example.org"])
    assert str(msg["Subject"]) == "Your weekly review, 2026-W13: 83 % of conversations answered"
    assert "Fan messages: 7 (previous week: 2)" in text
    assert "First response, median: 9 h 00 (previous week: 1 h 00)" in text
    assert "https://crm.example.org/review?week=2026-W13" in text
    assert "<a href='https://crm.example.org/review?week=2026-W13'>" in html
    assert "<td>7</td><td>2</td>" in html
    fr, fr_text, fr_html = _parts(by_rcpt["agent@example.org"])
    subject = str(email.header.make_header(email.header.decode_header(fr["Subject"])))
    assert subject == "Votre revue de la semaine 2026-W13 : 83 % des conversations ont une réponse"
    assert "Messages de fans : 7 (semaine précédente : 2)" in fr_text
    assert "Ouvrir la page Bilan" in fr_html


def test_digest_is_sent_once_a_week_and_not_before_its_hour(mailing: Runtime, smtp: _Inbox) -> None:
    assert digest.send_due(mailing, datetime(2026, 4, 2, 6, 0, tzinfo=UTC)) == []  # 08:00 Paris
    assert digest.send_due(mailing, datetime(2026, 4, 1, 12, 0, tzinfo=UTC)) == []  # Wednesday
    assert len(digest.send_due(mailing, NOW)) == 2
    assert digest.send_due(mailing, NOW) == []  # claimed for 2026-W13
    with mailing.session() as s:
        assert s.scalars(select(Workspace.digest_sent_week)).one() == "2026-W13"
    assert len(smtp.received) == 2


def test_the_clock_sends_a_due_digest_through_a_job_once(mailing: Runtime, smtp: _Inbox) -> None:
    from zoneinfo import ZoneInfo

    from inbox import scheduler

    with mailing.session() as s:
        ws = s.scalars(select(Workspace)).one()
        ws.digest_weekday = datetime.now(ZoneInfo(ws.timezone)).isoweekday()  # today, from 00:00
        ws.digest_hour = 0
    scheduler.tick(mailing)  # the inline queue runs the job it queues
    assert sorted(e.rcpt_tos[0] for e in smtp.received) == [
        "agent@example.org",
        "owner@example.org",
    ]
    scheduler.tick(mailing)
    assert len(smtp.received) == 2  # claimed for the week: the next tick sends nothing
