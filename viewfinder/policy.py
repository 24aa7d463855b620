"""The privacy policy: every "may this viewer see, or act on, this" answer of the platform.

One module, so that a rule is written once and every list and page agrees with it
(docs/decisions/0040-privacy-policy.md; the rules themselves: 0008, 0012, 0031, 0032). It imports
only core and the domains' models, so any domain (services, api, tasks) may call it.

Two shapes, one per kind of question:

- **SQL conditions for lists** (plain functions returning `ColumnElement[bool]`, a list of them, or
  a `Select`): put them in a query that joins the object's owner as `User`. Lists run a fixed number
  of statements whatever their length, so a rule for lists is always a condition, never a loop.
- **Predicates for single objects** (`async def may_...(db, viewer, ...)`, or a plain function when
  the rows are already loaded): for a page about one object.

The rules, in words (the truth table in tests/test_privacy_policy.py checks each through the API):

- An account that is deactivated or being deleted, or that has blocked the viewer or been blocked
  by them, does not exist for the viewer: its profile, posts, comments, likes and notifications
  are a 404 or absent from lists (both ways, so a block reveals nothing).
- A private account's posts (and so their comments, likes, tags and media) and its follower and
  following lists are open to the account itself and its approved followers; a pending request
  opens nothing. Its profile stays visible (the lists and grid answer 403, as their existence is
  public).
- A post whose media are not all ready is shown to its author only.
- A mute hides the muted account from the muter's lists (home feed, hashtag pages, Explore); it
  does not make anything private: the post page, the profile and search still show it.
- An account staff limited (decision 0052) is left out of discovery for everyone else: Explore,
  search (accounts and hashtags), hashtag pages, suggestions. Its profile, posts and followers'
  feeds are unchanged. Suspended and banned accounts are inactive: hidden as deactivated ones.
- Staff have no powers of sight here: a staff account sees what any account in the same
  relationship sees (the moderation queue reads a case's target by id, apart from these rules).
- Content states (posts.moderation, comments.moderation; decision 0051): a removed post or comment
  is shown to no one, its author included (an appeal may restore it); a held one to its author
  alone, until staff approve it. A removed post's media files are served to staff only.
- Media bytes: a private account's renditions need a signed, expiring URL; avatars are as public
  as profiles; a deactivated account's files are a 404 to everyone.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, cast

from sqlalchemy import BigInteger, Select, and_, bindparam, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute, aliased
from sqlalchemy.orm.util import AliasedClass
from sqlalchemy.sql.elements import ColumnElement

from viewfinder.accounts.models import User
from viewfinder.engagement.models import Comment
from viewfinder.graph.models import Block, Follow, FollowRequest, Mute
from viewfinder.media.models import MediaItem, MediaState
from viewfinder.posts.models import Post, PostMedia

UserColumn = QueryableAttribute[int] | ColumnElement[int] | int

# --- relationships (conditions) -------------------------------------------------------------------


class _BoundAccount:
    def __init__(self, name: str) -> None:
        self.id = bindparam(name, type_=BigInteger())


@lru_cache(maxsize=8)
def bound_account(name: str = "viewer_id") -> User:
    """An account standing in a statement built once (and cached): its id is the bound parameter
    `name`, so what the conditions below put in SQL stays a parameter and the statement serves every
    viewer. Only its `id` may be read."""
    return cast(User, _BoundAccount(name))


def blocked_between(viewer_id: UserColumn, other_id: UserColumn) -> ColumnElement[bool]:
    """True when either account blocked the other."""
    return exists().where(
        or_(
            and_(Block.blocker_id == viewer_id, Block.blocked_id == other_id),
            and_(Block.blocker_id == other_id, Block.blocked_id == viewer_id),
        )
    )


def has_blocked(blocker_id: UserColumn, blocked_id: UserColumn) -> ColumnElement[bool]:
    """True when the first account blocked the second (one way only)."""
    return exists().where(Block.blocker_id == blocker_id, Block.blocked_id == blocked_id)


def follows(follower_id: UserColumn, followee_id: UserColumn) -> ColumnElement[bool]:
    """True when the first account is an approved follower of the second."""
    return exists().where(Follow.follower_id == follower_id, Follow.followee_id == followee_id)


def requested(requester_id: UserColumn, target_id: UserColumn) -> ColumnElement[bool]:
    """True when the first account's request to follow the second (private) one is pending."""
    return exists().where(FollowRequest.requester_id == requester_id, FollowRequest.target_id == target_id)


def mutes(muter_id: UserColumn, muted_id: UserColumn) -> ColumnElement[bool]:
    """True when the first account muted the second."""
    return exists().where(Mute.muter_id == muter_id, Mute.muted_id == muted_id)


def not_muted_by(viewer: User | None) -> ColumnElement[bool]:
    """True unless the viewer muted User (the joined author): for lists, never for pages."""
    if viewer is None:
        return ~false()
    return ~mutes(viewer.id, User.id)


# --- accounts -------------------------------------------------------------------------------------


