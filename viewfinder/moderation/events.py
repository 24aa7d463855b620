"""Events of the moderation domain (core.events), emitted by moderation.actions and .appeals; the
notifications domain tells the people concerned (notifications.subscribers)."""

from __future__ import annotations

from viewfinder.core.events import Event


class ActionTaken(Event, frozen=True):
    """Staff acted against an account or its content (not a dismissal)."""

    action_id: int
    kind: str
    target_kind: str
    account_id: int
    """The account acted against: told what and why."""
    reason: str
    policy: str
    strike: bool


class ReportsResolved(Event, frozen=True):
    """A case closed: its reporters are told the outcome, nothing about the other account."""

    case_id: int
    reporter_ids: tuple[int, ...]
    outcome: str
    """actioned or dismissed."""


class AppealDecided(Event, frozen=True):
    """Staff decided an appeal: the appellant is told."""

    appeal_id: int
    user_id: int
    decision: str
    """upheld (the action stands) or reversed (it was undone)."""
    reporter_ids: tuple[int, ...] = ()
    """When reversed, the reporters of the action's case: their report no longer counts as upheld,
    so their open cases are rescored (moderation.subscribers); they are not told."""
