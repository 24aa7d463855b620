"""Demo content: a small community loaded once, checked the way a newcomer (and a benchmark) uses it."""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests import database
from tests.conftest import BASE_URL
from tests.stacks import cassandra as cassandra_stack
from tests.stacks import s3 as s3_stack
from tests.stacks import worker_id
from tests.test_cli import start
from viewfinder.app import API_PREFIX, create_app
from viewfinder.core import crypto, ids
from viewfinder.core.db import make_async_engine, make_sessionmaker, utcnow
from viewfinder.demo import DEMO_PASSWORD, SCENES, DemoResult, load_demo
from viewfinder.mediakit.storage import LocalMediaStorage, MediaBackend, S3MediaStorage, storage_from_settings
from viewfinder.recommend.log import Kind, Signal, Surface
from viewfinder.settings import Settings
from viewfinder.wiring import build_backends, interaction_log, timeline_store_factory

USERS, POSTS, PHOTOS = 30, 60, 5  # a photo of each scene, so posts on every topic have one


def fresh_settings(folder: Path, migrated_database: Path, **overrides: Any) -> Settings:
    """An empty instance of its own (overrides: a database of its own on the scale stack)."""
    folder.mkdir(parents=True)
    shutil.copy(migrated_database, folder / "viewfinder.db")
    return Settings(
        env="test",
        data_dir=folder,
        allowed_hosts=["testserver.local"],
        jobs_immediate=True,
        public_url=BASE_URL,
        **{**cassandra_stack.overrides(), **overrides},
    )


def load(settings: Settings, *, seed: int, users: int = USERS, posts: int = POSTS) -> DemoResult:
    async def run() -> DemoResult:
        engine = make_async_engine(settings.resolved_database_url)
        # As the command does: these settings' keyring (email index) and interaction log.
        crypto.configure(settings)
        build_backends(settings).install()
        try:
            async with make_sessionmaker(engine)() as db:
                return await load_demo(
                    db,
                    storage_from_settings(settings),
                    settings,
                    users=users,
                    posts=posts,
                    seed=seed,
                    photos=PHOTOS,
                )
        finally:
            await engine.dispose()

    return asyncio.run(run())


@dataclass
class Demo:
    settings: Settings
    result: DemoResult

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        return database.query(self.settings, sql, *params)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, migrated_database: Path) -> Iterator[Demo]:
    """One demo instance shared by this module's tests, which only read it (or restore what they change)."""
    with database.fresh_database() as overrides, s3_stack.for_test("demo", worker_id()) as media:
        settings = fresh_settings(
            tmp_path_factory.mktemp("demo") / "var", migrated_database, **overrides, **media
        )
        yield Demo(settings, load(settings, seed=11))


@pytest.fixture(scope="module")
def client(demo: Demo) -> Iterator[TestClient[Litestar]]:
    app = create_app(demo.settings)
    with TestClient(app, base_url=BASE_URL) as client:
        yield client
    ids.release_shard()


def community(settings: Settings) -> dict[str, object]:
    """What the seed decides: names, the graph, captions, likes and comments (not the dates)."""
    demo = Demo(settings, DemoResult([], ""))
    return {
        "users": demo.query("SELECT username, display_name, bio, is_private FROM users ORDER BY username"),
        "follows": demo.query(
            "SELECT a.username, b.username FROM follows JOIN users a ON a.id = follower_id "
            "JOIN users b ON b.id = followee_id ORDER BY 1, 2"
        ),
        "posts": demo.query(
            "SELECT u.username, caption, location_name, like_count, comment_count FROM posts "
            "JOIN users u ON u.id = author_id ORDER BY 1, 2, 3, 4, 5"
        ),
        "comments": demo.query("SELECT text FROM comments ORDER BY text"),
        "saves": demo.query(
            "SELECT u.username, caption FROM saved_posts s JOIN users u ON u.id = s.user_id "
            "JOIN posts p ON p.id = s.post_id ORDER BY 1, 2"
        ),
    }


