"""Events of the posts domain (core.events), emitted by posts.services."""

from __future__ import annotations

from viewfinder.core.events import Event


class PostCreated(Event, frozen=True):
    """A post was published (its items may still be processing)."""

    post_id: int
    author_id: int
    mentioned_ids: tuple[int, ...] = ()
    """The accounts its caption links (and so tells), decided once when it was written."""


class PostEdited(Event, frozen=True):
    """A post's caption, location, alt texts or switches changed."""

    post_id: int
    author_id: int
    mentioned_ids: tuple[int, ...] = ()
    """The accounts the new caption links that the old one did not (they are told)."""


class PostDeleted(Event, frozen=True):
    """A post was deleted (its row is gone)."""

    post_id: int
    author_id: int
    media_keys: tuple[str, ...] = ()
    """Its media's served files (deleted from storage after the commit): the edge forgets them."""
