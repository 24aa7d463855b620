"""What new text meets before it is written: the staff's keyword and link rules, and the limits on
new accounts (docs/decisions/0053-automatic-rules-and-new-account-limits.md).

One module, like `viewfinder.policy`, that every domain writing people's text calls: posts (captions,
new and edited), engagement (comments) and accounts (display name, bio and website). It imports only
core, settings, models and the spam model (`viewfinder.detection.spam`, which imports no more), so
calling it closes no cycle between packages; staff manage the rules in
`viewfinder.moderation.rules`, and a flag reaches the moderation queue through the `ContentFlagged`
event (`viewfinder.moderation.subscribers` opens or joins the target's case in the same transaction).

**Rules.** A rule is a keyword or a link (domain) with an action: `block` (the write is refused with
422 `content_blocked`, naming the field; nothing is written), `hold` (written, but seen by its author
alone until staff approve it; a case is opened), `flag` (published; a case is opened). When several
rules match, the gravest action wins (block > hold > flag).

- A keyword matches whole words, case-insensitively: text and pattern are compared after Unicode
  NFKC normalisation and case folding, and the match may not have a letter, digit or underscore
  just before or after it ("ass" does not match "class" or "assess"; it matches "ASS!" and
  its full-width form). A keyword of several words matches them separated by any whitespace.
- A link rule is a domain name; it matches every host name in the text that is that domain or one
  of its subdomains ("example.com" matches "https://www.example.com/x", "example.com/x" and
  "shop.example.com", not "notexample.com" or "example.community"). Host names are found with or
  without a scheme (spammers drop it); not after an `@` (an @mention or an e-mail address), except
  as the host of a URL with user information ("https://trusted.org@evil.example/"). Unicode names
  are compared in their IDNA (punycode) form.

**Spam.** The spam model (decision 0062) judges captions, comments, display names and bios too: a
score and reasons that its thresholds (`spam_*_threshold` in settings) turn into allow, flag, hold or
refuse (`block` here). Its verdict joins the rules' (the gravest wins) and its score and reasons
reach the case. Without a model file, the rules alone decide.

**Cache.** Rules are read on every caption, comment and profile write, so each process keeps them
compiled and re-reads them only when their version changes. The version is one cheap query: the
number (and the newest id) of rule changes in the append-only audit log, where `moderation.rules`
records every change in the change's own transaction. So a rule created, changed or deleted by any
web process applies to the very next write in every other process, with no shared cache to keep.

**New accounts.** For `new_account_days` after sign-up an account may write at most
`new_account_links_per_hour` links, `new_account_mentions_per_hour` mentions and
`new_account_follows_per_hour` follows an hour: past that, 429 `new_account_limit` with a
Retry-After. The counts are kept by the app's rate limiter (`core.ratelimit`: memory, file or Redis
store, atomic across processes), counted before the write and given back when it is refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts.models import User
from viewfinder.core.cache import ReadOnChange
from viewfinder.core.db import utcnow
from viewfinder.core.errors import ApiError
from viewfinder.core.events import Event, emit
from viewfinder.core.links import ascii_host, links_in
from viewfinder.core.ratelimit import Limit, RateLimiter
from viewfinder.detection import spam
from viewfinder.detection.spam import SpamVerdict
from viewfinder.moderation.models import AuditEntry, ModerationRule, RuleAction, RuleKind
from viewfinder.settings import Settings

Outcome = Literal["allow", "flag", "hold", "block"]
GRAVITY: Final[dict[str, int]] = {"allow": 0, "flag": 1, "hold": 2, "block": 3}
"""How grave each outcome is: the gravest matching rule decides."""
RULE_SCORES: Final[dict[str, float]] = {"flag": 0.5, "hold": 0.8}
"""The automated score a matching rule gives its case (0..1; see moderation.cases.SCORE_POINTS)."""
RULE_CHANGES: Final = ("rule.created", "rule.changed", "rule.deleted")
"""The audit actions of rule changes: their count is the rules' version."""
MAX_PATTERN: Final = 200


