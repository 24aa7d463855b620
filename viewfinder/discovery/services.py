"""The queries behind hashtag pages, search, Explore and suggested accounts.

Discovery only reads. Every list here runs a fixed number of SQL statements whatever its length,
and every one applies the same privacy rules as the feeds: posts come from
`policy.visible_posts`, accounts blocked either way never appear. A hashtag exists for a
viewer only through posts that viewer may see, and its count is of those posts (decision 0031).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
from sqlalchemy import BigInteger, Integer, Select, bindparam, case, false, func, literal, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from viewfinder.accounts.models import User
from viewfinder.community.models import FeaturedAccount
from viewfinder.core.db import UtcDateTime, read_rows
from viewfinder.core.errors import invalid, not_found
from viewfinder.core.ids import EPOCH_MS, ID_TIME_SHIFT, first_id_at, last_id_at, unix_ms
from viewfinder.core.pagination import Snapshot
from viewfinder.engagement.models import PostLike
from viewfinder.graph.models import Follow
from viewfinder.policy import (
    blocked_between,
    bound_account,
    discoverable,
    explore_authors,
    follows,
    mutes,
    not_muted_by,
    requested,
    visible_accounts,
    visible_posts,
)
from viewfinder.posts.cards import REF_COLUMNS, VIEWER_REF_COLUMNS, PostRef, refs_of
from viewfinder.posts.models import Hashtag, Post, PostHashtag
from viewfinder.recommend import captions, ranking
from viewfinder.recommend.log import NEGATIVE_KINDS, Kind, Signal, Surface, interaction_log
from viewfinder.recommend.ranking import Ranker
from viewfinder.recommend.serving import AccountCandidate, Served

TOP_WINDOW = timedelta(days=30)
"""A hashtag's top posts are drawn from this many recent days."""
EXPLORE_WINDOW = timedelta(days=7)
EXPLORE_CANDIDATES = 500
"""Explore ranks at most this many of the newest eligible posts."""
EXPLORE_HALF_LIFE_HOURS = 48.0
PER_AUTHOR_PER_PAGE = 2
MAX_SEARCH_RESULTS = 50
MAX_QUERY_LENGTH = 64

# --- statements built once -----------------------------------------------------------------------


def _viewer(with_viewer: bool) -> User | None:
    """The viewer a statement built once is built for: a stand-in whose id is bound, or nobody."""
    return bound_account() if with_viewer else None


def _ref_columns(with_viewer: bool) -> tuple[Any, ...]:
    """What a page of posts reads: refs, with the viewer's likes and saves when there is a viewer
    (so `render_posts` runs no statement of its own for them)."""
    return VIEWER_REF_COLUMNS if with_viewer else REF_COLUMNS


def _viewer_values(viewer: User | None, **values: Any) -> dict[str, Any]:
    if viewer is not None:
        values["viewer_id"] = viewer.id
    return values


_LIMIT = bindparam("limit", type_=Integer())
_FIRST_ID = bindparam("first_id", type_=BigInteger())
_LAST_ID = bindparam("last_id", type_=BigInteger())
_SINCE = bindparam("since", type_=UtcDateTime())


# --- hashtags ------------------------------------------------------------------------------------


def normalise_tag(text: str) -> str:
    """A hashtag as stored: no surrounding spaces, no leading '#', lower-cased."""
    return text.strip().lstrip("#").lower()


@dataclass(frozen=True)
class HashtagView:
    """A hashtag as one viewer sees it: the count is of the tag's posts that viewer may see."""

    id: int
    name: str
    post_count: int


def _visible_uses(viewer: User | None) -> Select[tuple[Post, User]]:
    """The viewer's visible posts joined to their tags (PostHashtag): what a hashtag's existence
    and count are measured on (docs/decisions/0031). Mutes do not enter: a mute hides posts from
    lists, it does not make them private."""
    return (
        visible_posts(viewer)
        .join(PostHashtag, PostHashtag.post_id == Post.id)
        .where(discoverable(viewer.id if viewer is not None else None))
    )


async def find_hashtag(
    db: AsyncSession, viewer: User | None, tag: str, *, counted: bool = True
) -> HashtagView:
    """The hashtag by name (any case, with or without '#') with the number of its posts the viewer
    may see, in one query; 404 when the viewer may see none of them, exactly as for a tag never
    used, so a tag used only on private posts gives nothing away. Without `counted` the query
    stops at the first visible post and the count is 0 (for the tag's post pages)."""
    name = normalise_tag(tag)
    row = None
    if name:
        uses = _visible_uses(viewer).where(PostHashtag.hashtag_id == Hashtag.id)
        if counted:
            count = uses.with_only_columns(func.count()).scalar_subquery()
            row = (
                await db.execute(select(Hashtag.id, Hashtag.name, count).where(Hashtag.name == name))
            ).first()
        else:
            row = (
                await db.execute(
                    select(Hashtag.id, Hashtag.name, literal(0)).where(
                        Hashtag.name == name, uses.with_only_columns(PostHashtag.post_id).exists()
                    )
                )
            ).first()
    if row is None or (counted and not row[2]):
        raise not_found("No such hashtag.")
    return HashtagView(int(row[0]), str(row[1]), int(row[2]))