def test_the_same_seed_makes_the_same_community_and_another_seed_another(demo, tmp_path, migrated_database):
    with (
        database.fresh_database() as again_database,
        database.fresh_database() as other_database,
        s3_stack.for_test("again", worker_id()) as again_media,
        s3_stack.for_test("other", worker_id()) as other_media,
    ):
        again = fresh_settings(tmp_path / "again", migrated_database, **again_database, **again_media)
        other = fresh_settings(tmp_path / "other", migrated_database, **other_database, **other_media)
        made_again = load(again, seed=11)
        assert made_again.usernames == demo.result.usernames
        assert made_again.tastes == demo.result.tastes
        assert made_again.signals == demo.result.signals
        load(other, seed=12)

        assert community(again) == community(demo.settings)
        differs = community(other)
        assert differs["users"] != community(demo.settings)["users"]
        assert differs["posts"] != community(demo.settings)["posts"]


def test_the_community_has_what_was_asked_for_and_every_count_agrees_with_its_rows(demo):
    assert demo.query("SELECT count(*) FROM users") == [(USERS,)]
    assert demo.query("SELECT count(*) FROM posts") == [(POSTS,)]
    assert demo.result.likes > POSTS
    assert demo.result.comments > 0
    # Every account shares one password hash, made once, and is a valid Argon2id hash.
    assert demo.query("SELECT count(DISTINCT password_hash) FROM users") == [(1,)]
    assert str(demo.query("SELECT password_hash FROM users LIMIT 1")[0][0]).startswith("$argon2id$")
    mismatches = {
        "followers": "SELECT count(*) FROM users u WHERE followers_count != "
        "(SELECT count(*) FROM follows WHERE followee_id = u.id)",
        "following": "SELECT count(*) FROM users u WHERE following_count != "
        "(SELECT count(*) FROM follows WHERE follower_id = u.id)",
        "posts": "SELECT count(*) FROM users u WHERE posts_count != "
        "(SELECT count(*) FROM posts WHERE author_id = u.id)",
        "likes": "SELECT count(*) FROM posts p WHERE like_count != "
        "(SELECT count(*) FROM post_likes WHERE post_id = p.id)",
        "comments": "SELECT count(*) FROM posts p WHERE comment_count != "
        "(SELECT count(*) FROM comments WHERE post_id = p.id)",
        "replies": "SELECT count(*) FROM comments c WHERE reply_count != "
        "(SELECT count(*) FROM comments r WHERE r.parent_id = c.id)",
        "hashtags": "SELECT count(*) FROM hashtags h WHERE post_count != "
        "(SELECT count(*) FROM post_hashtags WHERE hashtag_id = h.id)",
        "self-follows": "SELECT count(*) FROM follows WHERE follower_id = followee_id",
        "self-likes": "SELECT count(*) FROM post_likes l JOIN posts p ON p.id = l.post_id "
        "WHERE l.user_id = p.author_id",
        # A private account's posts are liked only by its followers (the only ones who see them).
        "unseen likes": "SELECT count(*) FROM post_likes l JOIN posts p ON p.id = l.post_id "
        "JOIN users a ON a.id = p.author_id WHERE a.is_private AND NOT EXISTS "
        "(SELECT 1 FROM follows f WHERE f.follower_id = l.user_id AND f.followee_id = a.id)",
        "replies to replies": "SELECT count(*) FROM comments r JOIN comments c ON c.id = r.parent_id "
        "WHERE c.parent_id IS NOT NULL",
        "replies before their comment": "SELECT count(*) FROM comments r "
        "JOIN comments c ON c.id = r.parent_id WHERE r.id < c.id",
    }
    for name, sql in mismatches.items():
        assert demo.query(sql) == [(0,)], name
    # The graph is heavy-tailed: the best-followed account has several times the average.
    most, average = demo.query("SELECT max(followers_count), avg(followers_count) FROM users")[0]
    assert float(most) > 3 * float(average)
    # Captions carry hashtags and some @mentions of real accounts.
    assert demo.query("SELECT count(*) FROM hashtags")[0][0] > 5
    assert demo.query("SELECT count(*) FROM post_hashtags")[0][0] > POSTS // 2
    # Every caption is embedded for the caption candidate source (all demo captions have words).
    assert demo.query("SELECT count(*) FROM post_embeddings") == [(POSTS,)]
    # Posts are spread over the last weeks, and IDs sort by time as everywhere else.
    ordered = demo.query("SELECT created_at FROM posts ORDER BY id")
    assert [row[0] for row in ordered] == sorted(row[0] for row in ordered)
    (first, last), *_ = demo.query("SELECT min(id), max(id) FROM posts")
    assert (ids.created_at_of(last) - ids.created_at_of(first)).days >= 20


