"""Staff endpoints of the queue (mounted under /api/viewfinder/v1/staff/cases), each guarded by
`require("reports.handle")` (moderation.guard)."""

from __future__ import annotations

import msgspec
from litestar import get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.core.deps import DbSession, SettingsDep
from viewfinder.core.openapi import errors
from viewfinder.core.pagination import Page
from viewfinder.core.params import PagingDep, parse_id
from viewfinder.engagement.models import Comment
from viewfinder.engagement.schemas import CommentOut
from viewfinder.mediakit import signing
from viewfinder.mediakit.storage import MediaStorage, StorageDep
from viewfinder.moderation import appeals, cases
from viewfinder.moderation.case_schemas import (
    AccountContext,
    ActionOut,
    AppealOut,
    CaseDetailOut,
    CaseOut,
    CaseReportOut,
    FlagOut,
    NoteCreate,
    NoteOut,
    TargetContext,
)
from viewfinder.moderation.guard import StaffDep, require
from viewfinder.moderation.models import ModerationCase
from viewfinder.posts.cards import render_entities, urls_for_author
from viewfinder.posts.models import Post
from viewfinder.posts.schemas import PostItemOut, PostOut
from viewfinder.settings import Settings

FORBIDDEN = "forbidden: your staff role lacks the permission"
GUARD = require("reports.handle")
QUEUE_SCOPE = "staff-cases"


def _case_id(case_id: str) -> int:
    return parse_id(case_id, "No such case.")


async def _outs(db: AsyncSession, found: list[ModerationCase]) -> list[CaseOut]:
    """The cases as listed (two more queries, whatever their number)."""
    reasons = await cases.reason_counts(db, [case.id for case in found])
    people = {case.target_owner_id for case in found} | {
        case.claimed_by_id for case in found if case.claimed_by_id is not None
    }
    users = await cases.users_by_id(db, people)
    return [CaseOut.of(case, reasons[case.id], users) for case in found]


@get("/staff/cases", tags=["staff"], dependencies=GUARD, opt=errors({403: FORBIDDEN}))
async def case_queue(staff: StaffDep, db_session: DbSession, paging: PagingDep) -> Page[CaseOut]:
    """Open cases, highest priority first (permission reports.handle)."""
    found = await cases.queue(db_session, paging.key(QUEUE_SCOPE), paging.limit + 1)
    return paging.page(QUEUE_SCOPE, await _outs(db_session, found[: paging.limit]), [c.id for c in found])


def _signed_for_staff(out: PostOut, settings: Settings) -> PostOut:
    """A removed post's media URLs, signed with the staff-only key: the only URLs that open them."""
    secret = signing.staff_secret(settings.secret)
    expires = signing.expiry(settings.signed_url_ttl_seconds)
    items = [
        PostItemOut(
            msgspec.structs.replace(
                item.media,
                renditions=[
                    msgspec.structs.replace(r, url=signing.sign_url(r.url.split("?", 1)[0], secret, expires))
                    for r in item.media.renditions
                ],
            ),
            item.alt_text,
        )
        for item in out.items
    ]
    return msgspec.structs.replace(out, items=items)


async def _rendered(
    db: AsyncSession, staff: User, post: Post, author: User, storage: MediaStorage, settings: Settings
) -> PostOut | None:
    shown = await render_entities(db, staff, [(post, author)], storage, settings)
    if not shown:
        return None
    return _signed_for_staff(shown[0], settings) if post.moderation == "removed" else shown[0]


async def _target(
    db: AsyncSession, staff: User, case: ModerationCase, storage: MediaStorage, settings: Settings
) -> TargetContext:
    target_kind, target_id = case.target_kind, case.target_id
    if target_kind == "appeal":  # what the appealed action was taken against
        found = await appeals.appeal_of_case(db, case)
        if found is None:
            return TargetContext(deleted=True, post=None, comment=None, account=None)
        target_kind, target_id = found[1].target_kind, found[1].target_id
    owner = await db.get(User, case.target_owner_id)
    if owner is None:  # gone with its account
        return TargetContext(deleted=True, post=None, comment=None, account=None)
    owner_urls = urls_for_author(storage, settings, owner)
    if target_kind == "user":
        recent = await cases.recent_posts(db, staff, owner, storage, settings)
        return TargetContext(
            deleted=False, post=None, comment=None, account=AccountContext.of(owner, owner_urls, recent)
        )
    account = AccountContext.of(owner, owner_urls, [])
    if target_kind == "post":
        post = await db.get(Post, target_id)
        if post is None:
            return TargetContext(deleted=True, post=None, comment=None, account=account)
        shown = await _rendered(db, staff, post, owner, storage, settings)
        return TargetContext(deleted=False, post=shown, comment=None, account=account)
    comment = await db.get(Comment, target_id)
    if comment is None:
        return TargetContext(deleted=True, post=None, comment=None, account=account)
    on_post = await db.get(Post, comment.post_id)
    post_author = None if on_post is None else await db.get(User, on_post.author_id)
    shown_post = None
    if on_post is not None and post_author is not None:
        shown_post = await _rendered(db, staff, on_post, post_author, storage, settings)
    return TargetContext(
        deleted=False,
        post=shown_post,
        comment=CommentOut.of(comment, owner, owner_urls, liked=False),
        account=account,
    )


