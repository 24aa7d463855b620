"""The privacy policy's truth table (viewfinder/policy.py, docs/decisions/0040-privacy-policy.md).

One row per (viewer relationship, object state, object kind), with what the viewer gets through the
HTTP API: "2xx", "401", "403", "404", or for lists "shown" / "hidden" (2xx, with the object in the
body or not; the runner follows next_cursor). TABLE below writes, per kind, each state as one line
of answers, one per relationship in RELATIONSHIPS order; `CELLS` expands it into the rows.

Relationships (of the viewer to the object's author): self, follower, requester (a pending follow
request), stranger, anonymous, blocked (the author blocked the viewer), blocker (the viewer blocked
the author), muter (a follower who muted the author), muted (a follower the author muted), staff (a
staff account with no relationship: staff have no powers of sight today, so it answers as a
stranger; the moderation queue will change its column).

States: public (a public account's post), private (a private account's post), deleted (a public
account's post, deleted), unfinished (a public account's post whose media went back to processing),
comments_off (a public account's post with comments turned off). Kinds about the account rather
than a post (profile, follower and following lists, account search) have the public and private
states only.

The cross-account matrix (tests/test_authorization_matrix.py) checks every route against public,
private and deactivated owners; this table adds the object states, staff, notifications and the
media of each state, and reuses the matrix's world (World, Call, send, outcome). The world is built
once, in the one test that reads every cell, for the reason the matrix gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tests.conftest import BASE_URL, Api
from tests.test_authorization_matrix import MATRIX_SETTINGS, RELATION_ACCOUNTS, Call, World, outcome, send
from viewfinder.accounts.models import User
from viewfinder.app import API_PREFIX, create_app
from viewfinder.core import ids
from viewfinder.media.models import MediaItem, MediaState
from viewfinder.posts.models import PostMedia
from viewfinder.settings import Settings

RELATIONSHIPS = (
    "self",
    "follower",
    "requester",
    "stranger",
    "anonymous",
    "blocked",
    "blocker",
    "muter",
    "muted",
    "staff",
)
POST_STATES = ("public", "private", "deleted", "unfinished", "comments_off")
ACCOUNT_STATES = ("public", "private")

# fmt: off
TABLE: dict[str, dict[str, str]] = {
    "post page": {
        # state          self   follwr reqstr strngr anon   blockd blockr muter  muted  staff
        "public":        "2xx    2xx    2xx    2xx    2xx    404    404    2xx    2xx    2xx",
        "private":       "2xx    2xx    404    404    404    404    404    2xx    2xx    404",
        "deleted":       "404    404    404    404    404    404    404    404    404    404",
        "unfinished":    "2xx    404    404    404    404    404    404    404    404    404",
        "comments_off":  "2xx    2xx    2xx    2xx    2xx    404    404    2xx    2xx    2xx",
    },
    # Lists leave out what the page hides; a mute hides the author from the muter's lists only.
    "home feed": {
        # state          self   follwr reqstr strngr anon   blockd blockr muter  muted  staff
        "public":        "shown  shown  hidden hidden 401    hidden hidden hidden shown  hidden",
        "private":       "shown  shown  hidden hidden 401    hidden hidden hidden shown  hidden",
        "deleted":       "hidden hidden hidden hidden 401    hidden hidden hidden hidden hidden",
        "unfinished":    "hidden hidden hidden hidden 401    hidden hidden hidden hidden hidden",
        "comments_off":  "shown  shown  hidden hidden 401    hidden hidden hidden shown  hidden",
    },
    "profile grid": {
        # state          self   follwr reqstr strngr anon   blockd blockr muter  muted  staff
        "public":        "shown  shown  shown  shown  shown  404    404    shown  shown  shown",
        "private":       "shown  shown  403    403    403    404    404    shown  shown  403",
        "deleted":       "hidden hidden hidden hidden hidden 404    404    hidden hidden hidden",
        "unfinished":    "shown  hidden hidden hidden hidden 404    404    hidden hidden hidden",
        "comments_off":  "shown  shown  shown  shown  shown  404    404    shown  shown  shown",
    },
    # A tag exists for a viewer only through posts that viewer may see (decision 0031).
    "hashtag page": {
        # state          self   follwr reqstr strngr anon   blockd blockr muter  muted  staff
        "public":        "shown  shown  shown  shown  shown  404    404    hidden shown  shown",
        "private":       "shown  shown  404    404    404    404    404    hidden shown  404",
        "deleted":       "404    404    404    404    404    404    404    404    404    404",
        "unfinished":    "404    404    404    404    404    404    404    404    404    404",
        "comments_off":  "shown  shown  shown  shown  shown  404    404    hidden shown  shown",
    },
    "hashtag search": {
        # state          self   follwr reqstr strngr anon   blockd blockr muter  muted  staff
        "public":        "shown  shown  shown  shown  shown  hidden hidden shown  shown  shown",
        "private":       "shown  shown  hidden hidden hidden hidden hidden shown  shown  hidden",
        "deleted":       "hidden hidden hidden hidden hidden hidden hidden hidden hidden hidden",
        "unfinished":    "hidden hidden hidden hidden hidden hidden hidden hidden hidden hidden",
        "comments_off":  "shown  shown  shown  shown  shown  hidden hidden shown  shown  shown",
    },
    # Explore: public accounts only, never one's own nor accounts one follows or muted.
    "explore": {
        # state          self   follwr reqstr strngr anon   blockd blockr muter  muted  staff
        "public":        "hidden hidden shown  shown  shown  hidden hidden hidden hidden shown",
        "private":       "hidden hidden hidden hidden hidden hidden hidden hidden hidden hidden",
        "deleted":       "hidden hidden hidden hidden hidden hidden hidden hidden hidden hidden",
        "unfinished":    "hidden hidden hidden hidden hidden hidden hidden hidden hidden hidden",
        "comments_off":  "hidden hidden shown  shown  shown  hidden hidden hidden hidden shown",
    },
    # A follower's comment on the post; comments already there stay readable when they are turned off.
    "comment list": {
        # state          self   follwr reqstr strngr anon   blockd blockr muter  muted  staff
        "public":        "shown  shown  shown  shown  shown  404    404    shown  shown  shown",
        "private":       "shown  shown  404    404    404    404    404    shown  shown  404",
        "deleted":       "404    404    404    404    404    404    404    404    404    404",
        "unfinished":    "shown  404    404    404    404    404    404    404    404    404",
        "comments_off":  "shown  shown  shown  shown  shown  404    404    shown  shown  shown",
    },
    "post a comment": {
        # state          self   follwr reqstr strngr anon   blockd blockr muter  muted  staff
        "public":        "2xx    2xx    2xx    2xx    401    404    404    2xx    2xx    2xx",
        "private":       "2xx    2xx    404    404    401    404    404    2xx    2xx    404",
        "deleted":       "404    404    404    404    401    404    404    404    404    404",
        "unfinished":    "2xx    404    404    404    401    404    404    404    404    404",
        "comments_off":  "403    403    403    403    401    404    404    403    403    403",
    },
    # The follower who liked the post, in its likers.
    "likers": {
        # state          self   follwr reqstr strngr anon   blockd blockr muter  muted  staff
        "public":        "shown  shown  shown  shown  shown  404    404    shown  shown  shown",
        "private":       "shown  shown  404    404    404    404    404    shown  shown  404",
        "deleted":       "404    404    404    404    404    404    404    404    404    404",
        "unfinished":    "shown  404    404    404    404    404    404    404    404    404",
        "comments_off":  "shown  shown  shown  shown  shown  404    404    shown  shown  shown",
    },
    # The author's mention of the viewer in the caption, with the post, in the viewer's inbox: told
    # only to who may see the post, and the post shown only while it still may.
    "notification": {
        # state          self   follwr reqstr strngr anon   blockd blockr muter  muted  staff
        "public":        "hidden shown  shown  shown  401    hidden hidden shown  shown  shown",
        "private":       "hidden shown  hidden hidden 401    hidden hidden shown  shown  hidden",
        "deleted":       "hidden hidden hidden hidden 401    hidden hidden hidden hidden hidden",
        "unfinished":    "hidden hidden hidden hidden 401    hidden hidden hidden hidden hidden",
        "comments_off":  "hidden shown  shown  shown  401    hidden hidden shown  shown  shown",
    },
    # The photo's URL as handed to the author: a capability, whoever holds it (no session is read);
    # a private account's needs its signature (see "media, unsigned"); a deleted post's files are
    # gone. (An unfinished item has no URL to hand out until it is ready: no row.)
    "media file": {
        # state          self   follwr reqstr strngr anon   blockd blockr muter  muted  staff
        "public":        "2xx    2xx    2xx    2xx    2xx    2xx    2xx    2xx    2xx    2xx",
        "private":       "2xx    2xx    2xx    2xx    2xx    2xx    2xx    2xx    2xx    2xx",
        "deleted":       "404    404    404    404    404    404    404    404    404    404",
        "comments_off":  "2xx    2xx    2xx    2xx    2xx    2xx    2xx    2xx    2xx    2xx",
    },
    "media, unsigned": {
        # state          self   follwr reqstr strngr anon   blockd blockr muter  muted  staff
        "public":        "2xx    2xx    2xx    2xx    2xx    2xx    2xx    2xx    2xx    2xx",
        "private":       "403    403    403    403    403    403    403    403    403    403",
    },
    # The account itself: a private account's profile is public; its lists are not.
    "profile": {
        # state          self   follwr reqstr strngr anon   blockd blockr muter  muted  staff
        "public":        "2xx    2xx    2xx    2xx    2xx    404    404    2xx    2xx    2xx",
        "private":       "2xx    2xx    2xx    2xx    2xx    404    404    2xx    2xx    2xx",
    },
    "followers": {
        # state          self   follwr reqstr strngr anon   blockd blockr muter  muted  staff
        "public":        "shown  shown  shown  shown  shown  404    404    shown  shown  shown",
        "private":       "shown  shown  403    403    403    404    404    shown  shown  403",
    },
    "following": {
        # state          self   follwr reqstr strngr anon   blockd blockr muter  muted  staff
        "public":        "2xx    2xx    2xx    2xx    2xx    404    404    2xx    2xx    2xx",
        "private":       "2xx    2xx    403    403    403    404    404    2xx    2xx    403",
    },
    # Search finds accounts unless blocked either way (muted ones too, to unmute them).
    "account search": {
        # state          self   follwr reqstr strngr anon   blockd blockr muter  muted  staff
        "public":        "shown  shown  shown  shown  shown  hidden hidden shown  shown  shown",
        "private":       "shown  shown  shown  shown  shown  hidden hidden shown  shown  shown",
    },
}
# fmt: on

POST_KINDS = (
    "post page",
    "home feed",
    "profile grid",
    "hashtag page",
    "hashtag search",
    "explore",
    "comment list",
    "post a comment",
    "likers",
    "notification",
    "media file",
)
ACCOUNT_KINDS = ("media, unsigned", "profile", "followers", "following", "account search")

CELLS = [
    (relationship, state, kind, answer)
    for kind, rows in TABLE.items()
    for state, row in rows.items()
    for relationship, answer in zip(RELATIONSHIPS, row.split(), strict=True)
]
"""The truth table, one (relationship, state, kind, expected answer) per row."""

AUTHORS = {"public": "pub", "private": "priv"}
STAFF = "keeper"
VIEWER_ACCOUNTS = {**RELATION_ACCOUNTS, "staff": STAFF}
MENTIONS = " ".join(f"@{name}" for name in sorted(set(VIEWER_ACCOUNTS.values())))


def _items(body: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = body["items"] if isinstance(body, dict) else body
    return items


def _has_id(object_id: str) -> Callable[[Any], bool]:
    return lambda body: any(item.get("id") == object_id for item in _items(body))


def _has_name(name: str) -> Callable[[Any], bool]:
    return lambda body: any(name in (item.get("username"), item.get("name")) for item in _items(body))


def _mentioned_by(author: str, post_id: str) -> Callable[[Any], bool]:
    def finds(body: Any) -> bool:
        return any(
            (item.get("post") or {}).get("id") == post_id
            and any(actor["username"] == author for actor in item["actors"])
            for item in _items(body)
        )

    return finds


class PolicyWorld(World):
    """The matrix's world with the states of this table: a public author with a post in each
    state, a private author with one post, and a staff account related to neither."""

    def __init__(self, app: Litestar, server: TestClient[Litestar]) -> None:
        super().__init__(app, server)
        self.post_ids: dict[str, str] = {}
        self.photos: dict[str, str] = {}
        self.comments_on: dict[str, str] = {}

    def viewer_client(self, state: str, relationship: str) -> Api:
        if relationship == "anonymous":
            return self.anonymous
        if relationship == "self":
            return self.clients[self.author(state)]
        return self.clients[VIEWER_ACCOUNTS[relationship]]

    @staticmethod
    def author(state: str) -> str:
        return AUTHORS["private" if state == "private" else "public"]

    @staticmethod
    def tag(state: str) -> str:
        return f"policy{state.replace('_', '')}"

    def build(self) -> None:
        for name in set(VIEWER_ACCOUNTS.values()):
            self.account(name)
        self.db(self._make_staff)
        for state, name in AUTHORS.items():
            self.account(name, private=state == "private")
            self.relate(name)
        for state in POST_STATES:
            author = self.author(state)
            post = self.make_post(author, f"#{self.tag(state)} for {MENTIONS}")
            post_id = str(post["id"])
            self.post_ids[state] = post_id
            self.photos[state] = post["items"][0]["media"]["renditions"][0]["url"]
            self.comments_on[state] = self.make_comment(post_id)
            liked = self.clients["fan"].post(f"/posts/{post_id}/like")
            assert liked.status_code == 200, liked.text
        owner = self.clients["pub"]
        turned_off = owner.patch(f"/posts/{self.post_ids['comments_off']}", json={"comments_enabled": False})
        assert turned_off.status_code == 200, turned_off.text
        deleted = owner.delete(f"/posts/{self.post_ids['deleted']}")
        assert deleted.status_code == 204, deleted.text
        self.db(self._unfinish)

    async def _make_staff(self, db: AsyncSession) -> None:
        await db.execute(update(User).where(User.id == self.ids[STAFF]).values(is_staff=True))
        await db.commit()

    async def _unfinish(self, db: AsyncSession) -> None:
        """The unfinished post's media back to processing (as while a new rendition is made)."""
        post_id = int(self.post_ids["unfinished"])
        items = select(PostMedia.media_id).where(PostMedia.post_id == post_id).scalar_subquery()
        await db.execute(update(MediaItem).where(MediaItem.id.in_(items)).values(state=MediaState.PROCESSING))
        await db.commit()

    def call(self, state: str, kind: str) -> tuple[str, Call]:
        """The method and call that asks the table's question for (state, kind)."""
        post_id, author, tag = self.post_ids.get(state, ""), self.author(state), self.tag(state)
        photo = urlsplit(self.photos.get(state, ""))
        calls: dict[str, tuple[str, Call]] = {
            "post page": ("GET", Call(f"/posts/{post_id}")),
            "home feed": ("GET", Call("/feed", params={"limit": "50"}, finds=_has_id(post_id))),
            "profile grid": ("GET", Call(f"/users/{author}/posts", finds=_has_id(post_id))),
            "hashtag page": ("GET", Call(f"/hashtags/{tag}/posts", finds=_has_id(post_id))),
            "hashtag search": ("GET", Call("/search/hashtags", params={"q": tag}, finds=_has_name(tag))),
            "explore": ("GET", Call("/explore", params={"limit": "50"}, finds=_has_id(post_id))),
            "comment list": (
                "GET",
                Call(f"/posts/{post_id}/comments", finds=_has_id(self.comments_on.get(state, ""))),
            ),
            "post a comment": ("POST", Call(f"/posts/{post_id}/comments", json={"text": "a policy check"})),
            "likers": ("GET", Call(f"/posts/{post_id}/likes", finds=_has_name("fan"))),
            "notification": ("GET", Call("/notifications", finds=_mentioned_by(author, post_id))),
            "media file": ("GET", Call(photo.path, params=dict(parse_qsl(photo.query)))),
            "media, unsigned": ("GET", Call(urlsplit(self.photos[state]).path)),
            "profile": ("GET", Call(f"/users/{author}")),
            "followers": ("GET", Call(f"/users/{author}/followers", finds=_has_name("fan"))),
            "following": ("GET", Call(f"/users/{author}/following")),
            "account search": (
                "GET",
                Call("/search/accounts", params={"q": author}, finds=_has_name(author)),
            ),
        }
        return calls[kind]


