"""Home timelines: hybrid fan-out on write, the home feed read (chronological and ranked), rebuilds.

Hybrid fan-out: a new post is written to the author's own timeline and, in batches, to every
follower's; authors with at least `feed_fanout_threshold` followers ("celebrities") write only
their own timeline, and their posts are merged into followers' feeds when the feed is read. See
docs/decisions/0015-timelines-and-fan-out.md.

Convergence (docs/decisions/0037): every job here reads the state it serves when it runs, so any
order of runs and retries ends right. Fan-out records each post it finished (`post_fan_outs`), and
`repair_fan_out` fans out again the recent posts with no record (a job lost with a killed worker or
a lost queue). Follows and unfollows both end in `sync_author_in_timeline`, which makes a timeline
agree with the follow as it is now, and checks again after writing.
"""

from __future__ import annotations

import functools
import heapq
import math
import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from viewfinder.accounts.models import User
from viewfinder.core.db import UtcDateTime, read_rows, unindexed, utcnow
from viewfinder.core.errors import not_found
from viewfinder.core.idlists import in_ids
from viewfinder.core.ids import EPOCH_MS, SEQUENCE_BITS, SHARD_BITS, first_id_at, last_id_at, unix_ms
from viewfinder.core.pagination import Snapshot
from viewfinder.discovery.services import explore_page
from viewfinder.feeds.models import Affinity, PostFanOut, TimelineRow
from viewfinder.feeds.store import (
    SqlTimelineStore,
    TimelineEntry,
    TimelineStore,
    timelines,
    using_session,
)
from viewfinder.graph.models import Follow
from viewfinder.policy import bound_account, not_muted_by, post_is_ready, visible_posts
from viewfinder.posts.cards import VIEWER_REF_COLUMNS, PostRef, refs_of
from viewfinder.posts.models import Post
from viewfinder.recommend.serving import Served
from viewfinder.settings import Settings

TRIM_ONE_IN = 16
"""Fan-out trims each timeline it touches with this chance (deterministic per timeline and post),
so a timeline outgrows the cap by about this many entries at most between trims."""
RANKED_CANDIDATES = 200
"""Ranked mode scores at most this many of the newest timeline entries (and as many celebrity posts)."""
RANKED_HALF_LIFE_HOURS = 24.0
REBUILD_BATCH = 200
"""Timelines rebuilt per transaction (one DELETE and one bulk INSERT on the SQL store)."""
REPAIR_WINDOW = timedelta(days=1)
"""The repair sweep looks at posts made this long ago at most (and prunes older fan-out records)."""
REPAIR_GRACE = timedelta(minutes=2)
"""...and leaves the newest posts this long to their own fan-out job."""
REPAIR_BATCH = 200
"""Posts one sweep fans out at most (a longer backlog takes the next sweeps)."""
SYNC_ROUNDS = 5
"""How many times `sync_author_in_timeline` follows a follow state that keeps changing under it."""

_TIME_SHIFT = SHARD_BITS + SEQUENCE_BITS


# --- fan-out on write ----------------------------------------------------------------------------


def should_trim(user_id: int, post_id: int, one_in: int = TRIM_ONE_IN) -> bool:
    """Whether fan-out of this post trims this timeline: true for about one pair in `one_in`,
    the same answer on every retry."""
    return one_in <= 1 or zlib.crc32(f"{user_id}:{post_id}".encode()) % one_in == 0


