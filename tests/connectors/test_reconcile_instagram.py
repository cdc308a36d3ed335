"""Before a resend, the Instagram connector says whether an earlier attempt is there,
or that it cannot tell (a reply to an @mention)."""

from __future__ import annotations

from typing import Any

import pytest

from inbox.connectors.base import FateUnknown, ReplyTarget
from tests.connectors.fake_graph import FakeGraph
from tests.connectors.test_instagram import DAY, HOUR, account, connect, graph  # noqa: F401


def test_find_sent_reply_on_a_comment_thread_and_unknown_for_a_mention(
    graph: FakeGraph,  # noqa: F811
    account: dict[str, Any],  # noqa: F811
) -> None:
    post = graph.ig_media(account, age=DAY)
    top = graph.ig_comment(post, "When is the tour?", age=2 * HOUR)
    connector = connect(graph, account)
    target = ReplyTarget(thread_id=top["id"], parent_external_id=top["id"], kind="reply")
    assert connector.find_sent_reply(target, "Friday!", "k1") is None
    sent = connector.send_reply(target, "Friday!", idempotency_key="k1")
    found = connector.find_sent_reply(target, "Friday!", "k1")
    assert found is not None and found.external_id == sent.external_id
    mention = ReplyTarget(thread_id="m1", parent_external_id="m1", kind="mention")
    with pytest.raises(FateUnknown):
        connector.find_sent_reply(mention, "Thanks!", "k2")