@lru_cache(maxsize=4)
def _hashtag_recent_query(with_viewer: bool, before: bool) -> Select[Any]:
    """`hashtag_recent`'s statement for one shape, built once (viewer, tag, bound, limit bound)."""
    viewer = _viewer(with_viewer)
    query = (
        visible_posts(viewer)
        .with_only_columns(*_ref_columns(with_viewer))
        .join(PostHashtag, PostHashtag.post_id == Post.id)
        .where(
            PostHashtag.hashtag_id == bindparam("hashtag_id", type_=BigInteger()),
            not_muted_by(viewer),
            discoverable(viewer.id if viewer is not None else None),
        )
        .order_by(PostHashtag.post_id.desc())
        .limit(_LIMIT)
    )
    if before:
        query = query.where(PostHashtag.post_id < bindparam("before", type_=BigInteger()))
    return query


async def hashtag_recent(
    db: AsyncSession, viewer: User | None, hashtag: HashtagView, before: int | None, limit: int
) -> list[PostRef]:
    """A page (limit + 1 rows) of the tag's posts the viewer may see, newest first, as refs for
    `cards.render_posts`; muted authors are left out as they are from the feeds."""
    values = _viewer_values(viewer, hashtag_id=hashtag.id, limit=limit + 1)
    if before is not None:
        values["before"] = before
    query = _hashtag_recent_query(viewer is not None, before is not None)
    return refs_of(await read_rows(db, query, values))


def engagement() -> ColumnElement[int]:
    """A post's engagement as the top lists weigh it: a comment counts for two likes."""
    return Post.like_count + 2 * Post.comment_count


@lru_cache(maxsize=2)
def _hashtag_top_query(with_viewer: bool) -> Select[Any]:
    """`hashtag_top`'s statement, built once per shape (viewer, tag, window, offset, limit bound)."""
    viewer = _viewer(with_viewer)
    return (
        visible_posts(viewer)
        .with_only_columns(*_ref_columns(with_viewer))
        .join(PostHashtag, PostHashtag.post_id == Post.id)
        .where(
            PostHashtag.hashtag_id == bindparam("hashtag_id", type_=BigInteger()),
            PostHashtag.post_id >= _FIRST_ID,
            PostHashtag.post_id <= _LAST_ID,
            Post.created_at >= _SINCE,
            not_muted_by(viewer),
            discoverable(viewer.id if viewer is not None else None),
        )
        .order_by(engagement().desc(), Post.id.desc())
        .offset(bindparam("offset", type_=Integer()))
        .limit(_LIMIT)
    )


async def hashtag_top(
    db: AsyncSession, viewer: User | None, hashtag: HashtagView, snapshot: Snapshot, limit: int
) -> list[PostRef]:
    """A page (limit + 1 rows) of the tag's most engaging posts of the TOP_WINDOW days before the
    snapshot, the viewer may see, most engaging first (newer first on ties), as refs."""
    since = snapshot.at - TOP_WINDOW
    values = _viewer_values(
        viewer,
        hashtag_id=hashtag.id,
        first_id=first_id_at(since),
        last_id=last_id_at(snapshot.at),
        since=since,
        offset=snapshot.offset,
        limit=limit + 1,
    )
    return refs_of(await read_rows(db, _hashtag_top_query(viewer is not None), values))


# --- search --------------------------------------------------------------------------------------