async def fan_out_post(
    db: AsyncSession,
    store: TimelineStore,
    settings: Settings,
    post_id: int,
    *,
    trim_one_in: int = TRIM_ONE_IN,
) -> int:
    """Write a new post to its author's timeline and, unless the author has at least
    `feed_fanout_threshold` followers, to every follower's, `feed_fanout_batch` at a time.
    Idempotent (a retry rewrites the same rows). Returns the number of timelines written."""
    found = (
        await db.execute(
            select(Post.author_id, User.followers_count)
            .join(User, User.id == Post.author_id)
            .where(Post.id == post_id)
        )
    ).first()
    if found is None:  # deleted before the job ran
        return 0
    author_id, followers_count = found
    cap = settings.timeline_max_entries
    await store.add([TimelineEntry(author_id, post_id, author_id)])
    if should_trim(author_id, post_id, trim_one_in):
        await store.trim(author_id, cap)
    written = 1
    if followers_count < settings.feed_fanout_threshold:
        after = 0
        while True:
            batch = (
                await db.execute(
                    select(Follow.id, Follow.follower_id)
                    .where(Follow.followee_id == author_id, Follow.id > after)
                    .order_by(Follow.id)
                    .limit(settings.feed_fanout_batch)
                )
            ).all()
            await db.rollback()  # no read transaction held open across the whole fan-out
            if not batch:
                break
            followers = [follower_id for _, follower_id in batch]
            await store.add([TimelineEntry(follower_id, post_id, author_id) for follower_id in followers])
            await store.trim_many(
                [user_id for user_id in followers if should_trim(user_id, post_id, trim_one_in)], cap
            )
            written += len(followers)
            after = batch[-1][0]
    if await db.scalar(select(Post.id).where(Post.id == post_id)) is None:
        await db.rollback()
        await store.remove_post(post_id)  # deleted while being fanned out
        return written
    record = {"post_id": post_id, "author_id": author_id, "fanned_out_at": utcnow()}
    await db.execute(_insert_ignoring_duplicates(db, PostFanOut).values(**record))
    await db.commit()
    return written


def _insert_ignoring_duplicates(db: AsyncSession, model: Any) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING in the session's SQL dialect."""
    if db.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    return sqlite.insert(model).on_conflict_do_nothing()


async def _follows(db: AsyncSession, user_id: int, author_id: int) -> bool:
    """Whether the user follows the author now (in a fresh transaction: it must see the latest)."""
    await db.rollback()
    found = await db.scalar(
        select(Follow.id).where(Follow.follower_id == user_id, Follow.followee_id == author_id)
    )
    await db.rollback()
    return found is not None


async def _backfill(
    db: AsyncSession, store: TimelineStore, settings: Settings, user_id: int, author_id: int
) -> list[int]:
    """Put the author's newest `feed_backfill_posts` posts into the user's timeline; their ids."""
    if settings.feed_backfill_posts <= 0:
        return []
    post_ids = list(
        await db.scalars(
            select(Post.id)
            .where(Post.author_id == author_id)
            .order_by(Post.id.desc())
            .limit(settings.feed_backfill_posts)
        )
    )
    await db.rollback()
    await store.add([TimelineEntry(user_id, post_id, author_id) for post_id in post_ids])
    if post_ids:
        await store.trim(user_id, settings.timeline_max_entries)
    return post_ids


async def sync_author_in_timeline(
    db: AsyncSession, store: TimelineStore, settings: Settings, user_id: int, author_id: int
) -> int:
    """Make the user's timeline agree with whether they follow the author *now*: the author's
    newest posts in it when they do, none when they do not (an unfollow, a block, an erasure).
    Returns how many entries it wrote.

    What every follow, unfollow, block and removal job runs, whatever it was queued for: so a job
    run late (a retry) can never undo a later change. After writing it reads the follow again, and
    follows a change made meanwhile; a job queued by that change runs after this write, so the
    last write always agrees with the last state. Entries it wrote for posts deleted meanwhile (an
    erasure under way) are taken out of every timeline, with their index rows.
    """
    written: set[int] = set()
    following = await _follows(db, user_id, author_id)
    for _ in range(SYNC_ROUNDS):
        if following:
            written.update(await _backfill(db, store, settings, user_id, author_id))
        else:
            await store.remove_author(user_id, author_id)
            await _drop_deleted(db, store, written)
        now_following = await _follows(db, user_id, author_id)
        if now_following == following:
            return len(written) if following else 0
        following = now_following
    raise FollowStateChanging(f"{user_id} -> {author_id} changed {SYNC_ROUNDS} times during one job")


