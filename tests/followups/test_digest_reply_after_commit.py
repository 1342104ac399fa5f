"""`/followups digest off` answers once the change is committed: the reply never claims a change the store
does not have yet (or will not have, if the commit fails)."""

from __future__ import annotations

import threading

from sqlalchemy import event, select

from storage.models import Member
from tests.followups.test_followups_ui import followups
from tests.helpers import texts


def test_the_digest_reply_comes_after_the_commit(slack, runtime):
    followups(slack, "U0ALICE", "digest")  # Alice is known: the next command commits once, the change
    released = threading.Event()

    def slow_commit(session) -> None:
        # Holds the commit for up to a second: a reply sent before it would arrive while the store still has
        # the old setting; one sent after it waits for the commit.
        released.wait(timeout=1.0)

    # On this test's own session factory only: it goes with the test's runtime.
    event.listen(runtime.sessions, "before_commit", slow_commit)
    try:
        reply = followups(slack, "U0ALICE", "digest off")
        with runtime.readers.begin() as session:  # a reader: it does not queue behind the writer's lock
            stored = session.scalar(select(Member.digest_enabled).where(Member.slack_user_id == "U0ALICE"))
    finally:
        released.set()

    assert "digest is off" in texts(reply)
    assert stored is False