def test_the_table_has_every_cell():
    """Each post kind has a row for each state, each account kind for the account states (the
    unfinished post's media excepted: see the table), and nothing else is there."""
    wanted = {(state, kind) for kind in POST_KINDS for state in POST_STATES} - {("unfinished", "media file")}
    wanted |= {(state, kind) for kind in ACCOUNT_KINDS for state in ACCOUNT_STATES}
    assert {(state, kind) for kind, rows in TABLE.items() for state in rows} == wanted
    answers = {answer for *_, answer in CELLS}
    assert answers <= {"2xx", "401", "403", "404", "shown", "hidden"}, answers


@pytest.fixture
def world(settings: Settings) -> Iterator[PolicyWorld]:
    """The table's world, on an app of its own, built once for the test."""
    app = create_app(settings.model_copy(update=MATRIX_SETTINGS))
    try:
        with TestClient(app, base_url=BASE_URL) as server:
            world = PolicyWorld(app, server)
            world.build()
            yield world
    finally:
        ids.release_shard()


def test_every_viewer_gets_what_the_policy_says(world):
    failures = []
    for relationship, state, kind, expected in CELLS:
        method, call = world.call(state, kind)
        prefix = "" if kind.startswith("media") else API_PREFIX
        response, found = send(method, prefix, call, world.viewer_client(state, relationship))
        got = outcome(response, found)
        if got == expected or (expected == "2xx" and got in ("shown", "hidden")):
            continue
        failures.append(
            f"{kind} [{state}] as {relationship}: expected {expected}, got {got} {response.text[:120]!r}"
        )
    assert not failures, f"{len(failures)} of {len(CELLS)} cells differ from the policy:\n" + "\n".join(
        failures
    )