class FollowStateChanging(RuntimeError):
    """The follow kept changing while a job made a timeline agree with it: the job is retried."""


async def _drop_deleted(db: AsyncSession, store: TimelineStore, post_ids: Collection[int]) -> None:
    """Take the posts among these that no longer exist out of every timeline."""
    if not post_ids:
        return
    alive = set(await db.scalars(select(Post.id).where(Post.id.in_(list(post_ids)))))
    await db.rollback()
    for post_id in sorted(set(post_ids) - alive):
        await store.remove_post(post_id)


async def backfill_timeline(
    db: AsyncSession, store: TimelineStore, settings: Settings, user_id: int, author_id: int
) -> int:
    """After a follow: the author's recent posts join the follower's timeline, if the follow still
    holds when this runs (`sync_author_in_timeline`)."""
    return await sync_author_in_timeline(db, store, settings, user_id, author_id)


async def remove_author_from_timeline(
    db: AsyncSession, store: TimelineStore, settings: Settings, user_id: int, author_id: int
) -> None:
    """After an unfollow, a removed follower or a block: the author's posts leave the timeline,
    unless the user follows the author again by the time this runs (`sync_author_in_timeline`)."""
    await sync_author_in_timeline(db, store, settings, user_id, author_id)


# --- repairing fan-out that never finished -----------------------------------------------------------


async def unfanned_posts(
    db: AsyncSession,
    *,
    now: datetime,
    window: timedelta = REPAIR_WINDOW,
    grace: timedelta = REPAIR_GRACE,
    limit: int = REPAIR_BATCH,
    skip: Collection[int] = (),
) -> list[int]:
    """Posts made between `window` and `grace` ago whose fan-out has not finished, oldest first."""
    query = (
        select(Post.id)
        .where(
            Post.id >= first_id_at(now - window),
            Post.id <= last_id_at(now - grace),
            ~exists().where(PostFanOut.post_id == Post.id),
        )
        .order_by(Post.id)
        .limit(limit + len(skip))
    )
    found = [post_id for post_id in await db.scalars(query) if post_id not in skip]
    await db.rollback()
    return found[:limit]


async def repair_fan_out(
    db: AsyncSession,
    store: TimelineStore,
    settings: Settings,
    *,
    now: datetime | None = None,
    window: timedelta = REPAIR_WINDOW,
    grace: timedelta = REPAIR_GRACE,
    limit: int = REPAIR_BATCH,
    skip: Collection[int] = (),
) -> list[int]:
    """Fan out the recent posts whose fan-out never finished (`unfanned_posts`, leaving out
    `skip`), and forget fan-out records older than the window; returns the posts fanned out. An
    outage stops it (raised: the next sweep goes on); fan-out is idempotent, so a post whose own
    job is still retrying is done once more at worst."""
    now = now or utcnow()
    await db.execute(delete(PostFanOut).where(PostFanOut.post_id < first_id_at(now - window)))
    await db.commit()
    done = []
    for post_id in await unfanned_posts(db, now=now, window=window, grace=grace, limit=limit, skip=skip):
        await fan_out_post(db, store, settings, post_id)
        done.append(post_id)
    return done


# --- rebuilding from the source of truth ---------------------------------------------------------


async def _newest_posts_by_author(db: AsyncSession, keep: int) -> dict[int, list[int]]:
    """Each author's newest `keep` post ids, newest first (one query over the (author_id, id) index)."""
    rank = func.row_number().over(partition_by=Post.author_id, order_by=Post.id.desc()).label("rank")
    newest = select(Post.author_id, Post.id, rank).subquery()
    rows = await db.execute(
        select(newest.c.author_id, newest.c.id)
        .where(newest.c.rank <= keep)
        .order_by(newest.c.author_id, newest.c.id.desc())
    )
    by_author: dict[int, list[int]] = {}
    for author_id, post_id in rows.tuples():
        by_author.setdefault(author_id, []).append(post_id)
    return by_author


