"""Request and response bodies of the email endpoints: confirming an address, changing it, undoing a
change, and resetting a forgotten password."""

from __future__ import annotations

from typing import Annotated

import msgspec

from viewfinder.accounts.schemas import Email, Password

LinkToken = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
"""The token of an emailed link (the part after #token= in its address)."""


class EmailLinkRequest(msgspec.Struct, forbid_unknown_fields=True):
    token: LinkToken


class AddressConfirmedOut(msgspec.Struct):
    email: str
    """The account's address, now confirmed."""
    changed: bool
    """The link changed the account's address to this one (else it confirmed the one it had)."""


class EmailChangeRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    """The new address; a link goes to it, and the change happens when it is opened."""


class EmailChangeOut(msgspec.Struct):
    pending_email: str
    """Where the link went (normalised); the account's address is unchanged until it is opened."""
    expires_in_hours: int


class EmailRevertRequest(msgspec.Struct, forbid_unknown_fields=True):
    token: LinkToken
    new_password: Password


class EmailRevertedOut(msgspec.Struct):
    email: str
    """The address the account has again."""


class PasswordResetRequest(msgspec.Struct, forbid_unknown_fields=True):
    login: Annotated[str, msgspec.Meta(min_length=1, max_length=254)]
    """A username or an email address, as at log-in."""


class PasswordResetConfirmRequest(msgspec.Struct, forbid_unknown_fields=True):
    token: LinkToken
    new_password: Password
