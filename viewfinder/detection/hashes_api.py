"""Staff endpoints of the known-bad media list (mounted under /api/viewfinder/v1): see it, import a
ThreatExchange-style CSV and delete a hash (permission rules.manage, like the keyword and link
rules), and add the hashes of a removed post's media with one click (content.act, the permission
that removed it). Every write goes through `viewfinder.detection.pdq` and is audited there."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import delete, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from litestar.types import ControllerRouterHandler
from sqlalchemy import func, select

from viewfinder.core.deps import DbSession, SettingsDep
from viewfinder.core.errors import ApiError, not_found
from viewfinder.core.openapi import errors
from viewfinder.core.params import parse_id
from viewfinder.detection import pdq
from viewfinder.detection.models import KnownBadHash
from viewfinder.detection.thresholds import in_force
from viewfinder.mediakit.storage import StorageDep
from viewfinder.moderation.guard import StaffDep, require
from viewfinder.posts.models import Post

FORBIDDEN = "forbidden: your staff role lacks the permission"
LIST_GUARD = require("rules.manage")
POST_GUARD = require("content.act")
LISTED_SHOWN = 100


class HashImport(msgspec.Struct, forbid_unknown_fields=True):
    source: Annotated[str, msgspec.Meta(min_length=1, max_length=pdq.MAX_SOURCE)]
    """The list's name, kept with each hash (e.g. "threatexchange-2026-12")."""
    csv: str
    """The list in ThreatExchange's CSV layout: hash (64 hex digits), quality (0-100), label; one
    a line, an optional header line. A bad line refuses the whole file (422 naming the line)."""


class ImportOut(msgspec.Struct):
    added: int
    already_listed: int
    below_quality: int
    """Of those added, how many are below the minimum quality: kept, but never matched."""

    @classmethod
    def of(cls, result: pdq.ImportResult) -> ImportOut:
        return cls(result.added, result.already_listed, result.below_quality)


class HashOut(msgspec.Struct):
    id: str
    hash: str
    quality: int
    label: str
    source: str
    added_by_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: KnownBadHash) -> HashOut:
        added_by = None if row.added_by_id is None else str(row.added_by_id)
        return cls(str(row.id), row.hash, row.quality, row.label, row.source, added_by, row.created_at)


class HashList(msgspec.Struct):
    total: int
    matchable: int
    """Hashes of at least the minimum quality: those an upload is matched against."""
    items: list[HashOut]
    """The newest 100."""


class PostHashesOut(msgspec.Struct):
    added: int
    already_listed: int
    below_quality: int
    hashes: list[str]


@get("/staff/known-bad-hashes", tags=["staff"], dependencies=LIST_GUARD, opt=errors({403: FORBIDDEN}))
async def list_hashes(staff: StaffDep, db_session: DbSession, settings: SettingsDep) -> HashList:
    """The known-bad media list: how many hashes, how many are matched, the newest 100
    (permission rules.manage)."""
    total = await db_session.scalar(select(func.count(KnownBadHash.id)))
    min_quality = (await in_force(db_session, settings)).pdq_min_quality
    matchable = await db_session.scalar(
        select(func.count(KnownBadHash.id)).where(KnownBadHash.quality >= min_quality)
    )
    newest = await db_session.scalars(
        select(KnownBadHash).order_by(KnownBadHash.id.desc()).limit(LISTED_SHOWN)
    )
    return HashList(int(total or 0), int(matchable or 0), [HashOut.of(row) for row in newest])


@post(
    "/staff/known-bad-hashes/import",
    status_code=HTTP_201_CREATED,
    tags=["staff"],
    dependencies=LIST_GUARD,
    opt=errors({403: FORBIDDEN, 422: "bad_hash_list: a line of the CSV is wrong (the message names it)"}),
)
async def import_hashes(
    data: JSONBody[HashImport], staff: StaffDep, db_session: DbSession, settings: SettingsDep
) -> ImportOut:
    """Import a hash list (ThreatExchange CSV: hash, quality, label), all or nothing; hashes already
    listed are skipped. Uploads matching it are refused from the next upload on, in every process.
    A request body may hold up to 2 MB (about 25,000 hashes): import larger lists with
    `viewfinder ml import-hashes FILE`. Audited as hashes.imported."""
    min_quality = (await in_force(db_session, settings)).pdq_min_quality
    result = await pdq.import_hashes(
        db_session, data.csv, source=data.source, actor_id=staff.user.id, min_quality=min_quality
    )
    return ImportOut.of(result)


@delete(
    "/staff/known-bad-hashes/{hash_id:str}",
    status_code=HTTP_204_NO_CONTENT,
    tags=["staff"],
    dependencies=LIST_GUARD,
    opt=errors({403: FORBIDDEN}),
)
async def delete_hash(hash_id: FromPath[str], staff: StaffDep, db_session: DbSession) -> None:
    """Take a hash off the list. Audited as hashes.deleted."""
    if not await pdq.delete_hash(db_session, parse_id(hash_id, "No such hash."), staff.user.id):
        raise not_found("No such hash.")


@post(
    "/staff/posts/{post_id:str}/known-bad-hashes",
    status_code=HTTP_201_CREATED,
    tags=["staff"],
    dependencies=POST_GUARD,
    opt=errors({403: FORBIDDEN, 409: "not_removed: remove the post first (action remove_content)"}),
)
async def add_post_hashes(
    post_id: FromPath[str],
    staff: StaffDep,
    db_session: DbSession,
    storage: StorageDep,
    settings: SettingsDep,
) -> PostHashesOut:
    """One click after removing a post: add the PDQ hashes of its media (each photo, each video's
    keyframes) to the known-bad list, so copies of them are refused at upload (permission
    content.act). Only a removed post's media may be listed. Audited as hashes.added."""
    found = await db_session.get(Post, parse_id(post_id, "No such post."))
    if found is None:
        raise not_found("No such post.")
    if found.moderation != "removed":
        raise ApiError(409, "not_removed", "Only a removed post's media can be listed; remove it first.")
    hashes = await pdq.post_media_hashes(db_session, storage, found.id)
    result = await pdq.add_hashes(
        db_session,
        hashes,
        source=f"post {found.id}",
        label=f"removed post {found.id}",
        actor_id=staff.user.id,
        target_id=found.id,
        min_quality=(await in_force(db_session, settings)).pdq_min_quality,
    )
    return PostHashesOut(result.added, result.already_listed, result.below_quality, [h.hex for h in hashes])


ROUTES: list[ControllerRouterHandler] = [list_hashes, import_hashes, delete_hash, add_post_hashes]