async def _rebuild_batch(
    db: AsyncSession,
    store: TimelineStore,
    settings: Settings,
    user_ids: Sequence[int],
    posts_by_author: dict[int, list[int]],
) -> None:
    """Rebuild these timelines: each the newest `timeline_max_entries` posts of the user and of the
    accounts they follow (celebrities left to read time), merged from the per-author lists."""
    sources: dict[int, list[int]] = {user_id: [user_id] for user_id in user_ids}
    follows = await db.execute(
        select(Follow.follower_id, Follow.followee_id)
        .join(User, User.id == Follow.followee_id)
        .where(
            Follow.follower_id.in_(user_ids),
            User.is_active,
            User.followers_count < settings.feed_fanout_threshold,
        )
    )
    for follower_id, followee_id in follows.tuples():
        sources[follower_id].append(followee_id)
    cap = settings.timeline_max_entries
    entries: list[TimelineEntry] = []
    for user_id, authors in sources.items():
        streams = [
            [(post_id, author_id) for post_id in posts_by_author[author_id]]
            for author_id in authors
            if author_id in posts_by_author
        ]
        entries += [
            TimelineEntry(user_id, post_id, author_id)
            for post_id, author_id in islice(heapq.merge(*streams, reverse=True), cap)
        ]
    if isinstance(store, SqlTimelineStore):
        # The embedded store lives in this database: the batch's timelines are emptied and
        # refilled in one transaction, so no reader ever sees one half-built.
        await db.execute(delete(TimelineRow).where(TimelineRow.user_id.in_(user_ids)))
    else:
        await db.rollback()
        for user_id in user_ids:
            await store.clear(user_id)
    await store.add(entries)


async def rebuild_timelines(db: AsyncSession, settings: Settings, *, username: str | None = None) -> int:
    """Refill home timelines from posts and follows: every active account's, or one account's.
    Returns how many timelines were rebuilt; an unknown username is a 404.

    Each author's newest posts are read once, then timelines are merged in batches of
    REBUILD_BATCH accounts. 10,000 accounts and 100,000 posts (7.9 million entries) took 100-300 s
    on SQLite on a shared 2-core machine, nearly all of it SQLite writing the rows.
    """
    store = timelines(using_session(db))
    if username is not None:
        user_id = await db.scalar(select(User.id).where(User.username_key == username.lower()))
        if user_id is None:
            raise not_found("No such account.")
        batches: list[list[int]] = [[user_id]]
    else:
        batches = []
        after = 0
        while True:
            batch = list(
                await db.scalars(
                    select(User.id)
                    .where(User.id > after, User.is_active)
                    .order_by(User.id)
                    .limit(REBUILD_BATCH)
                )
            )
            if not batch:
                break
            batches.append(batch)
            after = batch[-1]
    posts_by_author = await _newest_posts_by_author(db, settings.timeline_max_entries)
    for batch in batches:
        await _rebuild_batch(db, store, settings, batch, posts_by_author)
    if username is None:  # every timeline holds every recent post now: nothing for the repair sweep
        await _record_recent_fan_outs(db)
    return sum(len(batch) for batch in batches)


async def _record_recent_fan_outs(db: AsyncSession) -> None:
    """Record the posts within the repair window as fanned out (after a full rebuild)."""
    recent = select(Post.id, Post.author_id, literal(utcnow(), UtcDateTime())).where(
        Post.id >= first_id_at(utcnow() - REPAIR_WINDOW),
        ~exists().where(PostFanOut.post_id == Post.id),
    )
    await db.execute(
        _insert_ignoring_duplicates(db, PostFanOut).from_select(
            ["post_id", "author_id", "fanned_out_at"], recent
        )
    )
    await db.commit()


