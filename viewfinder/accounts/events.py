"""Events of the accounts domain (core.events), emitted by accounts.services."""

from __future__ import annotations

from viewfinder.core.events import Event


class ProfileChanged(Event, frozen=True):
    """Something others see of the account changed: display name, bio, website or avatar."""

    user_id: int


class AccountPrivacyChanged(Event, frozen=True):
    """The account went private or public (going public approved every pending request)."""

    user_id: int
    is_private: bool
