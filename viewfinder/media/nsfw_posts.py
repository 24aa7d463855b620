"""What an open_nsfw score does to the post that carries the media item (docs/decisions/0064).

By the thresholds in force (the instance's settings, or what an admin changed them to:
`viewfinder.detection.thresholds`): a score of at least `nsfw_sensitive_threshold` marks the post sensitive
(`posts.sensitive`, the mark staff set too: its author cannot take it off, staff can reverse it); at
least `nsfw_hold_threshold` also holds it for review (its author alone sees it) and opens or joins
its moderation case with the score and the reason (`ContentFlagged`, the event the staff's text
rules use, so the case is opened in the same transaction). Nothing is ever deleted or refused.

A post is made of items already uploaded, and an item may be scored before or after its post
exists, so this runs at both moments, in the transaction that makes the change visible:
`judge_new_post` when `posts.services.create_post` makes the post (for items already scored), and
`apply_to_post_of` in the media job just before the item becomes ready (when its post exists
already). On PostgreSQL both lock the item's row first, so when the two run at once one waits
for the other's commit and neither misses the score (SQLite runs one writer at a time anyway).
A post is shown only once every item is ready, so a hold decided at either moment takes
effect before anyone else can see the post. Each item moves its post at most once: the job scores
an item once (a ready item is never processed again). A hold applies to a visible post only, so it
never undoes a removal; an item of a post that staff released from hold while another item was
still processing holds it again if that item scores high (staff have not seen that score yet).

It lives in the media domain, which posts already build on, and imports only models, core,
settings, `viewfinder.detection.thresholds` and `viewfinder.screening` (for the event), so media
processing and post creation both call it without a cycle (`viewfinder.detection` stays below
screening); it loads no model (that is `viewfinder.detection.nsfw`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.core.db import move_counters
from viewfinder.core.events import emit
from viewfinder.detection.thresholds import InForce, in_force
from viewfinder.media.models import MediaItem
from viewfinder.posts.models import Post, PostMedia
from viewfinder.screening import ContentFlagged
from viewfinder.settings import Settings

REASON_PREFIX = "open_nsfw"


@dataclass(frozen=True)
class NsfwDecision:
    """What the scores of a post's items call for."""

    score: float | None = None
    """The highest score (None: no item scored)."""
    media_id: int | None = None
    """The item that scored it."""
    sensitive: bool = False
    hold: bool = False
    hold_at: float = 1.0
    sensitive_at: float = 1.0
    """The thresholds it was decided by."""

    def reason(self) -> str:
        return (
            f"{REASON_PREFIX}: media item {self.media_id} scored {self.score:.3f} "
            f"(held at ≥ {self.hold_at:g}, sensitive at ≥ {self.sensitive_at:g})"
        )


NOTHING = NsfwDecision()


def decide(scores: Iterable[tuple[int, float | None]], limits: InForce) -> NsfwDecision:
    """The decision for items' (media id, score) pairs: the highest score against the thresholds."""
    scored = [(score, media_id) for media_id, score in scores if score is not None]
    if not scored:
        return NOTHING
    score, media_id = max(scored)
    hold_at, sensitive_at = limits.nsfw_hold_threshold, limits.nsfw_sensitive_threshold
    hold = score >= hold_at
    return NsfwDecision(score, media_id, hold or score >= sensitive_at, hold, hold_at, sensitive_at)


async def judge_new_post(db: AsyncSession, media_ids: list[int], settings: Settings) -> NsfwDecision:
    """The decision for a post about to be made of these items (those scored already)."""
    # Locked until the post commits: a job scoring one of them meanwhile waits, then finds the post.
    rows = await db.execute(
        select(MediaItem.id, MediaItem.nsfw_score).where(MediaItem.id.in_(media_ids)).with_for_update()
    )
    return decide(rows.tuples().all(), await in_force(db, settings))


async def send_to_review(db: AsyncSession, decision: NsfwDecision, post: Post) -> None:
    """Open or join the post's case for a hold (nothing otherwise). No commit."""
    if decision.hold and decision.score is not None:
        await emit(
            db,
            ContentFlagged(
                target_kind="post",
                target_id=post.id,
                owner_id=post.author_id,
                score=round(decision.score, 4),
                reason=decision.reason(),
            ),
        )


async def apply_to_post_of(db: AsyncSession, item: MediaItem, settings: Settings) -> NsfwDecision:
    """In the media job, before the item becomes ready: move the post that carries it (if there is
    one yet) by its score. No commit: the caller commits with the item's new state."""
    decision = decide([(item.id, item.nsfw_score)], await in_force(db, settings))
    if not decision.sensitive:
        return decision
    # Lock the item first: a post being made of it meanwhile either committed already (found below)
    # or waits for this commit and reads the score (judge_new_post).
    await db.execute(select(MediaItem.id).where(MediaItem.id == item.id).with_for_update())
    post = await db.scalar(
        select(Post).join(PostMedia, PostMedia.post_id == Post.id).where(PostMedia.media_id == item.id)
    )
    if post is None:  # posted later: create_post reads the score
        return decision
    post.sensitive = True
    if decision.hold and post.moderation == "visible":
        post.moderation = "held"
        # The author's posts_count counts the posts others see (posts.services.move_posts_count).
        await db.execute(move_counters(User, posts_count=-1).where(User.id == post.author_id))
        await send_to_review(db, decision, post)
    return decision
