"""Before a resend, the email connector looks for the reply's Message-ID in the Sent
folder; without a Sent folder the fate of an earlier attempt is unknown."""

from __future__ import annotations

import pytest

from inbox.connectors.base import FateUnknown, ReplyTarget
from tests.connectors.test_email import MailServers, connect, drain, fan_mail, mail  # noqa: F401


def test_the_sent_folder_answers_and_without_one_the_fate_is_unknown(
    mail: MailServers,  # noqa: F811
) -> None:
    mail.deliver(fan_mail(7, subject="New album"))
    connector = connect(mail, sent_mailbox="Sent")
    (item,), _, _, _ = drain(connector, None)
    target = ReplyTarget(
        thread_id=item.thread_id or item.external_id,
        parent_external_id=item.external_id,
        parent_author=item.author,
        subject=item.subject,
        kind="email",
        parent_raw=item.raw,
    )
    assert connector.find_sent_reply(target, "Thank you!", "reply-1") is None
    sent = connector.send_reply(target, "Thank you!", idempotency_key="reply-1")
    found = connector.find_sent_reply(target, "Thank you!", "reply-1")
    assert found is not None and found.external_id == sent.external_id
    with pytest.raises(FateUnknown):
        connect(mail).find_sent_reply(target, "Thank you!", "reply-2")