# --- reading the home feed -----------------------------------------------------------------------


def feed_posts(viewer: User) -> Select[tuple[Post, User]]:
    """Posts the viewer may see in their home feed: visible to them, not muted, and their own or
    by an account they follow now (so an unfollow takes effect before its clean-up job runs)."""
    follows = exists().where(Follow.follower_id == viewer.id, Follow.followee_id == User.id)
    return visible_posts(viewer).where(not_muted_by(viewer), or_(User.id == viewer.id, follows))


def _celebrity_posts(
    viewer: User, settings: Settings | _Threshold, before: int | None, floor: int | None, limit: Any
) -> Select[tuple[int]]:
    """Ids of the newest ready posts (below `before`, at or above `floor`) by accounts the viewer
    follows, has not muted, and that are not fanned out: merged into the timeline at read time.

    Driven by the viewer's follows (then each author's posts by the (author_id, id) index), so a
    viewer who follows no celebrity pays one index probe.
    """
    celebrities = (
        select(Follow.followee_id)
        .join(User, User.id == Follow.followee_id)
        .where(
            Follow.follower_id == viewer.id,
            User.followers_count >= settings.feed_fanout_threshold,
            User.is_active,
            not_muted_by(viewer),
        )
    )
    query = (
        select(Post.id)
        .where(Post.author_id.in_(celebrities), post_is_ready())
        .order_by(unindexed(Post.id).desc())  # SQLite: by each author's index, not the whole table
        .limit(limit)
        .correlate(None)
    )
    if before is not None:
        query = query.where(Post.id < before)
    if floor is not None:
        query = query.where(Post.id >= floor)
    return query


@functools.lru_cache(maxsize=64)
def _following_query(threshold: int, listed: bool, before: bool, floor: bool) -> Select[Any]:
    """`following_page`'s statement for one shape, built once (building it took longer than
    running it); the viewer, timeline ids, bounds and limit are bound parameters."""
    viewer = bound_account()
    return (
        feed_posts(viewer)
        .where(_bound_candidates(threshold, listed, before, floor))
        .order_by(Post.id.desc())
        .limit(bindparam("limit", type_=Integer()))
        .with_only_columns(*VIEWER_REF_COLUMNS)
    )


def _bound_candidates(threshold: int, listed: bool, before: bool, floor: bool) -> ColumnElement[bool]:
    """Post ids from the timeline ("ids") or followed celebrities, as one IN over a UNION ALL: with
    `IN (ids) OR IN (celebrities)` PostgreSQL scanned every post (55 ms of a ranked page with
    100,000 posts) where this reads each candidate by its key. The viewer, ids, bounds and the
    celebrity limit ("limit") are bound parameters."""
    viewer = bound_account()
    bound_before = bindparam("before", type_=BigInteger()) if before else None
    bound_floor = bindparam("floor", type_=BigInteger()) if floor else None
    limit = bindparam("limit", type_=Integer())
    celebrity = _celebrity_posts(
        viewer, _Threshold(threshold), cast(int | None, bound_before), cast(int | None, bound_floor), limit
    )
    if not listed:
        return Post.id.in_(celebrity)
    celebrities = celebrity.subquery()
    ids = select(Post.id).where(in_ids(Post.id, "ids"))
    return Post.id.in_(union_all(ids, select(celebrities.c.id)))


@functools.lru_cache(maxsize=64)
def _ranked_query(threshold: int, listed: bool, floor: bool) -> Select[Any]:
    """`ranked_page`'s scoring statement for one shape, built once: the candidates' counts and the
    viewer's affinity with their authors, by key, with no privacy rule (the page's statement
    applies them all to the few posts chosen; applied to every candidate here they cost six
    times the rest of the statement)."""
    viewer = bound_account()
    return (
        select(Post.id, Post.like_count, Post.comment_count, Affinity.score)
        .outerjoin(Affinity, and_(Affinity.viewer_id == viewer.id, Affinity.author_id == Post.author_id))
        .where(_bound_candidates(threshold, listed, True, floor))
    )


