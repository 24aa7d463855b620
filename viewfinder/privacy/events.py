"""Events of "your data" (core.events), emitted by privacy.services."""

from __future__ import annotations

from viewfinder.core.events import Event


class ExportRequested(Event, frozen=True):
    """An account asked for a copy of its data: the export waits to be built."""

    export_id: int
    user_id: int


class AccountClosed(Event, frozen=True):
    """The account was deactivated or its deletion scheduled: it is hidden everywhere at once."""

    user_id: int


class ErasureScheduled(Event, frozen=True):
    """An account's deletion was scheduled; `erase_now` when it has no grace period."""

    user_id: int
    erase_now: bool