def visible_accounts(viewer_id: UserColumn | None) -> list[ColumnElement[bool]]:
    """Conditions on User for that account to exist for the viewer: active, and no block either
    way. Profiles, search, follower lists, likers, comment authors and notification actors."""
    conditions: list[ColumnElement[bool]] = [User.is_active == true()]
    if viewer_id is not None:
        conditions.append(~blocked_between(viewer_id, User.id))
    return conditions


def discoverable(viewer_id: UserColumn | None) -> ColumnElement[bool]:
    """Condition on User: the account may be found by discovery (Explore, search of accounts and
    hashtags, hashtag pages, suggestions): not limited by staff (decision 0052), or the viewer
    itself. A limited account's profile, posts and followers' feeds are unchanged."""
    if viewer_id is None:
        return User.limited == false()
    return or_(User.limited == false(), User.id == viewer_id)


def block_target_visible(viewer: User) -> list[ColumnElement[bool]]:
    """Conditions on User for the viewer to block or unblock it: visible even when the viewer
    blocked it, but not when it blocked the viewer (that block must not be revealed)."""
    return [User.is_active == true(), ~has_blocked(User.id, viewer.id)]


async def may_see_profile_posts(db: AsyncSession, viewer: User | None, owner: User) -> bool:
    """Whether the owner's posts (their grid, and each post) are open to the viewer: a public
    account's to all, a private account's to itself and its approved followers. The owner has
    already been found visible (no block either way)."""
    if not owner.is_private or (viewer is not None and viewer.id == owner.id):
        return True
    if viewer is None:
        return False
    return bool(await db.scalar(select(follows(viewer.id, owner.id))))


async def may_see_connections(db: AsyncSession, viewer: User | None, owner: User) -> bool:
    """Whether the owner's follower and following lists are open to the viewer: as the posts."""
    return await may_see_profile_posts(db, viewer, owner)


def audience_of(author: User) -> list[ColumnElement[bool]]:
    """Conditions on User for that account to see the author's posts: active, no block either way,
    and, when the author is private, the author themself or an approved follower. Whoever is told
    of a post (a mention, a reply, a like on their comment) must pass them (decision 0031)."""
    conditions = visible_accounts(author.id)
    if author.is_private:
        conditions.append(or_(User.id == author.id, follows(User.id, author.id)))
    return conditions


# --- content states (moderation) ----------------------------------------------------------------


def content_shown_to(
    viewer: User | None,
    moderation: ColumnElement[str] | QueryableAttribute[str],
    author_id: ColumnElement[int] | QueryableAttribute[int],
) -> ColumnElement[bool]:
    """Condition on a post's or comment's `moderation` column (and its author's id): "visible" for
    everyone, "held" for its author alone, "removed" for no one. One condition, so a list's
    statement stays one statement."""
    if viewer is None:
        return moderation == "visible"
    return or_(moderation == "visible", and_(moderation == "held", author_id == viewer.id))


def post_shown_to(viewer: User | None) -> ColumnElement[bool]:
    """Condition on Post: its moderation state lets the viewer see it."""
    return content_shown_to(viewer, Post.moderation, Post.author_id)


def comment_shown_to(
    viewer: User | None, comment: type[Comment] | AliasedClass[Comment] = Comment
) -> ColumnElement[bool]:
    """Condition on Comment (or an alias of it): its moderation state lets the viewer see it."""
    return content_shown_to(viewer, comment.moderation, comment.author_id)


def may_see_content(viewer: User | None, moderation: str, author_id: int) -> bool:
    """`content_shown_to` for one loaded post or comment."""
    if moderation == "visible":
        return True
    return moderation == "held" and viewer is not None and viewer.id == author_id


# --- posts ----------------------------------------------------------------------------------------

NOT_READY = [state for state in MediaState if state is not MediaState.READY]


def post_is_ready() -> ColumnElement[bool]:
    """True for posts whose every media item is ready: only those are shown to others.

    Written as `state IN (every other state)` rather than `state != 'ready'`: PostgreSQL can read the
    few unfinished items from the state index for an IN list, while for `!=` it scanned every media
    item (49 of the 51 ms of a home-feed page with 112,000 items; decision 0026's bench notes)."""
    return ~exists().where(
        PostMedia.post_id == Post.id, PostMedia.media_id == MediaItem.id, MediaItem.state.in_(NOT_READY)
    )


def shown_on_profile(viewer: User | None, author: User) -> ColumnElement[bool]:
    """Condition on Post for the author's grid: unfinished and held posts to their author only,
    removed ones to no one."""
    if viewer is not None and viewer.id == author.id:
        return Post.moderation != "removed"
    return and_(post_is_ready(), Post.moderation == "visible")


def author_open_to(viewer: User | None) -> ColumnElement[bool]:
    """True when the viewer may see the posts of User (the joined author)."""
    if viewer is None:
        return User.is_private == false()
    return or_(User.is_private == false(), User.id == viewer.id, follows(viewer.id, User.id))