def stored_identity(storage: MediaBackend, key: str) -> object:
    """What two keys holding the same stored bytes share: the inode of a hard-linked file, or the ETag
    (the bytes' MD5) of a server-side copy in a bucket. Fails when the key holds nothing."""
    if isinstance(storage, LocalMediaStorage):
        return storage.path(key).stat().st_ino
    assert isinstance(storage, S3MediaStorage)
    return storage.client.head_object(Bucket=storage.bucket, Key=key)["ETag"]


def test_every_post_has_its_own_ready_media_item_whose_files_exist_and_are_served(demo, client):
    storage = storage_from_settings(demo.settings)
    items = demo.query(
        "SELECT m.id, m.state, m.renditions, u.is_private FROM media_items m "
        "JOIN post_media pm ON pm.media_id = m.id JOIN users u ON u.id = m.owner_id"
    )
    assert len(items) >= POSTS
    assert demo.query("SELECT count(*) FROM media_items") == [(len(items),)]  # none outside a post
    import json

    public_jpeg = private_jpeg = None
    inodes: set[object] = set()
    for media_id, state, renditions, is_private in items:
        assert state == "ready"
        # SQLite hands JSON back as text; PostgreSQL's driver parses it.
        parsed = json.loads(renditions) if isinstance(renditions, str) else renditions
        assert {r["name"] for r in parsed} == {"1080", "750", "640", "320", "thumb"}
        for rendition in parsed:
            assert rendition["key"].startswith(f"photos/{media_id}/")
            inodes.add(stored_identity(storage, rendition["key"]))
        jpeg = next(r["key"] for r in parsed if r["name"] == "1080" and r["format"] == "jpeg")
        if is_private:
            private_jpeg = jpeg
        else:
            public_jpeg = jpeg
    # The files are links to (copies of) a few drawn photos: 10 files (5 sizes, JPEG and WebP) per photo.
    assert len(inodes) == PHOTOS * 10

    assert public_jpeg is not None
    response = client.get(f"/media/{public_jpeg}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.content.startswith(b"\xff\xd8")
    if private_jpeg is not None:  # a private account's demo photos need a signed link, like any other
        assert client.get(f"/media/{private_jpeg}").status_code == 403


def test_a_demo_account_logs_in_and_sees_a_full_home_feed_in_both_modes(demo, client):
    login = client.post(
        f"{API_PREFIX}/accounts/login", json={"login": demo.result.login_username, "password": DEMO_PASSWORD}
    )
    assert login.status_code == 200, login.text
    me = login.json()["me"]["profile"]
    follows = {
        str(row[0])
        for row in demo.query(
            "SELECT b.username FROM follows JOIN users a ON a.id = follower_id "
            "JOIN users b ON b.id = followee_id WHERE a.username = ?",
            demo.result.login_username,
        )
    }
    assert follows
    for mode in ("following", "ranked"):
        feed = client.get(f"{API_PREFIX}/feed", params={"mode": mode, "limit": 20})
        assert feed.status_code == 200, feed.text
        posts = feed.json()["items"]
        assert len(posts) >= 5, mode
        for post in posts:
            assert post["author"]["username"] in follows | {me["username"]}
            assert post["state"] == "ready"
            assert post["items"][0]["alt_text"]
        if mode == "following":
            assert [p["id"] for p in posts] == sorted((p["id"] for p in posts), key=int, reverse=True)
    client.cookies.clear()


def on_timeline(settings: Settings, user_id: int, clear: bool = False) -> list[int]:
    """The post ids in someone's stored timeline, oldest first, in whichever store holds timelines
    (emptied first when `clear`)."""

    async def read() -> list[int]:
        engine = make_async_engine(settings.resolved_database_url)
        try:
            store = timeline_store_factory(settings)(make_sessionmaker(engine))
            if clear:
                await store.clear(user_id)
            return sorted(entry.post_id for entry in await store.page(user_id, None, 10_000))
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_rebuild_timelines_refills_timelines_and_demo_if_empty_leaves_a_full_instance_alone(demo):
    name = demo.result.login_username
    [(user_id,)] = demo.query("SELECT id FROM users WHERE username = ?", name)
    before = on_timeline(demo.settings, user_id)
    assert before
    assert on_timeline(demo.settings, user_id, clear=True) == []

    # Started together (each is a fresh interpreter); a rebuild of one and of all agree anyway.
    env = {**database.database_environment(demo.settings), **cassandra_stack.environment()}
    runs = {
        "demo": start(demo.settings.data_dir, "demo", "--if-empty", **env),
        "one": start(demo.settings.data_dir, "rebuild-timelines", "--user", name.upper(), **env),
        "every": start(demo.settings.data_dir, "rebuild-timelines", **env),
        "unknown": start(demo.settings.data_dir, "rebuild-timelines", "--user", "nobody.here", **env),
    }
    out = {label: (process, *process.communicate(timeout=60)) for label, process in runs.items()}

    process, stdout, stderr = out["one"]
    assert process.returncode == 0, stderr
    assert "Rebuilt 1 timeline." in stdout
    process, stdout, stderr = out["every"]
    assert process.returncode == 0, stderr
    assert f"Rebuilt {USERS} timelines." in stdout
    assert on_timeline(demo.settings, user_id) == before

    process, stdout, stderr = out["demo"]
    assert process.returncode == 0, stderr
    assert "already has accounts" in stdout
    assert demo.query("SELECT count(*) FROM users") == [(USERS,)]
    assert demo.query("SELECT count(*) FROM posts") == [(POSTS,)]

    process, stdout, stderr = out["unknown"]
    assert process.returncode == 1
    assert "no account named 'nobody.here'" in stderr
    assert "Traceback" not in stderr


def post_topics(demo: Demo) -> dict[int, str]:
    """Each post's topic: the scene of its first photo, told by the photo's alt text."""
    openings = {scene.alt.split("{")[0]: name for name, scene in SCENES.items()}
    return {
        int(post_id): next(name for opening, name in openings.items() if str(alt).startswith(opening))
        for post_id, alt in demo.query("SELECT post_id, alt_text FROM post_media WHERE position = 0")
    }


def test_accounts_have_tastes_that_drive_what_they_post_like_and_save(demo):
    tastes = demo.result.tastes
    assert len(tastes) == USERS
    assert all(1 <= len(topics) <= 3 and set(topics) <= set(SCENES) for topics in tastes.values())
    usernames = {int(user_id): str(name) for user_id, name in demo.query("SELECT id, username FROM users")}
    topics = post_topics(demo)
    assert len(topics) == POSTS

    # Authors post mostly on their own topics.
    own = [
        topics[int(post_id)] in tastes[usernames[int(author_id)]]
        for post_id, author_id in demo.query("SELECT id, author_id FROM posts")
    ]
    assert sum(own) >= 0.7 * len(own)

    # Likes and saves lean to the account's first topic: well above what picking posts at random
    # would give (the share of the catalogue on that topic), so a recommender has something to learn.
    catalogue = Counter(topics.values())
    for table in ("post_likes", "saved_posts"):
        rows = demo.query(f"SELECT user_id, post_id FROM {table}")  # noqa: S608 (a table named here)
        assert rows, table
        on_topic = at_random = 0.0
        for user_id, post_id in rows:
            first = tastes[usernames[int(user_id)]][0]
            on_topic += topics[int(post_id)] == first
            at_random += catalogue[first] / len(topics)
        assert on_topic >= 2 * at_random, (table, on_topic, at_random)


def logged(settings: Settings) -> list[Signal]:
    """Every signal in the instance's interaction log, from whichever store its settings name."""

    async def read() -> list[Signal]:
        engine = make_async_engine(settings.resolved_database_url)
        try:
            async with make_sessionmaker(engine)() as db:
                batches = interaction_log(settings).scan(db, since=utcnow() - timedelta(days=3650))
                return [signal async for batch in batches for signal in batch]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_the_interaction_log_holds_what_the_community_did_and_what_it_was_shown_first(demo):
    # This community's: on the scale stack every instance this process makes shares one keyspace.
    accounts = {int(user_id) for (user_id,) in demo.query("SELECT id FROM users")}
    signals = [signal for signal in logged(demo.settings) if signal.viewer_id in accounts]
    assert len(signals) == demo.result.signals
    assert len({signal.id for signal in signals}) == len(signals)

    def done(kind: Kind) -> list[tuple[int, int | None]]:
        return sorted((signal.viewer_id, signal.post_id) for signal in signals if signal.kind == kind)

    def rows(sql: str) -> list[tuple[int, int]]:
        return sorted((int(a), int(b)) for a, b in demo.query(sql))

    # What the services would have recorded: one signal for every like, save, follow and comment
    # on someone else's post.
    assert done(Kind.LIKE) == rows("SELECT user_id, post_id FROM post_likes")
    assert len(done(Kind.LIKE)) == demo.result.likes
    assert done(Kind.SAVE) == rows("SELECT user_id, post_id FROM saved_posts")
    assert len(done(Kind.SAVE)) == demo.result.saves > 0
    follows = sorted((signal.viewer_id, signal.author_id) for signal in signals if signal.kind == Kind.FOLLOW)
    assert follows == rows("SELECT follower_id, followee_id FROM follows")
    assert len(follows) == demo.result.follows
    assert done(Kind.COMMENT) == rows(
        "SELECT c.author_id, c.post_id FROM comments c JOIN posts p ON p.id = c.post_id "
        "WHERE c.author_id != p.author_id"
    )
    assert {signal.kind for signal in signals} == {
        Kind.IMPRESSION,
        Kind.LIKE,
        Kind.COMMENT,
        Kind.SAVE,
        Kind.FOLLOW,
    }

    # About the right post and author; never about the viewer's own; a private account's posts
    # only for its followers; nothing before its post or after now.
    authors = {
        int(post_id): int(author_id) for post_id, author_id in demo.query("SELECT id, author_id FROM posts")
    }
    private = {int(user_id) for (user_id,) in demo.query("SELECT id FROM users WHERE is_private")}
    following = set(follows)
    now = utcnow()
    for signal in signals:
        assert signal.viewer_id != signal.author_id, signal
        assert ids.created_at_of(signal.id) <= now
        if signal.post_id is not None:
            assert signal.author_id == authors[signal.post_id], signal
            assert signal.author_id not in private or (signal.viewer_id, signal.author_id) in following
            assert ids.created_at_of(signal.id) >= ids.created_at_of(signal.post_id)

    # Every post acted on was shown to its viewer first: in the home feed when the viewer follows
    # its author, else in Explore. And more posts were shown than acted on.
    shown: dict[tuple[int, int | None], int] = {}
    for signal in sorted(signals, key=lambda signal: signal.id):
        if signal.kind == Kind.IMPRESSION:
            shown.setdefault((signal.viewer_id, signal.post_id), signal.id)
            followed = (signal.viewer_id, signal.author_id) in following
            assert signal.surface == (Surface.HOME_FOLLOWING if followed else Surface.EXPLORE)
            assert signal.position in range(50)
    for signal in signals:
        if signal.kind in (Kind.LIKE, Kind.COMMENT, Kind.SAVE):
            assert shown[(signal.viewer_id, signal.post_id)] < signal.id, signal
    impressions = sum(signal.kind == Kind.IMPRESSION for signal in signals)
    assert impressions > 2 * demo.result.likes
