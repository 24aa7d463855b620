"""Every staff action on a case goes through `take_action` (docs/decisions/0051).

An action closes its case and the case's reports (dismiss: "dismissed"; anything else: "actioned"),
is recorded as a `ModerationAction` (an account's strikes are its actions with `strike` set) and in
the audit log (`action.<kind>`, with the target's state before and after), tells the account acted
against what and why (not for a dismissal) and each reporter the outcome, all in one transaction.

- dismiss (reports.handle): nothing changes but the case, except that content a rule held for
  review is shown (held -> visible: staff found nothing wrong with it).
- remove_content (content.act): the post or comment is shown to no one (`moderation = "removed"`,
  policy.content_shown_to), its author included; reversible (an appeal restores it). A removed
  comment leaves its post's comment count; a removed post's media need a staff-signed URL.
- mark_sensitive (content.act): the post's media are shown behind a tap-to-view warning.
- restrict, limit, suspend, ban (accounts.act): the account behind the target, through
  moderation.enforcement.
- delete (content.act for a post or comment, accounts.act for an account): through the deletion
  services their owners use (posts, engagement, privacy's account deletion); not reversible.

Rules: the case must be open (409 `case_closed`), not held by another moderator (409
`case_claimed`), not one the moderator is excluded from (409 `case_excluded`: an appeal against
their own action); a target already gone allows only a dismissal (409 `target_deleted`); bad
combinations are a 422 `bad_action`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.core.db import move_counters, utcnow
from viewfinder.core.errors import ApiError
from viewfinder.core.events import emit
from viewfinder.core.ids import new_id
from viewfinder.engagement.models import Comment
from viewfinder.mediakit.storage import MediaStorage
from viewfinder.moderation import audit, cases
from viewfinder.moderation.enforcement import apply_account_action
from viewfinder.moderation.events import ActionTaken, ReportsResolved
from viewfinder.moderation.guard import Staff, forbidden
from viewfinder.moderation.models import (
    ActionKind,
    ModerationAction,
    ModerationCase,
    Report,
    ReportTarget,
)
from viewfinder.moderation.roles import Permission
from viewfinder.posts.models import Post
from viewfinder.posts.services import announce_released_post, move_posts_count

ACCOUNT_KINDS: frozenset[str] = frozenset({"restrict", "limit", "suspend", "ban"})
CONTENT_KINDS: frozenset[str] = frozenset({"remove_content", "mark_sensitive"})
NOT_APPEALABLE: frozenset[str] = frozenset({"dismiss", "delete"})
"""A dismissal takes nothing away; a deletion cannot be given back."""
REASON_MAX = 2000


def permission_for(kind: str, target_kind: str) -> Permission:
    """The permission an action needs: a dismissal reports.handle, content actions (and deleting a
    post or comment) content.act, account actions (and deleting an account) accounts.act."""
    if kind == "dismiss":
        return "reports.handle"
    if kind in ACCOUNT_KINDS or (kind == "delete" and target_kind == "user"):
        return "accounts.act"
    return "content.act"


@dataclass(frozen=True)
class ActionRequest:
    kind: ActionKind
    reason: str = ""
    policy: str = ""
    strike: bool = False
    duration_hours: int | None = None


def bad_action(message: str, field: str = "action") -> ApiError:
    return ApiError(422, "bad_action", message, {field: message})


def _closed() -> ApiError:
    return ApiError(409, "case_closed", "This case is closed.")


def _excluded() -> ApiError:
    return ApiError(409, "case_excluded", "You took the action appealed against: another moderator decides.")


def _validate(request: ActionRequest) -> None:
    if request.kind != "dismiss" and not request.reason.strip():
        raise bad_action("Give the reason the account will be shown.", "reason")
    if len(request.reason) > REASON_MAX:
        raise bad_action(f"At most {REASON_MAX} characters.", "reason")
    if request.kind == "dismiss" and request.strike:
        raise bad_action("A dismissal carries no strike.", "strike")
    if request.kind == "suspend" and request.duration_hours is None:
        raise bad_action("Say how long the suspension lasts.", "duration_hours")
    if request.kind != "suspend" and request.duration_hours is not None:
        raise bad_action("Only a suspension has a duration.", "duration_hours")


@dataclass
class Target:
    """The thing a case is about, as found now (None when it is gone)."""

    kind: ReportTarget
    id: int
    owner_id: int
    post: Post | None = None
    comment: Comment | None = None
    owner: User | None = None

    @property
    def gone(self) -> bool:
        if self.owner is None:
            return True
        return (self.kind == "post" and self.post is None) or (
            self.kind == "comment" and self.comment is None
        )


async def find_target(db: AsyncSession, kind: ReportTarget, target_id: int, owner_id: int) -> Target:
    target = Target(kind, target_id, owner_id, owner=await db.get(User, owner_id))
    if kind == "post":
        target.post = await db.get(Post, target_id)
    elif kind == "comment":
        target.comment = await db.get(Comment, target_id)
    return target


def check_case_open_to(case: ModerationCase, staff: User) -> None:
    """409s for a case the moderator may not act on now."""
    if case.status != "open":
        raise _closed()
    if case.excluded_moderator_id == staff.id:
        raise _excluded()
    if case.claimed_by_id is not None and case.claimed_by_id != staff.id:
        raise ApiError(409, "case_claimed", "Another staff member is handling this case.")


async def close_case(
    db: AsyncSession, staff: User, case: ModerationCase, outcome: Literal["actioned", "dismissed"]
) -> list[int]:
    """Close the open case (and its reports) with this outcome, unless someone else got there first
    (409); returns the reporters to tell. No commit."""
    now = utcnow()
    closed = await db.execute(
        update(ModerationCase)
        .where(
            ModerationCase.id == case.id,
            ModerationCase.status == "open",
            or_(ModerationCase.claimed_by_id.is_(None), ModerationCase.claimed_by_id == staff.id),
        )
        .values(status=outcome, resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(closed, "rowcount", 0) != 1:
        await db.rollback()
        await db.refresh(case)
        check_case_open_to(case, staff)
        raise _closed()
    case.status, case.resolved_at = outcome, now
    reporters = await cases.case_reporters(db, case.id)
    await db.execute(
        update(Report)
        .where(Report.case_id == case.id, Report.status == "open")
        .values(status=outcome, resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    # Their trust changed: their other open cases are rescored once this commits (ReportsResolved,
    # moderation.subscribers), not on the moderator's request.
    return reporters


def _content_state(target: Target) -> dict[str, Any]:
    if target.post is not None:
        return {"moderation": target.post.moderation, "sensitive": target.post.sensitive}
    if target.comment is not None:
        return {"moderation": target.comment.moderation}
    return {}


COUNTED = "visible"
"""The comment state its post's comment count and its thread's reply count include (engagement)."""


async def set_comment_state(db: AsyncSession, comment: Comment, state: str) -> None:
    """Move a comment to a moderation state, keeping its post's and thread's counts to the comments
    others see (a held or removed one is not counted). No commit."""
    step = int(state == COUNTED) - int(comment.moderation == COUNTED)
    comment.moderation = state
    if step:
        await db.execute(
            move_counters(Post, comment_count=step)
            .where(Post.id == comment.post_id)
            .execution_options(synchronize_session=False)
        )
        if comment.parent_id is not None:
            await db.execute(
                update(Comment)
                .where(Comment.id == comment.parent_id)
                .values(reply_count=Comment.reply_count + step)
                .execution_options(synchronize_session=False)
            )


async def set_post_state(
    db: AsyncSession, post: Post, *, moderation: str | None = None, sensitive: bool | None = None
) -> None:
    """Change a post's moderation state or sensitive flag, keeping its author's posts_count to the
    posts others see (posts.services.move_posts_count); its `updated_at` moves with it, so every
    cached card of it is left behind (posts.cards keys cards by that version). No commit."""
    if moderation is not None:
        await move_posts_count(db, post.author_id, post.moderation, moderation)
        post.moderation = moderation
    if sensitive is not None:
        post.sensitive = sensitive
    post.updated_at = utcnow()


async def take_action(
    db: AsyncSession, staff: Staff, case_id: int, request: ActionRequest, storage: MediaStorage
) -> tuple[ModerationAction, ModerationCase]:
    """Do what the moderator asked about the case, and commit (see the module's docstring)."""
    _validate(request)
    case = await cases.get_case(db, case_id)
    if case.target_kind == "appeal":
        raise bad_action("An appeal is decided, not acted on: POST /staff/cases/{id}/appeal.")
    target_kind: ReportTarget = case.target_kind
    kind = request.kind
    permission = permission_for(kind, target_kind)
    if not staff.may(permission):
        raise forbidden(permission)
    if kind == "mark_sensitive" and target_kind != "post":
        raise bad_action("Only a post's media can be marked sensitive.")
    if kind == "remove_content" and target_kind not in ("post", "comment"):
        raise bad_action("Remove content takes a post or a comment; act on the account instead.")
    check_case_open_to(case, staff.user)
    target = await find_target(db, target_kind, case.target_id, case.target_owner_id)
    if kind != "dismiss" and target.gone:
        raise ApiError(409, "target_deleted", "What this case is about no longer exists: dismiss the case.")
    if kind == "remove_content" and _content_state(target).get("moderation") == "removed":
        raise ApiError(409, "already_removed", "This content is already removed.")

    reporters = await close_case(db, staff.user, case, "dismissed" if kind == "dismiss" else "actioned")
    acted_on: ReportTarget = "user" if kind in ACCOUNT_KINDS else target_kind
    until = (
        utcnow() + timedelta(hours=request.duration_hours)
        if kind == "suspend" and request.duration_hours
        else None
    )
    action = ModerationAction(
        id=new_id(),
        case_id=case.id,
        actor_id=staff.user.id,
        kind=kind,
        target_kind=acted_on,
        target_id=case.target_owner_id if acted_on == "user" else case.target_id,
        target_owner_id=case.target_owner_id,
        reason=request.reason.strip(),
        policy=request.policy.strip(),
        strike=request.strike,
        until=until,
        created_at=utcnow(),
    )
    db.add(action)

    before: dict[str, Any] = _content_state(target)
    after: dict[str, Any] = dict(before)
    if kind == "dismiss" and before.get("moderation") == "held":
        await _approve(db, target)  # a rule held it, and staff found nothing wrong
        after = _content_state(target)
    elif kind == "remove_content":
        if target.post is not None:
            await set_post_state(db, target.post, moderation="removed")
        elif target.comment is not None:
            await set_comment_state(db, target.comment, "removed")
        after = _content_state(target)
    elif kind == "mark_sensitive" and target.post is not None:
        await set_post_state(db, target.post, sensitive=True)
        after = _content_state(target)
    elif kind in ACCOUNT_KINDS:
        assert target.owner is not None
        before, after = await apply_account_action(db, target.owner, kind, until)  # type: ignore[arg-type]
    elif kind == "delete":
        before, after = {"exists": True}, {"exists": False}

    audit.record(
        db,
        actor_id=staff.user.id,
        action=f"action.{kind}",
        target_kind=acted_on,
        target_id=action.target_id,
        before=before or None,
        after=after or None,
        reason=action.reason,
    )
    if kind != "dismiss":
        await emit(
            db,
            ActionTaken(
                action_id=action.id,
                kind=kind,
                target_kind=acted_on,
                account_id=case.target_owner_id,
                reason=action.reason,
                policy=action.policy,
                strike=action.strike,
            ),
        )
    reporter_ids = tuple(r for r in reporters if r != case.target_owner_id)
    if reporter_ids:
        await emit(
            db,
            ReportsResolved(
                case_id=case.id,
                reporter_ids=reporter_ids,
                outcome="dismissed" if kind == "dismiss" else "actioned",
            ),
        )
    await db.flush()
    if kind == "delete":
        # As they are now: an account's erasure may take them with it before the answer is made.
        db.expunge(action)
        db.expunge(case)
        await _delete(db, target, storage)  # commits everything above with the deletion
        return action, case
    await db.commit()
    await db.refresh(action)
    await db.refresh(case)
    return action, case


async def _approve(db: AsyncSession, target: Target) -> None:
    """Show a held post or comment to everyone who may see it (no commit): a held comment is
    counted and its notifications go out then, as when its post's author approves it (one whose
    author and the post's author have blocked each other since stays held)."""
    from viewfinder.engagement.services import publish_held_comment

    if target.post is not None:
        await set_post_state(db, target.post, moderation="visible")
        await announce_released_post(db, target.post)  # its mentions were not told while it was held
    elif target.comment is not None:
        post_author_id = await db.scalar(select(Post.author_id).where(Post.id == target.comment.post_id))
        if post_author_id is None:
            await set_comment_state(db, target.comment, "visible")
        else:
            await publish_held_comment(db, target.comment, post_author_id)


async def _delete(db: AsyncSession, target: Target, storage: MediaStorage) -> None:
    """Delete the target through the service its owner would use; that service commits the
    action's rows with the deletion."""
    # Here, not at the top: these services import much of the app.
    from viewfinder.engagement.services import delete_comment
    from viewfinder.posts.services import delete_post
    from viewfinder.privacy.models import AccountClosure
    from viewfinder.privacy.services import schedule_deletion

    assert target.owner is not None
    if target.kind == "post":
        await delete_post(db, storage, target.owner, target.id)
    elif target.kind == "comment":
        await delete_comment(db, target.owner, target.id)
    else:
        closure = await db.get(AccountClosure, target.owner.id)
        if closure is not None:  # closed by its owner: the staff's deletion takes over
            await db.delete(closure)
            await db.flush()
        await schedule_deletion(db, target.owner, grace=timedelta(0))
