"""Every email the accounts send, in one place: plain Python building a text body and the same in
simple HTML from one list of parts.

No message carries a secret other than its own single-use link: never a password, a full API
token or a code. Alerts say what happened, when (UTC), from which device (a summary of the user
agent) and which network address, and what to do if it was not the account's owner.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from viewfinder.accounts import security
from viewfinder.accounts.models import SecurityEvent, User
from viewfinder.core.mail import Message
from viewfinder.settings import Settings

# Web-app pages the links open; the token rides in the fragment, which browsers never send to a
# server (so it is in no access log or Referer).
VERIFY_PAGE = "/accounts/verify-email"
RESET_PAGE = "/accounts/password/reset"
FORGOT_PAGE = "/accounts/password/forgot"
REVERT_PAGE = "/accounts/email/revert"
SECURITY_PAGE = "/settings#security"


def link(settings: Settings, path: str, token: str) -> str:
    return f"{settings.page_url(path)}#token={token}"


_BROWSERS = (
    (re.compile(r"Edg(e|A|iOS)?/"), "Edge"),
    (re.compile(r"OPR/|Opera"), "Opera"),
    (re.compile(r"Firefox/|FxiOS/"), "Firefox"),
    (re.compile(r"Chrome/|CriOS/|Chromium/"), "Chrome"),
    (re.compile(r"Safari/"), "Safari"),
)
_SYSTEMS = (
    (re.compile(r"iPhone"), "iPhone"),
    (re.compile(r"iPad"), "iPad"),
    (re.compile(r"Android"), "Android"),
    (re.compile(r"Windows"), "Windows"),
    (re.compile(r"CrOS"), "ChromeOS"),
    (re.compile(r"Mac OS X|Macintosh"), "macOS"),
    (re.compile(r"Linux"), "Linux"),
)


def describe_device(user_agent: str) -> str:
    """ "Firefox on Linux" for a browser, the program's name ("curl/8.5") otherwise (as the web
    app's Security activity says it)."""
    browser = next((name for pattern, name in _BROWSERS if pattern.search(user_agent)), None)
    system = next((name for pattern, name in _SYSTEMS if pattern.search(user_agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system or ""
    return (user_agent.split() or ["Unknown device"])[0][:60]


def describe_time(moment: datetime) -> str:
    """ "Friday 4 December 2026, 21:05 UTC"."""
    return f"{moment:%A} {moment.day} {moment:%B %Y, %H:%M} UTC"


@dataclass(frozen=True)
class Letter:
    """The parts of one email; `render` makes its text and HTML."""

    subject: str
    greeting: str
    before: list[str]
    button: tuple[str, str] | None = None
    """(label, address) of the one thing to do, shown as a button with the address below it."""
    details: list[tuple[str, str]] = field(default_factory=list)
    after: list[str] = field(default_factory=list)


SIGNATURE = "— Viewfinder"
FOOTER = "You get this email because of your Viewfinder account. Replies to it are not read."


def render(to: str, letter: Letter) -> Message:
    text_parts = [letter.greeting, *letter.before]
    if letter.button:
        label, url = letter.button
        text_parts.append(f"{label}:\n{url}")
    if letter.details:
        text_parts.append("\n".join(f"{name}: {value}" for name, value in letter.details))
    text_parts += [*letter.after, SIGNATURE, FOOTER]

    def paragraph(text: str) -> str:
        return f'<p style="margin:0 0 16px">{html.escape(text)}</p>'

    body = [paragraph(letter.greeting), *map(paragraph, letter.before)]
    if letter.button:
        label, url = letter.button
        body.append(
            f'<p style="margin:24px 0"><a href="{html.escape(url)}" style="background:#0095f6;color:#fff;'
            'padding:10px 18px;border-radius:8px;text-decoration:none;font-weight:600">'
            f"{html.escape(label)}</a></p>"
            f'<p style="margin:0 0 16px;font-size:13px;color:#737373">Or open this address: '
            f"{html.escape(url)}</p>"
        )
    if letter.details:
        rows = "".join(
            f'<tr><td style="padding:2px 12px 2px 0;color:#737373">{html.escape(name)}</td>'
            f"<td>{html.escape(value)}</td></tr>"
            for name, value in letter.details
        )
        body.append(f'<table style="margin:0 0 16px;border-collapse:collapse">{rows}</table>')
    body += [*map(paragraph, letter.after), paragraph(SIGNATURE)]
    body.append(f'<p style="margin:24px 0 0;font-size:12px;color:#737373">{html.escape(FOOTER)}</p>')
    document = (
        '<!doctype html><html><body style="font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,'
        'sans-serif;font-size:15px;line-height:1.5;color:#262626;max-width:560px;margin:0 auto;padding:24px">'
        + "".join(body)
        + "</body></html>"
    )
    return Message(to=to, subject=letter.subject, text="\n\n".join(text_parts) + "\n", html=document)


def _hello(user: User) -> str:
    return f"Hi {user.username},"


def _where(settings: Settings, when: datetime, ip_address: str, user_agent: str) -> list[tuple[str, str]]:
    return [
        ("When", describe_time(when)),
        ("Device", describe_device(user_agent) if user_agent else "Unknown device"),
        ("Network address", ip_address or "unknown"),
    ]


def _if_not_you(settings: Settings) -> list[str]:
    return [
        "If this was you, there is nothing to do.",
        "If it was not, someone may know your password: reset it now at "
        f"{settings.page_url(FORGOT_PAGE)} — that logs out every session — and look through "
        f"your account's security activity at {settings.page_url(SECURITY_PAGE)}.",
    ]


# --- addresses ---------------------------------------------------------------------------------------


def verify_address(settings: Settings, user: User, token: str) -> Message:
    hours = settings.email_verification_hours
    return render(
        user.email,
        Letter(
            subject="Confirm your email address for Viewfinder",
            greeting=_hello(user),
            before=[f"Confirm that {user.email} is the address of your Viewfinder account {user.username}."],
            button=("Confirm your address", link(settings, VERIFY_PAGE, token)),
            after=[
                f"The link works once, for {hours} hours.",
                "If you did not sign up for Viewfinder, ignore this email: the address stays unconfirmed "
                "and you will not hear from us again about it.",
            ],
        ),
    )


def address_already_used_at_signup(settings: Settings, email: str, username: str) -> Message:
    """To the owner of an address someone else signed up with (the new account never gets it)."""
    return render(
        email,
        Letter(
            subject="Someone tried to sign up to Viewfinder with your email address",
            greeting="Hello,",
            before=[
                f"Someone just signed up for a Viewfinder account named {username} with this email address, "
                "which is already your account's. That account will not get your address: it cannot use it "
                "to log in, reset a password or receive mail.",
                "If it was you, you already have an account: log in with this address, or reset your "
                "password if you forgot it.",
            ],
            button=("Reset your password", settings.page_url(FORGOT_PAGE)),
            after=["If it was not you, there is nothing to do."],
        ),
    )


def confirm_new_address(settings: Settings, user: User, new_email: str, token: str) -> Message:
    hours = settings.email_verification_hours
    return render(
        new_email,
        Letter(
            subject="Confirm your new email address for Viewfinder",
            greeting=_hello(user),
            before=[
                f"You asked to change the email address of your Viewfinder account {user.username} to "
                f"{new_email}. Nothing changes until you open this link."
            ],
            button=("Use this address", link(settings, VERIFY_PAGE, token)),
            after=[
                f"The link works once, for {hours} hours.",
                "If you did not ask for this, ignore this email.",
            ],
        ),
    )


def address_already_used_for_change(settings: Settings, email: str) -> Message:
    """To the owner of an address another account asked to change to (nothing is changed)."""
    return render(
        email,
        Letter(
            subject="Someone tried to use your email address on Viewfinder",
            greeting="Hello,",
            before=[
                "Another Viewfinder account asked to change its email address to this one, which is "
                "already your account's. Nothing was changed: your address stays yours alone."
            ],
            after=["If it was you, change the address of the other account to a different one."],
        ),
    )


def email_changed(
    settings: Settings, user: User, event: SecurityEvent, old_email: str, token: str
) -> Message:
    """To the old address after a change, with the way back."""
    new_email = str(event.detail.get("new_email", ""))
    return render(
        old_email,
        Letter(
            subject="The email address of your Viewfinder account was changed",
            greeting=_hello(user),
            before=[
                f"The email address of your Viewfinder account {user.username} was changed from "
                f"{old_email} to {new_email}. Mail about the account now goes there."
            ],
            details=_where(settings, event.created_at, event.ip_address, event.user_agent),
            after=[
                "If this was you, there is nothing to do.",
                "If it was not, take your account back: the link below puts this address back, asks for a "
                "new password and logs everyone out. It works once, for 7 days.",
            ],
            button=("Secure your account", link(settings, REVERT_PAGE, token)),
        ),
    )


# --- the password ------------------------------------------------------------------------------------


def password_reset(
    settings: Settings, user: User, token: str, *, ip_address: str, user_agent: str, when: datetime
) -> Message:
    minutes = settings.password_reset_minutes
    return render(
        user.email,
        Letter(
            subject="Reset your Viewfinder password",
            greeting=_hello(user),
            before=[f"Someone asked to reset the password of your Viewfinder account {user.username}."],
            button=("Choose a new password", link(settings, RESET_PAGE, token)),
            details=_where(settings, when, ip_address, user_agent),
            after=[
                f"The link works once, for {minutes} minutes. Setting a new password logs out every "
                "session and revokes every API token; two-factor authentication stays on.",
                "If you did not ask for this, ignore this email: your password stays as it is.",
            ],
        ),
    )


# --- alerts ------------------------------------------------------------------------------------------


def _plural(count: Any, one: str, many: str) -> str:
    number = count if isinstance(count, int) else 0
    return f"{number} {one if number == 1 else many}"


def _alert_text(event: SecurityEvent) -> tuple[str, str] | None:
    """(subject, what happened) of an alert about this event, or None when it warrants none."""
    detail = event.detail
    name = str(detail.get("name", ""))
    method = {"totp": "an authenticator app", "passkey": "a passkey"}.get(str(detail.get("method")), "")
    match event.kind:
        case security.LOGIN_SUCCEEDED if detail.get("new_device") is True:
            return (
                "New log-in to your Viewfinder account",
                "Your account was logged in to from a device or network it had not been used from before.",
            )
        case security.PASSWORD_CHANGED:
            return (
                "Your Viewfinder password was changed",
                "The password of your account was changed; "
                f"{_plural(detail.get('sessions_ended'), 'other session was', 'other sessions were')} "
                "logged out and "
                f"{_plural(detail.get('tokens_revoked'), 'API token was', 'API tokens were')} revoked.",
            )
        case security.PASSWORD_RESET:
            return (
                "Your Viewfinder password was reset",
                "The password of your account was reset with a link sent to this address; every session "
                "was logged out and every API token revoked. Two-factor authentication stays as it was.",
            )
        case security.TOKEN_CREATED:
            return (
                "A new API token was made for your Viewfinder account",
                f"An API token named “{name}” was created. Whoever holds it can use your account through "
                "the API until it is revoked in Settings.",
            )
        case security.TWO_FACTOR_ENABLED:
            via = f" with {method}" if method else ""
            return (
                "Two-factor authentication is on for your Viewfinder account",
                f"Two-factor authentication was turned on{via}: logging in now asks for a second step.",
            )
        case security.TWO_FACTOR_DISABLED:
            return (
                "Two-factor authentication was turned off on your Viewfinder account",
                "Two-factor authentication was turned off: logging in asks for the password only.",
            )
        case security.RECOVERY_CODES_REGENERATED:
            return (
                "New recovery codes for your Viewfinder account",
                "A new set of recovery codes was made; the old ones no longer work.",
            )
        case security.RECOVERY_CODE_USED:
            return (
                "A recovery code was used on your Viewfinder account",
                "A recovery code was used instead of the second step; "
                f"{_plural(detail.get('remaining'), 'code is', 'codes are')} left.",
            )
        case security.PASSKEY_ADDED:
            return (
                "A passkey was added to your Viewfinder account",
                f"The passkey “{name}” was added: it can now log in to your account.",
            )
        case security.PASSKEY_REMOVED:
            return (
                "A passkey was removed from your Viewfinder account",
                f"The passkey “{name}” was removed: it can no longer log in to your account.",
            )
    return None


ALERT_KINDS = frozenset(
    {
        security.LOGIN_SUCCEEDED,
        security.PASSWORD_CHANGED,
        security.PASSWORD_RESET,
        security.TOKEN_CREATED,
        security.TWO_FACTOR_ENABLED,
        security.TWO_FACTOR_DISABLED,
        security.RECOVERY_CODES_REGENERATED,
        security.RECOVERY_CODE_USED,
        security.PASSKEY_ADDED,
        security.PASSKEY_REMOVED,
    }
)
"""Security-log kinds that may send an alert (a log-in only from a new device); the email change
has its own message, to the old address."""


def security_alert(settings: Settings, user: User, event: SecurityEvent, to: str) -> Message | None:
    """The alert about this event, or None when it warrants none."""
    described = _alert_text(event)
    if described is None:
        return None
    subject, happened = described
    return render(
        to,
        Letter(
            subject=subject,
            greeting=_hello(user),
            before=[happened],
            details=_where(settings, event.created_at, event.ip_address, event.user_agent),
            after=_if_not_you(settings),
        ),
    )