def _like_prefix(text: str) -> str:
    """A LIKE pattern matching text literally at the start (escape character: backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def search_text(q: str, strip: str) -> str:
    """The search text without spaces or a leading sigil, lower-cased; blank is a 400."""
    text = q.strip().lstrip(strip).strip().lower()
    if not text:
        raise invalid("q", "Type something to search for.")
    if len(text) > MAX_QUERY_LENGTH:
        raise invalid("q", f"Search with at most {MAX_QUERY_LENGTH} characters.")
    return text


async def search_accounts(db: AsyncSession, viewer: User | None, q: str, limit: int) -> list[User]:
    """Active accounts whose username, or a word of whose display name, starts with q.

    Ranked: accounts the viewer follows, then accounts following the viewer, then by follower
    count and username. Accounts blocked either way never appear; muted ones do (so they can be
    found and unmuted).
    """
    text = search_text(q, "@")
    pattern = _like_prefix(text)
    display_name = func.lower(User.display_name)
    query = (
        select(User)
        .where(
            *visible_accounts(viewer.id if viewer is not None else None),
            discoverable(viewer.id if viewer is not None else None),
            or_(
                User.username_key.like(pattern, escape="\\"),
                display_name.like(pattern, escape="\\"),
                display_name.like("% " + pattern, escape="\\"),
            ),
        )
        .limit(limit)
    )
    if viewer is not None:
        ranks = case((follows(viewer.id, User.id), 0), (follows(User.id, viewer.id), 1), else_=2)
        query = query.order_by(ranks)
    query = query.order_by(User.followers_count.desc(), User.username_key)
    return list(await db.scalars(query))


async def search_hashtags(db: AsyncSession, viewer: User | None, q: str, limit: int) -> list[HashtagView]:
    """Hashtags whose name starts with q and that tag at least one post the viewer may see, with
    the number of such posts, most used first (one query). A tag used only on posts the viewer
    cannot see (a private account's) is not there, as in `find_hashtag`."""
    text = search_text(q, "#")
    count = func.count()
    query = (
        _visible_uses(viewer)
        .join(Hashtag, Hashtag.id == PostHashtag.hashtag_id)
        .where(Hashtag.name.like(_like_prefix(text), escape="\\"))
        .with_only_columns(Hashtag.id, Hashtag.name, count)
        .group_by(Hashtag.id, Hashtag.name)
        .order_by(count.desc(), Hashtag.name)
        .limit(limit)
    )
    rows = (await db.execute(query)).tuples()
    return [HashtagView(int(key), str(name), int(uses)) for key, name, uses in rows]


# --- Explore -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    post_id: int
    author_id: int
    score: float
    ref: PostRef | None = None
    """The post's ref as the candidates' query read it (what a page of Explore renders)."""
    because_id: int | None = None
    """Personalised: the account of the viewer's history that led to this post's author."""
    personal: bool = False
    """Found by the recommender (else by popularity)."""
    tag: str | None = None
    """Found among the recent posts of a hashtag the viewer likes (`tag_candidates`): its name."""
    tag_likes: int = 0
    """And how many of the viewer's recent likes went to posts with that hashtag."""
    similar: bool = False
    """Found by its caption's likeness to those of the posts the viewer liked (`caption_candidates`)."""


@dataclass(frozen=True)
class ExplorePage:
    refs: list[PostRef]
    after: Snapshot | None
    model: str | None
    """The recommender version that ranked it (None: popularity alone)."""
    reasons: dict[int, str]
    """Why each post is there, by post id."""
    marked: frozenset[int] = frozenset()
    """The posts to show as suggested, with their reason: every one when a model ranked the page,
    else those of a hashtag the viewer likes."""


def explore_score(likes: int, comments: int, age: timedelta) -> float:
    """(1 + likes + 2 x comments) x 0.5 ^ (age in hours / 48): engagement, halved every two days."""
    hours = max(age.total_seconds(), 0.0) / 3600
    return (1 + likes + 2 * comments) * math.pow(0.5, hours / EXPLORE_HALF_LIFE_HOURS)


def spread_authors(ranked: Sequence[Candidate], page_size: int, stop_after: int) -> list[Candidate]:
    """The ranked list cut into pages of page_size with at most PER_AUTHOR_PER_PAGE posts of one
    author on a page; posts held back lead the next page. Stops once stop_after posts are placed."""
    placed: list[Candidate] = []
    remaining = list(ranked)
    while remaining and len(placed) < stop_after:
        page: list[Candidate] = []
        held: list[Candidate] = []
        per_author: Counter[int] = Counter()
        for candidate in remaining:
            if len(page) < page_size and per_author[candidate.author_id] < PER_AUTHOR_PER_PAGE:
                page.append(candidate)
                per_author[candidate.author_id] += 1
            else:
                held.append(candidate)
        placed.extend(page)
        remaining = held
    return placed


async def explore_candidates(db: AsyncSession, viewer: User | None, at: datetime) -> list[Candidate]:
    """Explore's ranked candidates as of `at`, in one query.

    The newest EXPLORE_CANDIDATES ready posts of the EXPLORE_WINDOW before `at`, by public, active
    accounts the viewer does not follow, has not muted and has no block with either way, never the
    viewer's own; best score first (newer first on ties).
    """
    since = at - EXPLORE_WINDOW
    values = _viewer_values(viewer, first_id=first_id_at(since), last_id=last_id_at(at), since=since)
    candidates = []
    for *columns, created_at in await read_rows(db, _explore_query(viewer is not None), values):
        ref = PostRef(*columns)
        score = explore_score(ref.like_count, ref.comment_count, at - created_at)
        candidates.append(Candidate(ref.id, ref.author_id, score, ref))
    candidates.sort(key=lambda c: (c.score, c.post_id), reverse=True)
    return candidates


@lru_cache(maxsize=2)
def _explore_query(with_viewer: bool) -> Select[Any]:
    """`explore_candidates`' statement, built once per shape (the viewer and the window bound).

    It reads the candidates' refs (not the viewer's likes and saves: working those out for 500
    candidates costs more than the one statement `render_posts` runs for the page's few)."""
    return _eligible(_viewer(with_viewer)).order_by(Post.id.desc()).limit(EXPLORE_CANDIDATES)


def _eligible(viewer: User | None, *where: ColumnElement[bool]) -> Select[Any]:
    """The refs and times of the posts Explore may show the viewer from the window's bound params
    (`first_id`, `last_id`, `since`): visible to it, by accounts it does not follow, has not muted
    and has no block with, never its own; narrowed by `where`."""
    return (
        visible_posts(viewer)
        .with_only_columns(*REF_COLUMNS, Post.created_at)
        .where(
            *explore_authors(viewer),
            *where,
            Post.id >= _FIRST_ID,
            Post.id <= _LAST_ID,
            Post.created_at >= _SINCE,
        )
    )


async def explore_page(
    db: AsyncSession,
    viewer: User | None,
    snapshot: Snapshot,
    limit: int,
    served: Served | None = None,
    *,
    exclude_liked: bool = False,
) -> ExplorePage:
    """One page of Explore, as refs for `cards.render_posts`, and the snapshot for the next page
    (None at the end). Personalised when the recommender knows the viewer (`personal_candidates`);
    else, and for anonymous visitors, recent popular posts: one query (two with `exclude_liked`,
    which leaves out what the viewer liked, commented, saved or marked "not interested" there too).
    For a signed-in viewer, recent posts of the hashtags it likes join the popular ones
    (`tag_candidates`, `blend`: one more query), then those whose captions are like the ones it
    liked (`caption_candidates`: one query; one more when it liked captioned posts, and another to
    top up the caption index at most every minute), and posts already shown to it on Explore or For
    you come last (`_unseen_first`: one more query). When the served version has a ranking model,
    it orders the candidates (`_ranked_by_model`) instead of the hand-set blend."""
    ranked = await explore_candidates(db, viewer, snapshot.at)
    model = None
    if viewer is not None:
        ranked = blend(ranked, await tag_candidates(db, viewer, snapshot.at), TAG_WEIGHT)
        ranked = blend(ranked, await caption_candidates(db, viewer, snapshot.at), CAPTION_WEIGHT)
        accounts = served.for_viewer(viewer.id) if served is not None else None
        if served is not None and accounts:
            ranked = await personal_candidates(db, viewer, snapshot.at, accounts, ranked)
            model = served.version
        done = None
        if model is not None or exclude_liked:
            done = await interaction_log().recent(db, viewer.id, kinds=TASTE_KINDS)
            ranked = _wanted(done, ranked)
        shown = await interaction_log().recent(
            db, viewer.id, kinds=(Kind.IMPRESSION,), limit=SEEN_IMPRESSIONS, before=first_id_at(snapshot.at)
        )
        if served is not None and served.ranker is not None and accounts and done is not None:
            ranked = _ranked_by_model(served.ranker, ranked, accounts, done, shown, snapshot.at)
        ranked = _unseen_first(ranked, shown)
    placed = spread_authors(ranked, limit, snapshot.offset + limit + 1)
    page = placed[snapshot.offset : snapshot.offset + limit]
    following = None
    if page and len(placed) > snapshot.offset + len(page):
        following = Snapshot(snapshot.at, snapshot.offset + len(page))
    reasons = await _reasons(db, page)
    marked = frozenset(c.post_id for c in page if model is not None or c.tag is not None or c.similar)
    return ExplorePage([c.ref for c in page if c.ref is not None], following, model, reasons, marked)


PERSONAL_WINDOW = timedelta(days=30)
"""Posts of the recommended accounts are drawn from this many recent days."""
PERSONAL_CANDIDATES = 300
POPULAR_WEIGHT = 0.35
"""Popular posts' share of the blend (each list's scores are divided by its best first): enough that
something new keeps showing up, not enough to drown what the viewer's tastes found."""
TASTE_KINDS = frozenset(
    {Kind.LIKE, Kind.UNLIKE, Kind.COMMENT, Kind.SAVE, Kind.UNSAVE, Kind.NOT_INTERESTED, Kind.HIDE}
)
_TAKES_BACK = {Kind.UNLIKE: Kind.LIKE, Kind.UNSAVE: Kind.SAVE}
"""What each of these takes back: an unlike a like, an unsave a save (not each other's)."""


async def personal_candidates(
    db: AsyncSession,
    viewer: User,
    at: datetime,
    accounts: Sequence[AccountCandidate],
    popular: Sequence[Candidate],
) -> list[Candidate]:
    """Explore for a viewer the recommender knows, best first: the recent posts of its candidate
    accounts (the same eligibility as `explore_candidates`: public, not followed, not muted or blocked),
    each scored account score x engagement x freshness, blended with the popular candidates
    (`POPULAR_WEIGHT`); a post also found by a hashtag the viewer likes keeps that hashtag (a
    feature of the ranking model). The caller leaves out what the viewer has done with already
    (`_wanted`)."""
    since = at - PERSONAL_WINDOW
    by_account = {account.account_id: account for account in accounts}
    values = _viewer_values(
        viewer, first_id=first_id_at(since), last_id=last_id_at(at), since=since, authors=list(by_account)
    )
    best_account = max((account.score for account in accounts), default=1.0) or 1.0
    found: dict[int, Candidate] = {}
    for *columns, created_at in await read_rows(db, _personal_query(), values):
        ref = PostRef(*columns)
        account = by_account[ref.author_id]
        score = (account.score / best_account) * explore_score(
            ref.like_count, ref.comment_count, at - created_at
        )
        found[ref.id] = Candidate(ref.id, ref.author_id, score, ref, account.because_id, personal=True)
    best_personal = max((c.score for c in found.values()), default=1.0) or 1.0
    best_popular = max((c.score for c in popular), default=1.0) or 1.0
    popularity = {c.post_id: POPULAR_WEIGHT * c.score / best_popular for c in popular}
    tagged = {c.post_id: c for c in popular if c.tag is not None}
    blended = [
        replace(
            c,
            score=c.score / best_personal + popularity.get(c.post_id, 0.0),
            tag=tagged[c.post_id].tag if c.post_id in tagged else None,
            tag_likes=tagged[c.post_id].tag_likes if c.post_id in tagged else 0,
        )
        for c in found.values()
    ]
    blended += [replace(c, score=popularity[c.post_id]) for c in popular if c.post_id not in found]
    blended.sort(key=lambda c: (c.score, c.post_id), reverse=True)
    return blended


TAG_LIKES_WINDOW = timedelta(days=30)
"""The viewer's likes of this many recent days say which hashtags it likes."""
TAG_AFFINITIES = 5
"""The hashtags the viewer likes most whose recent posts are candidates."""
TAG_CANDIDATES = 150
TAG_NEWEST = 20
"""Each liked hashtag's newest posts of the window that are looked at (then checked for privacy)."""
TAG_WEIGHT = 0.5
"""Hashtag candidates' share of the blend with the popular ones (each list divided by its best)."""


async def tag_candidates(db: AsyncSession, viewer: User, at: datetime) -> list[Candidate]:
    """Explore's candidates from the hashtags the viewer likes, best first, in one query: of the
    TAG_AFFINITIES hashtags of the posts it liked most in TAG_LIKES_WINDOW, each one's TAG_NEWEST
    newest posts of the EXPLORE_WINDOW before `at`, those with `explore_candidates`' eligibility
    (at most TAG_CANDIDATES), each scored by that hashtag's likes x `explore_score` (a post with several
    such hashtags counts its best). Empty for a viewer who liked no tagged post."""
    since = at - EXPLORE_WINDOW
    values = _viewer_values(
        viewer,
        first_id=first_id_at(since),
        last_id=last_id_at(at),
        since=since,
        liked_since=first_id_at(at - TAG_LIKES_WINDOW),
    )
    found: dict[int, Candidate] = {}
    for *columns, created_at, tag, likes in await read_rows(db, _tag_query(), values):
        ref = PostRef(*columns)
        score = likes * explore_score(ref.like_count, ref.comment_count, at - created_at)
        if ref.id not in found or score > found[ref.id].score:
            found[ref.id] = Candidate(ref.id, ref.author_id, score, ref, tag=tag, tag_likes=likes)
    return sorted(found.values(), key=lambda c: (c.score, c.post_id), reverse=True)


def blend(ranked: Sequence[Candidate], found: Sequence[Candidate], weight: float) -> list[Candidate]:
    """The ranked candidates and those a further source found in one list, best first: each score
    divided by its list's best, the source's weighed `weight` and added to the ranked score of the
    same post. A post found by both keeps the hashtag and the caption likeness either found it by
    (the reasons shown)."""
    if not found:
        return list(ranked)
    best_ranked = max((c.score for c in ranked), default=1.0) or 1.0
    best_found = max(c.score for c in found) or 1.0
    blended = {c.post_id: replace(c, score=c.score / best_ranked) for c in ranked}
    for c in found:
        share = weight * c.score / best_found
        earlier = blended.get(c.post_id)
        blended[c.post_id] = (
            replace(c, score=share)
            if earlier is None
            else replace(
                earlier,
                score=earlier.score + share,
                tag=earlier.tag or c.tag,
                tag_likes=earlier.tag_likes or c.tag_likes,
                similar=earlier.similar or c.similar,
            )
        )
    return sorted(blended.values(), key=lambda c: (c.score, c.post_id), reverse=True)


@lru_cache(maxsize=1)
def _tag_query() -> Select[Any]:
    """`tag_candidates`' statement: `_explore_query`'s, on the posts of the viewer's liked hashtags."""
    viewer = _viewer(True)
    liked_tags = (
        select(PostHashtag.hashtag_id.label("hashtag_id"), func.count().label("likes"))
        .select_from(PostLike)
        .join(PostHashtag, PostHashtag.post_id == PostLike.post_id)
        .where(
            PostLike.user_id == bindparam("viewer_id", type_=BigInteger()),
            PostLike.id >= bindparam("liked_since", type_=BigInteger()),
        )
        .group_by(PostHashtag.hashtag_id)
        .order_by(func.count().desc(), PostHashtag.hashtag_id)
        .limit(TAG_AFFINITIES)
        .subquery()
    )
    # Each hashtag's newest posts of the window, from the (hashtag_id, post_id) index alone, before
    # the privacy rules are checked for any: a tag everyone uses has thousands.
    newest = (
        select(
            PostHashtag.post_id.label("post_id"),
            PostHashtag.hashtag_id.label("hashtag_id"),
            liked_tags.c.likes,
            func.row_number()
            .over(partition_by=PostHashtag.hashtag_id, order_by=PostHashtag.post_id.desc())
            .label("place"),
        )
        .join(liked_tags, liked_tags.c.hashtag_id == PostHashtag.hashtag_id)
        .where(PostHashtag.post_id >= _FIRST_ID, PostHashtag.post_id <= _LAST_ID)
        .subquery()
    )
    return (
        visible_posts(viewer)
        .with_only_columns(*REF_COLUMNS, Post.created_at, Hashtag.name, newest.c.likes)
        .join(newest, newest.c.post_id == Post.id)
        .join(Hashtag, Hashtag.id == newest.c.hashtag_id)
        .where(
            newest.c.place <= TAG_NEWEST,
            *explore_authors(viewer),
            Post.id >= _FIRST_ID,
            Post.id <= _LAST_ID,
            Post.created_at >= _SINCE,
        )
        .order_by(Post.id.desc())
        .limit(TAG_CANDIDATES)
    )


CAPTION_NEAREST = 100
"""The posts of the week nearest the viewer's taste in captions that are looked at."""
CAPTION_SIMILARITY = 0.4
"""Less alike than this (cosine of MiniLM embeddings) is no reason to show a post."""
CAPTION_WEIGHT = 0.5
"""Caption candidates' share of the blend (`blend`, as TAG_WEIGHT)."""


async def caption_candidates(db: AsyncSession, viewer: User, at: datetime) -> list[Candidate]:
    """Explore's candidates from caption text the viewer engages with: the posts of the week whose
    captions are nearest the mean of those of the posts it liked lately (recommend.captions; an
    in-memory index, topped up with new posts at most every minute), at least CAPTION_SIMILARITY
    alike, with `explore_candidates`' eligibility (one query), scored similarity x `explore_score`.
    Empty (one query) for a viewer who liked no post with a caption."""
    taste = await captions.taste(db, viewer.id, at)
    if taste is None:
        return []
    nearest = await captions.caption_index.nearest(db, at, taste, CAPTION_NEAREST)
    similarity = {post_id: alike for post_id, alike in nearest if alike >= CAPTION_SIMILARITY}
    if not similarity:
        return []
    since = at - EXPLORE_WINDOW
    values = _viewer_values(
        viewer, first_id=first_id_at(since), last_id=last_id_at(at), since=since, chosen=list(similarity)
    )
    found = []
    for *columns, created_at in await read_rows(db, _caption_query(), values):
        ref = PostRef(*columns)
        score = similarity[ref.id] * explore_score(ref.like_count, ref.comment_count, at - created_at)
        found.append(Candidate(ref.id, ref.author_id, score, ref, similar=True))
    return sorted(found, key=lambda c: (c.score, c.post_id), reverse=True)


@lru_cache(maxsize=1)
def _caption_query() -> Select[Any]:
    """`caption_candidates`' statement: `_explore_query`'s, on the chosen posts."""
    return _eligible(_viewer(True), Post.id.in_(bindparam("chosen", expanding=True)))


SEEN_SURFACES = frozenset({Surface.EXPLORE, Surface.FOR_YOU})
"""Where an impression makes a post "already seen" for the recommendation surfaces."""
SEEN_IMPRESSIONS = 500
"""How many of the viewer's latest impressions are looked at: about twenty-five pages' worth."""


def _unseen_first(candidates: Sequence[Candidate], shown: Sequence[Signal]) -> list[Candidate]:
    """The candidates not shown to the viewer on Explore or For you before this visit (`shown`: its
    impressions before the snapshot's moment) first, then those that were, each part in its order:
    what is new comes first, and a small instance never runs out of Explore. This visit's own
    impressions do not count, so its later pages stay as the first ranked them."""
    seen = {signal.post_id for signal in shown if signal.surface in SEEN_SURFACES}
    if not seen:
        return list(candidates)
    return [c for c in candidates if c.post_id not in seen] + [c for c in candidates if c.post_id in seen]


def _wanted(done: Sequence[Signal], candidates: Sequence[Candidate]) -> list[Candidate]:
    """The candidates less the posts the viewer liked, commented, saved or marked "not interested"
    (`done`: its interaction log's latest, newest first; a like or save taken back since does not
    count), and every post of an account it marked so."""
    posts: set[int | None] = set()
    taken_back: set[tuple[int | None, Kind]] = set()
    for signal in done:  # newest first: an unlike is seen before the like it takes back
        if (undone := _TAKES_BACK.get(signal.kind)) is not None:
            taken_back.add((signal.post_id, undone))
        elif (signal.post_id, signal.kind) not in taken_back:
            posts.add(signal.post_id)
    authors = {signal.author_id for signal in done if signal.kind in NEGATIVE_KINDS}
    return [c for c in candidates if c.post_id not in posts and c.author_id not in authors]


def _ranked_by_model(
    ranker: Ranker,
    candidates: Sequence[Candidate],
    accounts: Sequence[AccountCandidate],
    done: Sequence[Signal],
    shown: Sequence[Signal],
    at: datetime,
) -> list[Candidate]:
    """The candidates in the ranking model's order (recommend.ranking: its features worked out here
    from what the page has read already: the viewer's candidate accounts, its latest signals and
    impressions, each candidate's ref)."""
    account_score = ranking.account_feature((account.account_id, account.score) for account in accounts)
    affinity = ranking.affinities(done)
    ignored = ranking.passed_over(shown, {s.post_id for s in done if s.kind in ranking.ACTED_ON})
    rankable = [c for c in candidates if c.ref is not None]
    if not rankable:
        return list(candidates)
    refs = [c.ref for c in rankable if c.ref is not None]  # all of them (typed)
    post_ms = (np.array([c.post_id for c in rankable], dtype=np.int64) >> ID_TIME_SHIFT) + EPOCH_MS
    rows = ranking.feature_rows(
        [account_score.get(c.author_id, 0.0) for c in rankable],
        [ref.like_count for ref in refs],
        [ref.comment_count for ref in refs],
        (unix_ms(at) - post_ms) / 3_600_000,
        [c.tag_likes for c in rankable],
        [affinity.get(c.author_id, 0.0) for c in rankable],
        [len(ignored.get(c.author_id, set()) - {c.post_id}) for c in rankable],
    )
    scores = ranker.score(rows)
    order = sorted(range(len(rankable)), key=lambda i: (scores[i], rankable[i].post_id), reverse=True)
    return [rankable[i] for i in order] + [c for c in candidates if c.ref is None]


@lru_cache(maxsize=1)
def _personal_query() -> Select[Any]:
    """`personal_candidates`' statement: `_explore_query`'s, on the given accounts and its own window."""
    return (
        _eligible(_viewer(True), Post.author_id.in_(bindparam("authors", expanding=True)))
        .order_by(Post.id.desc())
        .limit(PERSONAL_CANDIDATES)
    )


async def _reasons(db: AsyncSession, page: Sequence[Candidate]) -> dict[int, str]:
    """ "Because you like posts by @name" for a post the viewer's history led to, "Popular in #tag"
    for one of a hashtag it likes; else why it is there at all."""
    names = await _usernames(db, {c.because_id for c in page if c.because_id is not None})
    reasons = {}
    for c in page:
        if c.because_id in names:
            reasons[c.post_id] = f"Because you like posts by @{names[c.because_id]}"
        elif c.tag is not None:
            reasons[c.post_id] = f"Popular in #{c.tag}"
        elif c.similar:
            reasons[c.post_id] = "Like posts you liked"
        elif c.personal:
            reasons[c.post_id] = "Suggested for you"
        else:
            reasons[c.post_id] = "Popular this week"
    return reasons


# --- suggested accounts --------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountSuggestion:
    user: User
    mutual_count: int
    reason: str | None = None
    """Why the recommender suggests it ("Because you like posts by @name"); None for the others."""


async def suggested_accounts(
    db: AsyncSession, viewer: User, limit: int, served: Served | None = None
) -> list[AccountSuggestion]:
    """Accounts to follow with their mutual counts: one query, two when the recommender knows the
    viewer.

    Accounts staff feature come first (private ones too: decision 0058); then, when the recommender
    knows the viewer, the public accounts it finds for the viewer's tastes, best first; then friends
    of friends (accounts followed by the accounts the viewer follows), by how many of them follow the
    account; then public accounts followed by the authors whose posts the viewer likes without
    following them ("Followed by @name"), by how much the viewer likes those authors' posts; the rest
    of the list is filled with the most-followed public accounts (mutual count 0),
    which is also the whole list for someone who follows nobody and whom the recommender does not
    know. Never the viewer, accounts already followed or requested, blocked either way, muted,
    limited or inactive.
    """
    found = await _friends_of_friends(db, viewer, limit)
    accounts = served.for_viewer(viewer.id) if served is not None else None
    if not accounts:
        return [AccountSuggestion(user, count, reason) for user, count, _, reason in found]
    counts = {user.id: count for user, count, _, _ in found}
    wanted = [account.account_id for account in accounts]
    query = select(User).where(
        User.id.in_(wanted), User.is_private == false(), *_suggestible(viewer), discoverable(None)
    )
    users = {user.id: user for user in (await db.scalars(query)).all()}
    because = {account.account_id: account.because_id for account in accounts}
    names = await _usernames(db, {b for b in because.values() if b is not None})
    suggestions = [AccountSuggestion(user, count, why) for user, count, featured, why in found if featured]
    for account_id in wanted:
        if account_id in users:
            led_by = because[account_id]
            reason = f"Because you like posts by @{names[led_by]}" if led_by in names else None
            suggestions.append(AccountSuggestion(users[account_id], counts.get(account_id, 0), reason))
    suggestions += [
        AccountSuggestion(user, count, reason) for user, count, featured, reason in found if not featured
    ]
    seen: set[int] = set()
    unique = []
    for suggestion in suggestions:  # an account found twice keeps its first (better) place
        if suggestion.user.id not in seen:
            seen.add(suggestion.user.id)
            unique.append(suggestion)
    return unique[:limit]


def _suggestible(viewer: User) -> list[ColumnElement[bool]]:
    """Conditions on User for an account that may be suggested to the viewer."""
    already = or_(
        follows(viewer.id, User.id),
        requested(viewer.id, User.id),
        mutes(viewer.id, User.id),
        blocked_between(viewer.id, User.id),
    )
    return [User.is_active == true(), User.id != viewer.id, ~already]


async def _usernames(db: AsyncSession, ids: set[int]) -> dict[int, str]:
    """The usernames of those of these accounts that exist for anyone (active)."""
    if not ids:
        return {}
    rows = await db.execute(select(User.id, User.username).where(User.id.in_(ids), *visible_accounts(None)))
    return dict(rows.tuples().all())


ENGAGED_WINDOW = timedelta(days=30)
"""Likes of this many recent days make an author one the viewer engages with (suggested accounts)."""
ENGAGED_AUTHORS = 50
"""The authors the viewer likes most whose follows are looked at."""


def _engaged_authors(viewer: User, at: datetime) -> Any:
    """The authors whose posts the viewer liked lately without following them (active, not blocked
    either way), most liked first: (via_id, likes)."""
    author = aliased(User)
    return (
        select(Post.author_id.label("via_id"), func.count().label("likes"))
        .select_from(PostLike)
        .join(Post, Post.id == PostLike.post_id)
        .join(author, author.id == Post.author_id)
        .where(
            PostLike.user_id == viewer.id,
            PostLike.id >= first_id_at(at - ENGAGED_WINDOW),
            author.id != viewer.id,
            author.is_active == true(),
            ~follows(viewer.id, author.id),
            ~blocked_between(viewer.id, author.id),
        )
        .group_by(Post.author_id)
        .order_by(func.count().desc(), Post.author_id)
        .limit(ENGAGED_AUTHORS)
        .cte("engaged")
    )


async def _friends_of_friends(
    db: AsyncSession, viewer: User, limit: int
) -> list[tuple[User, int, bool, str | None]]:
    """Featured accounts first, then friends of friends, then public accounts followed by authors the
    viewer likes (`_engaged_authors`), then the most-followed public accounts: (account, mutual
    count, featured, "Followed by @name" for those an engaged author follows and no followee does)."""
    mine = aliased(Follow)
    theirs = aliased(Follow)
    engaged = _engaged_authors(viewer, datetime.now(UTC))
    via_follow = aliased(Follow)
    via_scores = (
        select(via_follow.followee_id.label("user_id"), func.sum(engaged.c.likes).label("liked"))
        .select_from(engaged)
        .join(via_follow, via_follow.follower_id == engaged.c.via_id)
        .group_by(via_follow.followee_id)
        .subquery()
    )
    named_follow = aliased(Follow)
    via_user = aliased(User)
    via_name = (  # the author the viewer likes most among those who follow the account
        select(via_user.username)
        .select_from(engaged)
        .join(named_follow, named_follow.follower_id == engaged.c.via_id)
        .join(via_user, via_user.id == engaged.c.via_id)
        .where(named_follow.followee_id == User.id)
        .order_by(engaged.c.likes.desc(), via_user.username_key)
        .limit(1)
        .scalar_subquery()
    )
    mutuals = (
        select(theirs.followee_id.label("user_id"), func.count().label("mutual_count"))
        .select_from(mine)
        .join(theirs, theirs.follower_id == mine.followee_id)
        .where(mine.follower_id == viewer.id)
        .group_by(theirs.followee_id)
        .subquery()
    )
    mutual_count = func.coalesce(mutuals.c.mutual_count, 0)
    liked = func.coalesce(via_scores.c.liked, 0)
    featured = FeaturedAccount.user_id.is_not(None)
    query = (
        select(User, mutual_count, featured, case((via_scores.c.user_id.is_not(None), via_name)))
        .outerjoin(mutuals, mutuals.c.user_id == User.id)
        .outerjoin(via_scores, via_scores.c.user_id == User.id)
        .outerjoin(FeaturedAccount, FeaturedAccount.user_id == User.id)
        .where(
            *_suggestible(viewer),
            discoverable(None),
            or_(mutuals.c.user_id.is_not(None), User.is_private == false(), featured),
        )
        .order_by(
            case((featured, 1), else_=0).desc(),
            mutual_count.desc(),
            liked.desc(),
            User.followers_count.desc(),
            User.username_key,
        )
        .limit(limit)
    )
    return [
        (user, int(count), bool(is_featured), f"Followed by @{via}" if via and not count else None)
        for user, count, is_featured, via in (await db.execute(query)).tuples()
    ]
