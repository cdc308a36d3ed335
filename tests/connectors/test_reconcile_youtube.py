"""Before a resend, the YouTube connector finds an earlier attempt even when the
connector state that remembered it was lost with the worker."""

from __future__ import annotations

from inbox.connectors.base import ReplyTarget
from tests.connectors.fake_youtube import FakeYouTube
from tests.connectors.test_youtube import connect, fake  # noqa: F401


def test_find_sent_reply_with_and_without_the_remembered_state(
    fake: FakeYouTube,  # noqa: F811
) -> None:
    thread = fake.comment("fan", "when is the tour?", video_id=fake.add_video("Song"))
    target = ReplyTarget(thread_id=thread.id, parent_external_id=thread.id, parent_raw=thread.top)
    assert connect(fake).find_sent_reply(target, "Friday!", "reply-1") is None
    sent = connect(fake).send_reply(target, "Friday!", "reply-1")
    fresh = connect(fake)  # a new worker: no state from the attempt
    found = fresh.find_sent_reply(target, "Friday!", "reply-1")
    assert found is not None and found.external_id == sent.external_id
