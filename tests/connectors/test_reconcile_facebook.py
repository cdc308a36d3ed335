"""Before a resend, the Facebook connector says whether an earlier attempt is there."""

from __future__ import annotations

from typing import Any

from inbox.connectors.base import ReconcilesReplies, ReplyTarget
from tests.connectors.fake_graph import FakeGraph
from tests.connectors.test_facebook import DAY, FAN, HOUR, connect, graph, page  # noqa: F401


def test_find_sent_reply_is_none_before_and_the_comment_after(
    graph: FakeGraph,  # noqa: F811
    page: dict[str, Any],  # noqa: F811
) -> None:
    post = graph.fb_post(page, "p", age=DAY)
    top = graph.fb_comment(post, "Porto?", author=FAN, age=HOUR)
    connector = connect(graph, page)
    assert isinstance(connector, ReconcilesReplies)
    target = ReplyTarget(thread_id=top["id"], parent_external_id=top["id"], kind="comment")
    assert connector.find_sent_reply(target, "Yes, in May!", "r1") is None
    sent = connector.send_reply(target, "Yes, in May!", idempotency_key="r1")
    found = connector.find_sent_reply(target, "Yes, in May!", "r1")
    assert found is not None and found.external_id == sent.external_id
