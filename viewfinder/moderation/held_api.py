"""Held comments (a restricted account's, until approved; docs/decisions/0052): the post's author,
or staff allowed to act on content, lists and approves them. Mounted under /api/viewfinder/v1."""

from __future__ import annotations

from litestar import get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_204_NO_CONTENT
from litestar.types import ControllerRouterHandler

from viewfinder.accounts.auth import ViewerDep
from viewfinder.accounts.models import User
from viewfinder.core.deps import DbSession
from viewfinder.core.openapi import errors
from viewfinder.core.pagination import Page
from viewfinder.core.params import PagingDep, parse_id
from viewfinder.engagement import services as engagement
from viewfinder.engagement.schemas import CommentOut
from viewfinder.mediakit.storage import StorageDep
from viewfinder.moderation.roles import permissions_of

NOT_YOURS = "forbidden: only the post's author (or staff who act on content) may"


def _as_staff(user: User) -> bool:
    """Whether the viewer reviews held comments as staff (any post's, any held comment)."""
    return "content.act" in permissions_of(user.role)


def _id(value: str, message: str) -> int:
    return parse_id(value, message)


@get("/posts/{post_id:str}/comments/held", tags=["engagement"], opt=errors({403: NOT_YOURS}))
async def held_comments(
    post_id: FromPath[str], viewer: ViewerDep, db_session: DbSession, storage: StorageDep, paging: PagingDep
) -> Page[CommentOut]:
    """The post's held comments (replies included), oldest first: those of restricted accounts, for
    the post's author; every held one, for staff with content.act. Nobody else sees them but their
    authors."""
    key = _id(post_id, "No such post.")
    scope = f"held:{key}"
    rows = await engagement.held_comments(
        db_session,
        viewer.user,
        key,
        as_staff=_as_staff(viewer.user),
        after=paging.key(scope),
        limit=paging.limit,
    )
    items = [CommentOut.of(comment, author, storage, liked=False) for comment, author in rows[: paging.limit]]
    return paging.page(scope, items, [comment.id for comment, _ in rows])


@post(
    "/comments/{comment_id:str}/approve",
    status_code=HTTP_204_NO_CONTENT,
    tags=["engagement"],
    opt=errors(
        {
            403: NOT_YOURS,
            404: "not_found: no such held comment you may review",
            409: "authors_blocked: its author and the post's author blocked each other (staff)",
        }
    ),
)
async def approve_comment(comment_id: FromPath[str], viewer: ViewerDep, db_session: DbSession) -> None:
    """Show a held comment to everyone who may see its post: it is counted, and the post's author,
    the thread's author and the accounts it mentions are told now. A comment whose author and the
    post's author have blocked each other since it was held stays held (as a new comment could
    not be written): 404 for the post's author, 409 `authors_blocked` for staff."""
    key = _id(comment_id, "No such held comment.")
    await engagement.approve_comment(db_session, viewer.user, key, as_staff=_as_staff(viewer.user))


ROUTES: list[ControllerRouterHandler] = [held_comments, approve_comment]
