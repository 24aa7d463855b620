"""HTTP endpoints for uploading media items, following their processing, and removing unposted ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_204_NO_CONTENT

from viewfinder.accounts.auth import Viewer, ViewerDep
from viewfinder.core.deps import DbSession, SettingsDep
from viewfinder.core.openapi import errors
from viewfinder.core.params import parse_id
from viewfinder.detection import pdq
from viewfinder.detection.thresholds import in_force
from viewfinder.media import services
from viewfinder.media.schemas import MediaItemOut
from viewfinder.mediakit import signing
from viewfinder.mediakit.incoming import receive_upload
from viewfinder.mediakit.storage import MediaStorage, StorageDep
from viewfinder.settings import Settings

# The whole request, multipart framing included; photo_max_bytes and video_max_bytes apply to the
# file. Fits the default video_max_bytes (500 MiB) with room for the framing; a larger
# video_max_bytes is still capped here.
UPLOAD_REQUEST_LIMIT = 501 * 1024 * 1024
UPLOAD_FORM = Schema(
    type=OpenAPIType.OBJECT,
    required=["file"],
    properties={
        "file": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY, description="A photo or video."),
        "filter": Schema(
            type=OpenAPIType.STRING,
            default="normal",
            description="One of the named filters, baked into every rendition of a photo (videos take none).",
        ),
        "crop": Schema(
            type=OpenAPIType.STRING,
            description='Optional "left,top,width,height" in fractions (0 to 1) of the upright photo, '
            "turned by rotate when given (photos only).",
        ),
        "rotate": Schema(
            type=OpenAPIType.STRING,
            enum=["0", "90", "180", "270"],
            default="0",
            description="Degrees clockwise to turn the upright photo (after its EXIF orientation), before "
            "the crop (photos only).",
        ),
        "adjust": Schema(
            type=OpenAPIType.STRING,
            description='Optional "name=value" pairs separated by commas, e.g. "brightness=20,vignette=35", '
            "baked in after the filter: brightness, contrast, saturation and warmth take whole numbers "
            "from -100 to 100, fade and vignette from 0 to 100; a name left out is 0, each name at most "
            "once (photos only).",
        ),
    },
)


@dataclass
class UploadOperation(Operation):
    """The upload's OpenAPI operation, with its form: the handler reads the body itself (streamed,
    see media/incoming.py), so Litestar has no `data` parameter to describe it from."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True, content={"multipart/form-data": OpenAPIMediaType(schema=UPLOAD_FORM)}
        )


def _urls(storage: MediaStorage, settings: Settings, viewer: Viewer) -> MediaStorage:
    """The owner's own media, signed when their account is private (else the links would 403)."""
    return signing.urls_for(
        storage, settings.secret, settings.signed_url_ttl_seconds, private=viewer.user.is_private
    )


class MediaController(Controller):
    path = "/media"
    tags = ["media"]

    @post(
        "",
        status_code=HTTP_202_ACCEPTED,
        request_max_body_size=UPLOAD_REQUEST_LIMIT,
        operation_class=UploadOperation,
        opt=errors({451: "known_bad_media: the photo matches the instance's list of known-bad media"}),
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
    ) -> MediaItemOut:
        """Upload a photo (JPEG, PNG, WebP, HEIC, AVIF or still GIF) or a video (MP4, MOV or WebM;
        H.264, HEVC, VP8, VP9 or AV1) as the multipart field "file".

        Videos become upright H.264 MP4 renditions ("720", and "480" for larger sources) with
        poster renditions ("poster-1080" ... "poster-thumb"); filter, crop, rotate and adjust apply to
        photos only.
        Answers at once with the item in state "uploaded"; poll it until "ready" or "failed".
        A file that does not start like a photo or video is refused (415) before the rest of it is
        read, and one over the size limit (413) as soon as it passes it. A photo matching the
        instance's list of known-bad media (PDQ hashes) is refused with 451 (a video fails in
        processing with failure_code "known_bad_media").
        """
        async with receive_upload(
            request,
            folder=settings.data_dir / "incoming",
            file_field="file",
            text_fields=("filter", "crop", "rotate", "adjust"),
            max_bytes=max(settings.photo_max_bytes, settings.video_max_bytes),
        ) as received:
            item = await services.upload_media(
                db_session,
                storage,
                viewer.user,
                received.path,
                filter_name=received.fields.get("filter", "normal"),
                crop=services.parse_crop(received.fields.get("crop")),
                rotation=services.parse_rotation(received.fields.get("rotate")),
                adjustments=services.parse_adjustments(received.fields.get("adjust")),
                max_bytes=settings.photo_max_bytes,
                max_pixels=settings.max_image_pixels,
                video_max_bytes=settings.video_max_bytes,
                video_max_seconds=settings.video_max_seconds,
                known_bad=pdq.Limits.of(await in_force(db_session, settings)),
            )
        # Its processing was queued when it committed; in immediate mode (tests) it already ran:
        # show the state as it is now.
        await db_session.refresh(item)
        return MediaItemOut.of(item, _urls(storage, settings, viewer))

    @get("/{media_id:str}")
    async def item(
        self,
        media_id: FromPath[str],
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
    ) -> MediaItemOut:
        """One of your media items, with its state and, once ready, its renditions."""
        item = await services.get_own_media(db_session, viewer.user, parse_id(media_id))
        return MediaItemOut.of(item, _urls(storage, settings, viewer))

    @delete(
        "/{media_id:str}",
        status_code=HTTP_204_NO_CONTENT,
        opt=errors({409: "media_in_use: the item is in a post; delete the post"}),
    )
    async def remove(
        self, media_id: FromPath[str], viewer: ViewerDep, db_session: DbSession, storage: StorageDep
    ) -> None:
        """Delete one of your items that is in no post (an upload you gave up on), with its files.
        An item in a post answers 409 media_in_use: delete the post instead."""
        await services.delete_unposted_media(db_session, storage, viewer.user, parse_id(media_id))