@functools.lru_cache(maxsize=1)
def _chosen_query() -> Select[Any]:
    """The refs of chosen posts ("chosen"), every privacy rule applied again."""
    viewer = bound_account()
    return feed_posts(viewer).with_only_columns(*VIEWER_REF_COLUMNS).where(in_ids(Post.id, "chosen"))


@dataclass(frozen=True)
class _Threshold:
    feed_fanout_threshold: int


@dataclass(frozen=True)
class FeedPage:
    rows: list[PostRef]
    """The page's posts (ids, counts and versions: posts.cards renders them), in feed order."""
    next_key: int | None
    """What the next page's cursor carries, or None at the end."""


async def following_page(
    db: AsyncSession, store: TimelineStore, settings: Settings, viewer: User, before: int | None, limit: int
) -> FeedPage:
    """Chronological: the viewer's timeline merged with followed celebrities' posts, newest first.

    Two statements: the timeline page, then the posts' ids, counts and versions (every privacy
    rule applied).
    The timeline is over-fetched so a page survives filtered entries; when even that is not
    enough the page is short and the cursor continues below what was scanned.
    """
    fetch = 2 * limit + 1
    entries = await store.page(viewer.id, before, fetch)
    floor = entries[-1].post_id if len(entries) == fetch else None
    query = _following_query(
        settings.feed_fanout_threshold, bool(entries), before is not None, floor is not None
    )
    values = {"viewer_id": viewer.id, "ids": [entry.post_id for entry in entries], "limit": limit + 1}
    values.update({"before": before, "floor": floor})
    rows = refs_of(await read_rows(db, query, values))
    if len(rows) > limit:
        return FeedPage(rows[:limit], rows[limit - 1].id)
    return FeedPage(rows, floor)


def ranked_score(
    age_hours: float,
    affinity_score: float,
    likes: int,
    comments: int,
    half_life_hours: float = RANKED_HALF_LIFE_HOURS,
) -> float:
    """score = 0.5 ** (age / half-life) * (1 + affinity) * (1 + ln(1 + likes + 2 * comments)).

    Recency halves every `half_life_hours`; affinity is the viewer's engagement with the author
    (feeds.affinity: ln(1 + likes + 2 * comments + 0.5 * profile visits)); a comment weighs two likes.
    """
    recency: float = 0.5 ** (max(age_hours, 0.0) / half_life_hours)
    engagement = 1.0 + math.log1p(max(likes, 0) + 2 * max(comments, 0))
    return recency * (1.0 + max(affinity_score, 0.0)) * engagement