@get("/staff/cases/{case_id:str}", tags=["staff"], dependencies=GUARD, opt=errors({403: FORBIDDEN}))
async def case_detail(
    case_id: FromPath[str], staff: StaffDep, db_session: DbSession, storage: StorageDep, settings: SettingsDep
) -> CaseDetailOut:
    """A case with its target in context (the post with its author and media, the comment and its
    post, or the account with its recent posts), its reports, the staff's notes and the other
    cases about the same account (permission reports.handle)."""
    case = await cases.get_case(db_session, _case_id(case_id))
    found = await cases.case_file(db_session, case)
    target = await _target(db_session, staff.user, case, storage, settings)
    listed = await _outs(db_session, [case, *found.earlier_cases])
    taken = await appeals.case_actions(db_session, case.id)
    appealed = await appeals.appeal_of_case(db_session, case)
    acts = [*taken, *([appealed[1]] if appealed else [])]
    people = {r.reporter_id for r in found.reports} | {n.author_id for n in found.notes}
    people |= {a.target_owner_id for a in acts} | {a.actor_id for a in acts if a.actor_id is not None}
    users = await cases.users_by_id(db_session, people)
    return CaseDetailOut(
        case=listed[0],
        target=target,
        reports=[CaseReportOut.of(report, users) for report in found.reports],
        notes=[NoteOut.of(note, users) for note in found.notes],
        earlier_cases=listed[1:],
        actions=[ActionOut.of(action, users) for action in taken],
        appeal=None if appealed is None else AppealOut.of(appealed[0], ActionOut.of(appealed[1], users)),
        flags=[FlagOut.of(entry) for entry in found.flags],
    )


CLAIMED = {409: "case_claimed: another staff member holds the case; case_closed: it is closed"}


@post(
    "/staff/cases/{case_id:str}/claim",
    status_code=HTTP_200_OK,
    tags=["staff"],
    dependencies=GUARD,
    opt=errors({403: FORBIDDEN, **CLAIMED}),
)
async def claim_case(case_id: FromPath[str], staff: StaffDep, db_session: DbSession) -> CaseOut:
    """Take the case, so no other moderator does (409 while someone else holds it). Audited."""
    case = await cases.claim(db_session, staff.user, _case_id(case_id))
    return (await _outs(db_session, [case]))[0]


@post(
    "/staff/cases/{case_id:str}/release",
    status_code=HTTP_200_OK,
    tags=["staff"],
    dependencies=GUARD,
    opt=errors({403: FORBIDDEN, 409: "case_claimed: another staff member holds the case"}),
)
async def release_case(case_id: FromPath[str], staff: StaffDep, db_session: DbSession) -> CaseOut:
    """Let go of your claim on the case. Audited."""
    case = await cases.release(db_session, staff.user, _case_id(case_id))
    return (await _outs(db_session, [case]))[0]


@post(
    "/staff/cases/{case_id:str}/notes",
    status_code=HTTP_201_CREATED,
    tags=["staff"],
    dependencies=GUARD,
    opt=errors({403: FORBIDDEN}),
)
async def add_note(
    case_id: FromPath[str], data: JSONBody[NoteCreate], staff: StaffDep, db_session: DbSession
) -> NoteOut:
    """Leave a note on the case for other staff."""
    note = await cases.add_note(db_session, staff.user, _case_id(case_id), data.text)
    return NoteOut.of(note, {staff.user.id: staff.user})


ROUTES: list[ControllerRouterHandler] = [case_queue, case_detail, claim_case, release_case, add_note]