def visible_posts(viewer: User | None) -> Select[tuple[Post, User]]:
    """Posts with their authors, restricted to what the viewer may see; add order and limits.
    Every list of posts starts here (feeds, hashtags, Explore, saved posts, collections,
    notifications' post references)."""
    query = (
        select(Post, User)
        .join(User, User.id == Post.author_id)
        .where(User.is_active, post_is_ready(), author_open_to(viewer), post_shown_to(viewer))
    )
    if viewer is not None:
        query = query.where(~blocked_between(viewer.id, User.id))
    return query


def explore_authors(viewer: User | None) -> list[ColumnElement[bool]]:
    """Conditions on User (joined to visible_posts) for Explore: public accounts only, never the
    viewer's own, nor accounts the viewer follows or muted, nor limited ones."""
    conditions: list[ColumnElement[bool]] = [User.is_private == false(), discoverable(None)]
    if viewer is not None:
        conditions += [User.id != viewer.id, ~follows(viewer.id, User.id), not_muted_by(viewer)]
    return conditions


async def find_visible_post(db: AsyncSession, viewer: User | None, post_id: int) -> tuple[Post, User] | None:
    """A post and its author as the viewer may see it, else None: blocks, private accounts, and
    unfinished posts (shown to their author only) all look like nothing there."""
    query = select(Post, User).join(User, User.id == Post.author_id).where(Post.id == post_id, User.is_active)
    if viewer is not None:
        query = query.where(~blocked_between(viewer.id, User.id))
    row = (await db.execute(query)).tuples().first()
    if row is None:
        return None
    post, author = row
    if not may_see_content(viewer, post.moderation, author.id):
        return None
    if viewer is not None and viewer.id == author.id:
        return post, author
    ready = await db.scalar(select(post_is_ready()).where(Post.id == post.id))
    if not ready or not await may_see_profile_posts(db, viewer, author):
        return None
    return post, author


def may_comment(post: Post) -> bool:
    """Whether a viewer who may see the post may comment on it (the author can turn comments off)."""
    return post.comments_enabled


def may_list_likers(viewer: User | None, post: Post) -> bool:
    """Whether the viewer may list a visible post's likers: when the author hid the like count,
    only the author may (the list would give the count away)."""
    return not post.hide_like_count or (viewer is not None and viewer.id == post.author_id)


# --- comments -------------------------------------------------------------------------------------


def visible_comments(viewer: User | None) -> list[ColumnElement[bool]]:
    """Conditions on a comment list joined to its author (User): the author exists for the viewer,
    and the comment's moderation state shows it (held: to its author only); the post is checked
    apart."""
    return [*visible_accounts(viewer.id if viewer else None), comment_shown_to(viewer)]


def comment_thread_open(viewer: User | None) -> ColumnElement[bool]:
    """Condition on Comment: a top-level comment, or a reply whose thread's author is active and
    not blocked either way with the viewer."""
    parent = aliased(Comment)
    parent_author = aliased(User)
    thread_open = exists().where(
        parent.id == Comment.parent_id,
        parent_author.id == parent.author_id,
        parent_author.is_active,
        parent.moderation != "removed",
    )
    if viewer is not None:
        thread_open = thread_open.where(~blocked_between(viewer.id, parent_author.id))
    return or_(Comment.parent_id.is_(None), thread_open)


# --- media files ----------------------------------------------------------------------------------

MediaAccess = Literal["open", "signed", "staff", "hidden"]


def media_access(
    *, owner_active: bool, owner_private: bool, avatar: bool, removed: bool = False
) -> MediaAccess:
    """How a stored file may be fetched: by anyone, only through a signed URL (a private account's
    renditions), only through a URL signed for staff (the media of a post staff removed: URLs handed
    out before stop working at once, decision 0051), or not at all (its account is deactivated or
    being deleted, decision 0032). Avatars are shown to everyone, as the profile they belong to."""
    if not owner_active:
        return "hidden"
    if removed and not avatar:
        return "staff"
    return "signed" if owner_private and not avatar else "open"


async def media_file_access(db: AsyncSession, item_id: int | None, avatar_owner: int | None) -> MediaAccess:
    """`media_access` for a media item's rendition or an account's avatar, by id; a file of no
    known item or account is "open" (the storage then answers 404 if it is not there)."""
    if item_id is not None:
        removed = exists().where(
            PostMedia.media_id == MediaItem.id, Post.id == PostMedia.post_id, Post.moderation == "removed"
        )
        query = (
            select(User.is_private, User.is_active, removed.label("removed"))
            .join(MediaItem, MediaItem.owner_id == User.id)
            .where(MediaItem.id == item_id)
        )
    elif avatar_owner is not None:
        query = select(User.is_private, User.is_active, false().label("removed")).where(
            User.id == avatar_owner
        )
    else:
        return "open"
    owner = (await db.execute(query)).first()
    if owner is None:
        return "open"
    return media_access(
        owner_active=bool(owner.is_active),
        owner_private=bool(owner.is_private),
        avatar=item_id is None,
        removed=bool(owner.removed),
    )
