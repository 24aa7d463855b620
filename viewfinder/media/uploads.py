"""HTTP endpoints for uploading media items and following their processing."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath, MultipartBody
from litestar.status_codes import HTTP_202_ACCEPTED

from viewfinder.accounts.auth import ViewerDep
from viewfinder.core.deps import DbSession, SettingsDep, StorageDep
from viewfinder.core.jobs import enqueue
from viewfinder.core.params import parse_id
from viewfinder.media import services
from viewfinder.media.schemas import MediaItemOut, MediaUpload
from viewfinder.media.tasks import process_media

# The whole request, multipart framing included; photo_max_bytes applies to the file.
UPLOAD_REQUEST_LIMIT = 64 * 1024 * 1024


class MediaController(Controller):
    path = "/media"
    tags = ["media"]

    @post("", status_code=HTTP_202_ACCEPTED, request_max_body_size=UPLOAD_REQUEST_LIMIT)
    async def upload(
        self,
        data: MultipartBody[MediaUpload],
        viewer: ViewerDep,
        db_session: DbSession,
        storage: StorageDep,
        settings: SettingsDep,
    ) -> MediaItemOut:
        """Upload a photo (JPEG, PNG, WebP, HEIC, AVIF or still GIF) as the multipart field "file".

        Answers at once with the item in state "uploaded"; poll it until "ready" or "failed".
        """
        upload = await data.file.read(settings.photo_max_bytes + 1)
        item = await services.upload_media(
            db_session,
            storage,
            viewer.user,
            upload,
            filter_name=data.filter,
            crop=services.parse_crop(data.crop),
            max_bytes=settings.photo_max_bytes,
            max_pixels=settings.max_image_pixels,
        )
        await enqueue(process_media, item.id)
        # In immediate mode (tests) the job already ran; show the state as it is now.
        await db_session.refresh(item)
        return MediaItemOut.of(item, storage)

    @get("/{media_id:str}")
    async def item(
        self, media_id: FromPath[str], viewer: ViewerDep, db_session: DbSession, storage: StorageDep
    ) -> MediaItemOut:
        """One of your media items, with its state and, once ready, its renditions."""
        item = await services.get_own_media(db_session, viewer.user, parse_id(media_id))
        return MediaItemOut.of(item, storage)