# --- text ------------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Text as rules compare it: NFKC-normalised (full-width and compatibility forms made plain)
    and case-folded (so "Straße" and "STRASSE" are alike)."""
    return unicodedata.normalize("NFKC", text).casefold()


def invalid_pattern(message: str) -> ApiError:
    return ApiError(422, "invalid_pattern", message, {"pattern": message})


def keyword_pattern(raw: str) -> str:
    """A keyword as stored: folded, its words separated by single spaces; 422 when there is no
    letter or digit in it (it could never match a whole word)."""
    words = fold(raw).split()
    pattern = " ".join(words)
    if not pattern:
        raise invalid_pattern("Write a word or a phrase.")
    if len(pattern) > MAX_PATTERN:
        raise invalid_pattern(f"Use at most {MAX_PATTERN} characters.")
    if not any(character.isalnum() for character in pattern):
        raise invalid_pattern("A keyword needs at least one letter or digit.")
    return pattern


def domain_pattern(raw: str) -> str:
    """A link rule's domain as stored ("example.com", lower-case, punycode); 422 for anything that
    is not a domain name (an address with a scheme or a path, a single label, an IP address)."""
    text = raw.strip()
    if text.startswith("*."):  # "every subdomain" is what a domain rule means anyway
        text = text[2:]
    host = ascii_host(text) if text and not re.search(r"[\s/:@?#]", text) else None
    if host is None:
        raise invalid_pattern("Give a domain name, like example.com (no https:// and no path).")
    return host


# --- the rules, compiled and cached ----------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """One rule that matched: its kind, pattern and action."""

    kind: RuleKind
    pattern: str
    action: RuleAction

    def describe(self) -> str:
        return f"{self.kind} rule “{self.pattern}” ({self.action})"


@dataclass(frozen=True)
class Verdict:
    """What the rules and the spam model say about a write: the outcome, the fields that decided
    it, every rule that matched and the spam model's verdict (where it had one)."""

    outcome: Outcome = "allow"
    fields: tuple[str, ...] = ()
    matches: tuple[Match, ...] = ()
    spam: SpamVerdict | None = None

    @property
    def blocked(self) -> bool:
        return self.outcome == "block"

    @property
    def held(self) -> bool:
        return self.outcome == "hold"

    @property
    def flagged(self) -> bool:
        """Staff must look at it: held or flagged."""
        return self.outcome in ("hold", "flag")

    @property
    def held_for_spam(self) -> bool:
        """Held by the spam model rather than by a rule (what its author is told)."""
        return self.held and self.spam is not None and self.spam.outcome == "hold"

    def score(self) -> float:
        """The automated score its case gets: the gravest rule's, or the spam score if higher."""
        rules = max((RULE_SCORES.get(match.action, 1.0) for match in self.matches), default=0.0)
        spam = self.spam.score if self.spam is not None and self.spam.outcome != "allow" else 0.0
        return max(rules, spam)

    def reason(self) -> str:
        reasons = [match.describe() for match in self.matches]
        if self.spam is not None and self.spam.outcome != "allow":
            reasons.append(self.spam.describe())
        return "; ".join(reasons)

    def with_spam(self, spam: SpamVerdict | None) -> Verdict:
        """This verdict and the spam model's together: the gravest outcome wins (the fields of
        both where they tie)."""
        if spam is None or spam.outcome == "allow":
            return self
        if GRAVITY[spam.outcome] > GRAVITY[self.outcome]:
            return Verdict(spam.outcome, (spam.field,), self.matches, spam)
        fields = self.fields
        if spam.outcome == self.outcome and spam.field not in fields:
            fields = (*fields, spam.field)
        return Verdict(self.outcome, fields, self.matches, spam)


ALLOW: Final = Verdict()


