"""Limits on password guessing (log-in and re-authentication), built so nobody can lock out another.

Three counters, each counted *before* the password is hashed (so parallel attempts cannot slip
past) and each in `login_failure_window_seconds` (15 minutes):

- per account **and** address: a hard limit (`login_failure_limit`, 10). Only that address is
  refused, with Retry-After until its window ends; a success clears it.
- per address, across accounts: a hard limit (`login_address_failure_limit`, 30) against password
  spraying. A success gives its count back, so it counts failures.
- per account, from anywhere: no wall, only a slow-down. After `login_account_free_failures` (5)
  attempts, an address the owner has not logged in from in the last 90 days may try the account
  only once per delay (1, 2, 4... seconds up to `login_account_delay_max_seconds`), answered as
  429 with a Retry-After of those few seconds. Addresses the owner used are not slowed, so the
  owner logs in at once however many addresses an attacker fails from.

See docs/decisions/0028-account-safety.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.accounts.security import address_was_used
from viewfinder.core.ratelimit import Limit, RateLimiter, too_many
from viewfinder.settings import Settings

MAX_DOUBLINGS = 16  # 2**16 seconds is far past any sensible ceiling; stops the power growing


@dataclass(frozen=True)
class PasswordAttempt:
    """One password attempt that was let through: report how it went."""

    limiter: RateLimiter
    pair_key: str
    address_key: str
    account_key: str

    async def succeeded(self) -> None:
        """The password was right: clear this address's count for the account and give the
        attempt back to the address and account counters (they count failures)."""
        await self.limiter.reset(self.pair_key)
        await self.limiter.refund(self.address_key)
        await self.limiter.refund(self.account_key)


class PasswordThrottle:
    """Counts and refuses password attempts (see the module docstring)."""

    def __init__(self, limiter: RateLimiter, settings: Settings) -> None:
        self.limiter = limiter
        self.settings = settings

    def delay_seconds(self, attempts: int) -> int:
        """How long the account's unknown addresses wait between attempts after `attempts`."""
        over = attempts - self.settings.login_account_free_failures
        return min(self.settings.login_account_delay_max_seconds, 1 << min(max(over - 1, 0), MAX_DOUBLINGS))

    async def reserve(
        self, db: AsyncSession, account: str, user: User | None, address: str
    ) -> PasswordAttempt:
        """Count one attempt on `account` (a user id, or the name tried when there is no such
        account) from `address`, or refuse with 429 before any hashing."""
        settings = self.settings
        window = settings.login_failure_window_seconds
        pair = Limit(f"login:pair:{account}:{address}", settings.login_failure_limit, window)
        per_address = Limit(f"login:ip:{address}", settings.login_address_failure_limit, window)
        await self.limiter.reserve([pair, per_address])
        attempt = PasswordAttempt(self.limiter, pair.key, per_address.key, f"login:account:{account}")

        attempts = await self.limiter.hit(attempt.account_key, window)
        if attempts <= settings.login_account_free_failures:
            return attempt
        if user is not None and await address_was_used(db, user.id, address):
            return attempt  # the owner's own address is never slowed down by others' failures
        delay = self.delay_seconds(attempts)
        slot = f"login:slow:{account}"
        if await self.limiter.hit(slot, delay) <= 1:
            return attempt  # the one attempt of this delay
        seconds = await self.limiter.retry_after(slot, settings.login_account_delay_max_seconds)
        for key in (attempt.pair_key, attempt.address_key, attempt.account_key):
            await self.limiter.refund(key)
        raise too_many(
            seconds,
            f"This account had many failed log-ins. Wait {seconds} seconds, then try again.",
        )
