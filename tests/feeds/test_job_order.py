"""Timeline jobs are safe in any order (issue 12, docs/decisions/0037): a back-fill or a removal
run late (a retry) makes the timeline agree with the follow as it is when it runs, so it can never
undo a later follow or unfollow. And fan-out that never finished is repaired by the sweep.

The jobs run through the real job policy (`huey.execute`, as a consumer runs them), on whichever
timeline store the run uses (SQL on the embedded stack, Cassandra under `make test-scale`).
"""

from __future__ import annotations

from datetime import timedelta

import anyio
from sqlalchemy import delete

from tests.feeds import feed, timeline_of, user_id
from tests.helpers import make_post
from viewfinder.core.db import utcnow
from viewfinder.core.jobs import huey
from viewfinder.feeds import services, tasks
from viewfinder.feeds.models import PostFanOut
from viewfinder.feeds.store import using_session
from viewfinder.wiring import timeline_store_factory


async def run_job(job: object) -> None:
    """Run one try of a queued job (a retry taken from the queue) as a consumer would: on a
    thread of its own, under the job policy; it must succeed (no retry left scheduled)."""
    before = len(huey.scheduled())
    await anyio.to_thread.run_sync(huey.execute, job)
    assert len(huey.scheduled()) == before, "the job failed and was scheduled for a retry"


async def test_a_stale_removal_retried_after_a_later_follow_leaves_the_posts(alice, bob, db):
    posts = [make_post(alice, f"post {n}")["id"] for n in range(3)]
    follower, author = user_id(bob), user_id(alice)
    assert bob.post("/users/alice/follow").json()["state"] == "following"
    # The unfollow's removal job: its first try failed and it waits for its retry...
    stale_removal = tasks.remove_author_from_timeline.s(follower, author)
    assert bob.delete("/users/alice/follow").status_code in (200, 204)
    # ...while bob follows alice again, and that follow's back-fill runs.
    assert bob.post("/users/alice/follow").json()["state"] == "following"
    assert set(posts) <= set(await timeline_of(db, bob))

    await run_job(stale_removal)  # the retry, after the later follow's back-fill

    assert set(posts) <= set(await timeline_of(db, bob))
    assert feed(bob)[:3] == posts[::-1]


async def test_a_back_fill_retried_after_a_later_unfollow_adds_nothing(alice, bob, db):
    posts = [make_post(alice, f"post {n}")["id"] for n in range(3)]
    follower, author = user_id(bob), user_id(alice)
    assert bob.post("/users/alice/follow").json()["state"] == "following"
    late_backfill = tasks.backfill_timeline.s(follower, author)
    assert bob.delete("/users/alice/follow").status_code in (200, 204)
    assert not set(posts) & set(await timeline_of(db, bob))

    await run_job(late_backfill)  # the follow's back-fill, retried after the unfollow's removal ran

    assert not set(posts) & set(await timeline_of(db, bob))
    assert feed(bob) == []


async def test_both_orders_of_late_jobs_end_with_the_current_follow(alice, bob, db):
    posts = [make_post(alice, f"post {n}")["id"] for n in range(2)]
    follower, author = user_id(bob), user_id(alice)
    backfill = tasks.backfill_timeline.s(follower, author)
    removal = tasks.remove_author_from_timeline.s(follower, author)

    assert bob.post("/users/alice/follow").json()["state"] == "following"
    for job in (removal, backfill, removal):  # every late job, in either order, while bob follows
        await run_job(job)
        assert set(posts) <= set(await timeline_of(db, bob))

    assert bob.delete("/users/alice/follow").status_code in (200, 204)
    for job in (backfill, removal, backfill):  # ... and after he unfollowed
        await run_job(job)
        assert not set(posts) & set(await timeline_of(db, bob))


async def test_a_post_whose_fan_out_never_finished_is_repaired_by_the_sweep(alice, bob, carol, settings, db):
    bob.post("/users/alice/follow")
    carol.post("/users/alice/follow")
    kept = make_post(alice, "fanned out")["id"]
    lost = make_post(alice, "its fan-out job was lost")["id"]
    store = timeline_store_factory(settings)(using_session(db))
    # What a worker killed mid-job (or a lost queue) leaves: no timeline holds the post, and no
    # record says its fan-out finished.
    await store.remove_post(int(lost))
    await db.execute(delete(PostFanOut).where(PostFanOut.post_id == int(lost)))
    await db.commit()
    for api in (alice, bob, carol):
        assert lost not in await timeline_of(db, api)

    # A sweep leaves the newest posts to their own job for a grace period...
    assert await services.repair_fan_out(db, store, settings) == []
    # ...and once it is over fans out exactly the posts that were never fanned out.
    later = utcnow() + services.REPAIR_GRACE + timedelta(seconds=1)
    assert await services.repair_fan_out(db, store, settings, now=later) == [int(lost)]

    for api in (alice, bob, carol):
        assert {kept, lost} <= set(await timeline_of(db, api))
    assert await services.repair_fan_out(db, store, settings, now=later) == []  # done once