def _keyword_regex(patterns: list[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    # Longest first, so "bad word" is found before "bad" where both start.
    alternatives = "|".join(
        r"\s+".join(re.escape(word) for word in pattern.split())
        for pattern in sorted(patterns, key=len, reverse=True)
    )
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


@dataclass(frozen=True)
class RuleSet:
    """The enabled rules, compiled: one regular expression per keyword action, a dictionary of
    domains."""

    keywords: dict[RuleAction, re.Pattern[str]] = field(default_factory=dict)
    domains: dict[str, RuleAction] = field(default_factory=dict)

    @classmethod
    def of(cls, rules: list[tuple[RuleKind, str, RuleAction]]) -> RuleSet:
        by_action: dict[RuleAction, list[str]] = {}
        domains: dict[str, RuleAction] = {}
        for kind, pattern, action in rules:
            if kind == "keyword":
                by_action.setdefault(action, []).append(" ".join(fold(pattern).split()))
            elif GRAVITY[action] > GRAVITY[domains.get(pattern, "allow")]:
                domains[pattern] = action
        keywords = {
            action: regex
            for action, patterns in by_action.items()
            if (regex := _keyword_regex(patterns)) is not None
        }
        return cls(keywords, domains)

    def matches(self, text: str) -> list[Match]:
        """Every rule the text matches (a keyword once, however often it appears)."""
        found: dict[tuple[str, str], Match] = {}
        if self.keywords:
            folded = fold(text)
            for action, regex in self.keywords.items():
                for hit in regex.finditer(folded):
                    pattern = " ".join(hit.group(0).split())
                    found.setdefault(("keyword", pattern), Match("keyword", pattern, action))
        if self.domains:
            for link in links_in(text):
                labels = link.host.split(".")
                for start in range(len(labels) - 1):
                    domain = ".".join(labels[start:])
                    domain_action = self.domains.get(domain)
                    if domain_action is not None:
                        found.setdefault(("link", domain), Match("link", domain, domain_action))
        return list(found.values())

    def judge(self, texts: Mapping[str, str]) -> Verdict:
        """The verdict on a write of these fields (field name -> text)."""
        worst: Outcome = "allow"
        fields: list[str] = []
        matches: list[Match] = []
        for name, text in texts.items():
            found = self.matches(text) if text else []
            if not found:
                continue
            matches.extend(found)
            gravest: Outcome = max((m.action for m in found), key=GRAVITY.__getitem__)
            if GRAVITY[gravest] > GRAVITY[worst]:
                worst, fields = gravest, [name]
            elif gravest == worst:
                fields.append(name)
        if worst == "allow":
            return ALLOW
        return Verdict(worst, tuple(fields), tuple(matches))


_ENABLED = select(ModerationRule.kind, ModerationRule.pattern, ModerationRule.action).where(
    ModerationRule.enabled.is_(True)
)
_rules: ReadOnChange[RuleSet] = ReadOnChange(AuditEntry.version_of(RULE_CHANGES))
"""Per database: the rules compiled, read again when a rule changes."""


async def current_rules(db: AsyncSession) -> RuleSet:
    """The enabled rules, compiled once per version (one small query when nothing changed)."""

    async def build() -> RuleSet:
        rows = (await db.execute(_ENABLED)).tuples().all()
        return RuleSet.of([(kind, pattern, action) for kind, pattern, action in rows])

    return await _rules.get(db, build)


async def screen(db: AsyncSession, texts: Mapping[str, str], *, author: User | None = None) -> Verdict:
    """Judge a write of people's text (field name -> text) by the enabled rules and the spam model
    (viewfinder.detection.spam: captions, comments, display names and bios; `author`, the
    writing account, for its behaviour). The gravest outcome of the two wins."""
    if not any(texts.values()):
        return ALLOW
    verdict = (await current_rules(db)).judge(texts)
    spam_filter = spam.installed()
    if spam_filter is not None:
        verdict = verdict.with_spam(await spam_filter.judge(db, dict(texts), author))
    return verdict


def refuse(verdict: Verdict) -> ApiError:
    """The 422 for blocked text, naming each field that a blocking rule matched (never the rule:
    a spammer should not learn the list by trying)."""
    message = "This contains something this instance does not allow."
    return ApiError(422, "content_blocked", message, dict.fromkeys(verdict.fields, message))


class ContentFlagged(Event, frozen=True):
    """A held or flagged write: staff should look at the target (moderation.subscribers opens or
    joins its case, in the same transaction)."""

    target_kind: str
    """"post", "comment" or "user" (a profile)."""
    target_id: int
    owner_id: int
    score: float
    reason: str


async def send_to_review(
    db: AsyncSession, verdict: Verdict, target_kind: str, target_id: int, owner_id: int
) -> None:
    """Open or join the target's case when the verdict is hold or flag (nothing otherwise)."""
    if verdict.flagged:
        await emit(
            db,
            ContentFlagged(
                target_kind=target_kind,
                target_id=target_id,
                owner_id=owner_id,
                score=verdict.score(),
                reason=verdict.reason(),
            ),
        )


# --- new accounts -----------------------------------------------------------------------------------

NEW_ACCOUNT_WINDOW_SECONDS: Final = 3600


@dataclass(frozen=True)
class NewAccountLimits:
    """The hourly limits on links, mentions and follows of accounts younger than new_account_days.
    Controllers hand one to the services that write (`limits=`); a service spends from it after
    its own checks and the rules, just before it writes."""

    limiter: RateLimiter
    settings: Settings

    def applies_to(self, user: User) -> bool:
        days = self.settings.new_account_days
        return days > 0 and user.created_at > utcnow() - timedelta(days=days)

    async def spend(self, user: User, *, links: int = 0, mentions: int = 0, follows: int = 0) -> None:
        """Count this write against the account's limits, or refuse it with 429
        `new_account_limit` (counting nothing) when it would pass one."""
        if not (links or mentions or follows) or not self.applies_to(user):
            return
        settings = self.settings
        counted: list[Limit] = []
        for kind, amount, cap in (
            ("links", links, settings.new_account_links_per_hour),
            ("mentions", mentions, settings.new_account_mentions_per_hour),
            ("follows", follows, settings.new_account_follows_per_hour),
        ):
            # One count per link (mention, follow); never more than one past the cap.
            limit = Limit(f"new-account:{kind}:{user.id}", cap, NEW_ACCOUNT_WINDOW_SECONDS)
            counted.extend([limit] * min(amount, cap + 1))
        try:
            await self.limiter.reserve(counted)
        except ApiError as error:
            if error.status_code != 429:
                raise
            days = settings.new_account_days
            raise ApiError(
                429,
                "new_account_limit",
                f"Accounts in their first {days} days may write only a few links and mentions and "
                "follow only so many accounts an hour. Try again later.",
                headers=error.headers,
            ) from None
