"""Events of the media domain (core.events), emitted by media.services."""

from __future__ import annotations

from viewfinder.core.events import Event


class MediaUploaded(Event, frozen=True):
    """An upload was stored and waits, in state "uploaded", to be processed."""

    media_id: int
    owner_id: int
