"""Request and response bodies of "your data". IDs travel as strings."""

from __future__ import annotations

from datetime import datetime

import msgspec

from viewfinder.privacy.models import DataExport


class DataExportOut(msgspec.Struct):
    """One request for the account's data."""

    id: str
    state: str
    """requested, building, ready or failed."""
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None
    """Until when a ready export can be downloaded (it is deleted then)."""
    size_bytes: int | None
    download_path: str | None
    """Where a ready export downloads from (GET, logged in, in sudo mode); null until ready."""

    @classmethod
    def of(cls, export: DataExport, api_prefix: str) -> DataExportOut:
        ready = export.state == "ready" and export.file_key is not None
        return cls(
            id=str(export.id),
            state=export.state,
            created_at=export.created_at,
            finished_at=export.finished_at,
            expires_at=export.expires_at,
            size_bytes=export.size_bytes,
            download_path=f"{api_prefix}/accounts/data-exports/{export.id}/download" if ready else None,
        )


class DataExportList(msgspec.Struct):
    """What the "Your data" settings show: the exports, and what the next actions need."""

    items: list[DataExportOut]
    """The account's exports that have not expired, newest first."""
    deletion_grace_days: int
    """Days between asking to delete the account and its deletion (POST /accounts/me/delete)."""
    reauthenticated_until: datetime | None
    """Until when this session may download without entering the password again (sudo mode);
    null when it must first (POST /accounts/reauthenticate), or for an API token, which cannot."""


class DeleteAccountRequest(msgspec.Struct, forbid_unknown_fields=True):
    now: bool = False
    """Delete at once rather than after the grace period (it cannot be undone)."""


class DeletionScheduledOut(msgspec.Struct):
    delete_after: datetime
    """When the account will be erased; logging in before then can cancel it (not with now)."""