async def ranked_page(
    db: AsyncSession, store: TimelineStore, settings: Settings, viewer: User, key: int | None, limit: int
) -> FeedPage:
    """Ranked: the newest RANKED_CANDIDATES timeline entries and followed celebrities' posts, as
    of the moment of the first page, scored by `ranked_score` and served by offset.

    The cursor carries that moment and the offset, so later pages rank the same candidates with
    the same ages and new posts do not shift them; after core.pagination.SNAPSHOT_TTL it is stale. Three
    statements: the timeline, the candidates' scores (one query with affinities), the page (every
    privacy rule applied to the chosen few; a candidate that may not be shown is skipped and the
    next one taken, in ranking order, so the offset counts candidates, shown or not).
    """
    snapshot = Snapshot.from_key(key, datetime.now(UTC))
    ranking = await _ranking(db, store, settings, viewer, snapshot.at)
    # Privacy is applied here, to the candidates in ranking order from the offset, a few more than
    # the page at a time: one statement unless many of them may not be shown.
    rows: list[PostRef] = []
    position = snapshot.offset
    while len(rows) < limit and position < len(ranking):
        chosen = ranking[position : position + limit + limit // 4 + 1]
        found = await _shown(db, viewer, chosen)
        for post_id in chosen:
            position += 1
            if post_id in found:
                rows.append(found[post_id])
                if len(rows) == limit:
                    break
    more = position < len(ranking)
    return FeedPage(rows, Snapshot(snapshot.at, position).key() if more else None)


async def _ranking(
    db: AsyncSession, store: TimelineStore, settings: Settings, viewer: User, at: datetime
) -> list[int]:
    """The ranked feed's candidates as of `at`, best first (privacy not yet applied): two statements."""
    moment_ms = unix_ms(at)
    before = last_id_at(at) + 1
    entries = await store.page(viewer.id, before, RANKED_CANDIDATES)
    floor = entries[-1].post_id if len(entries) == RANKED_CANDIDATES else None
    query = _ranked_query(settings.feed_fanout_threshold, bool(entries), floor is not None)
    values = {"viewer_id": viewer.id, "ids": [entry.post_id for entry in entries], "before": before}
    values.update({"floor": floor, "limit": RANKED_CANDIDATES})
    scored = await read_rows(db, query, values)
    ranking = sorted(
        (
            (
                ranked_score(
                    (moment_ms - EPOCH_MS - (post_id >> _TIME_SHIFT)) / 3_600_000,
                    author_affinity or 0.0,
                    likes,
                    comments,
                ),
                post_id,
            )
            for post_id, likes, comments, author_affinity in scored
        ),
        reverse=True,
    )
    return [post_id for _, post_id in ranking]


async def _shown(db: AsyncSession, viewer: User, chosen: Sequence[int]) -> dict[int, PostRef]:
    """The refs of those of the chosen posts the viewer may be shown (every privacy rule again)."""
    page = await read_rows(db, _chosen_query(), {"viewer_id": viewer.id, "chosen": list(chosen)})
    return {ref.id: ref for ref in refs_of(page)}


# --- For you ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForYouPage:
    rows: list[PostRef]
    next_key: int | None
    recommended: dict[int, tuple[str, str | None]]
    """The suggested posts of the page: post id → (reason, model version or None)."""


def for_you_slots(count: int, share: float) -> list[bool]:
    """Which of the first `count` places hold a suggestion (True), spread evenly: with a share of a
    third, places 2, 5, 8 ... (0 first), so a page never opens with one."""
    return [math.floor((place + 1) * share) > math.floor(place * share) for place in range(count)]


async def for_you_page(
    db: AsyncSession,
    store: TimelineStore,
    settings: Settings,
    viewer: User,
    key: int | None,
    limit: int,
    served: Served | None,
) -> ForYouPage:
    """ "For you": the ranked feed with posts of accounts the viewer does not follow in between
    (`for_you_suggested_share` of the places), chosen as Explore chooses them for this viewer
    (discovery.services.explore_page: the recommender, else popularity). Never a post the viewer
    liked, nor the same author twice in a row where the other list's next post can go between
    (across pages too: the cursor keeps the last author). When one list
    runs out the other fills the places; a suggestion that would then follow its own author is
    passed over (never shown) while a later one is by someone else.

    The cursor carries the moment of the first page and how many places of each list were used,
    so later pages go on from the same two rankings."""
    previous_author, snapshot_key = (None, None) if key is None else divmod(key, _AUTHOR_BASE)
    snapshot = Snapshot.from_key(snapshot_key, datetime.now(UTC))
    used_followed, used_suggested, place = _unpack(snapshot.offset)
    followed = await _ranking(db, store, settings, viewer, snapshot.at)
    suggestions = await explore_page(
        db, viewer, Snapshot(snapshot.at, 0), FOR_YOU_SUGGESTIONS, served, exclude_liked=True
    )
    suggested = suggestions.refs
    slots = for_you_slots(place + limit, settings.for_you_suggested_share)
    shown: dict[int, PostRef] = {}
    checked = used_followed  # followed[:checked] have been through the privacy rules

    async def next_followed() -> PostRef | None:
        """The next followed post that may be shown and was not liked (skipping the others)."""
        nonlocal used_followed, checked
        while used_followed < len(followed):
            if used_followed >= checked:  # the privacy rules for the next few at once
                chosen = followed[checked : checked + limit + limit // 4 + 1]
                shown.update(await _shown(db, viewer, chosen))
                checked += len(chosen)
            ref = shown.get(followed[used_followed])
            if ref is not None and not ref.liked:
                return ref
            used_followed += 1
        return None

    placed: list[tuple[PostRef, bool]] = []
    last_author = previous_author
    while len(placed) < limit:
        own = await next_followed()
        other = suggested[used_suggested] if used_suggested < len(suggested) else None
        if own is None and other is None:
            break
        take_other = own is None or (other is not None and place < len(slots) and slots[place])
        # A run of one author is broken with the other list's next post when that one differs.
        if take_other and own is not None and other is not None and other.author_id == last_author:
            take_other = own.author_id == last_author
        elif not take_other and own is not None and own.author_id == last_author and other is not None:
            take_other = other.author_id != last_author
        if take_other:
            assert other is not None
            if other.author_id == last_author and _another_author(suggested, used_suggested, last_author):
                used_suggested += 1  # passed over for good: the cursor only counts what was used
                continue
            placed.append((other, True))
            used_suggested += 1
        else:
            assert own is not None
            placed.append((own, False))
            used_followed += 1
        place += 1
        last_author = placed[-1][0].author_id
    more = await next_followed() is not None or used_suggested < len(suggested)
    next_key = None
    if more:
        at = Snapshot(snapshot.at, _pack(used_followed, used_suggested, place)).key()
        next_key = (last_author or 0) * _AUTHOR_BASE + at
    recommended = {
        ref.id: (suggestions.reasons.get(ref.id, "Suggested for you"), suggestions.model)
        for ref, is_suggestion in placed
        if is_suggestion
    }
    return ForYouPage([ref for ref, _ in placed], next_key, recommended)


def _another_author(suggested: Sequence[PostRef], start: int, author: int | None) -> bool:
    """Whether a suggestion from `start` on is by another author than `author`."""
    return any(ref.author_id != author for ref in suggested[start:])


FOR_YOU_SUGGESTIONS = 200
"""Suggestions ranked per request (a page takes its share of them from the cursor's place on)."""
# The cursor's 32-bit offset holds how far each list was used (11 bits each: RANKED_CANDIDATES and
# FOR_YOU_SUGGESTIONS stay far below 2,048) and how many posts were placed (10 bits).


def _pack(used_followed: int, used_suggested: int, placed: int) -> int:
    return (min(used_followed, 2047) << 21) | (min(used_suggested, 2047) << 10) | min(placed, 1023)


def _unpack(offset: int) -> tuple[int, int, int]:
    return offset >> 21, (offset >> 10) & 2047, offset & 1023


_AUTHOR_BASE = 1 << 80
"""For you's cursor: the last post's author x _AUTHOR_BASE + the snapshot's key (below 2^74), so the
next page does not open with that author either."""


# --- account erasure (privacy.erasure) -------------------------------------------------------------

ACCOUNT_DATA_TABLES = ("timeline_entries", "affinities", "post_fan_outs")
"""Tables whose rows of an account `delete_account_data` removes."""
ACCOUNT_DATA_CASSANDRA_TABLES = ("timelines", "post_timelines")


async def delete_account_data(db: AsyncSession, user_id: int, store: TimelineStore) -> None:
    """Erase the account's home timeline, its posts from everyone's (`TimelineStore.remove_account`),
    its affinities either way (what it liked, who visited it) and its posts' fan-out records."""
    await store.remove_account(user_id)
    await db.execute(
        delete(Affinity).where(or_(Affinity.viewer_id == user_id, Affinity.author_id == user_id))
    )
    await db.execute(delete(PostFanOut).where(PostFanOut.author_id == user_id))
    await db.commit()
