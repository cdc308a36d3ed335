"""One of two processes writing to the same SQLite file at once (``test_sqlite_writers``).

Run as ``python -m tests.sqlite_writer URL CHANNEL_ID FIRST LAST``: stores fan
messages FIRST..LAST-1 on the channel page by page through the real pipeline
(fans, identities, conversations, messages, classification inline, the outbox
for every tenth conversation), and prints what it stored as JSON.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from inbox import outbox, triage
from inbox.config import Settings
from inbox.pipeline import ChannelRef, ingest
from inbox.queue import JobSpec
from inbox.runtime import build_runtime, set_runtime
from models import Channel, Conversation, Membership
from tests.helpers import item

PAGE = 20


class HeldQueue:
    """Keeps the jobs instead of running them: the test counts stored rows, and sending
    the replies to a network is not what two writers contend over."""

    def __init__(self) -> None:
        self.jobs: list[JobSpec] = []

    def submit(self, job: JobSpec) -> None:
        self.jobs.append(job)

    def close(self) -> None:
        return None


def main(url: str, channel_id: int, first: int, last: int) -> dict[str, int]:
    settings = replace(
        Settings.from_env(), database_url=url, jobs_mode="inline", instance_path=Path(url).parent
    )
    rt = build_runtime(settings, queue=HeldQueue())
    set_runtime(rt)  # the classifier loads the workspace's model through it
    created = duplicates = replies = 0
    with rt.session() as s:
        channel = s.get_one(Channel, channel_id)
        ref = ChannelRef.of(channel)
        author_id = (
            s.query(Membership.user_id).filter_by(workspace_id=channel.workspace_id).scalar()
        )
    classify = triage.for_workspace(ref.workspace_id)
    for start in range(first, last, PAGE):
        items = [
            item(
                f"m{n}",
                f"message {n}: when do tickets go on sale?",
                author=f"fan{n % 50}",
                minutes=n,
            )
            for n in range(start, min(start + PAGE, last))
        ]
        with rt.session() as s:
            report = ingest(s, ref, items, classify, defer_jobs=False)
            created += report.created
            duplicates += report.duplicates
            if start % (PAGE * 10) == 0 and report.conversation_ids:
                conv = s.get_one(Conversation, min(report.conversation_ids))
                outbox.queue_reply(s, conv, int(author_id), f"Soon! ({start} of {first}-{last})")
                replies += 1
    rt.close()
    return {"created": created, "duplicates": duplicates, "replies": replies}


if __name__ == "__main__":
    url, cid, a, b = sys.argv[1:5]
    print(json.dumps(main(url, int(cid), int(a), int(b))))
