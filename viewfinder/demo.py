"""Demo content for a new instance: a believable community, deterministic from a seed.

Accounts with tastes (favourite topics and favourite accounts), a power-law follow graph that
leans towards accounts posting what the follower likes, photo posts with captions, hashtags and
mentions, likes, saves, comments and replies driven by those tastes (with noise) over the last 60
days, the interaction log a recommender learns from (what each account was shown and what it did),
then home timelines rebuilt from them.

Rows go in with bulk inserts rather than through the per-action services, which would hash every
demo password with Argon2 and fan each post out on its own: that is minutes for 200 accounts and
hours for a benchmark's 10,000. Every denormalised count (followers, posts, likes, comments,
replies, hashtag uses) is computed from the rows written, so the result is what the services
would have made, and the interaction log holds the signals the services would have recorded (and
the impressions a client would have reported). Photos are drawn here (landscapes and skylines), go
through the real photo pipeline once each, and every post's own media item gets its files as
storage copies of one of them (hard links on local disk: no extra space).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from io import BytesIO
from operator import itemgetter
from typing import Any

from PIL import Image, ImageChops, ImageDraw, ImageFilter
from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.accounts import passwords
from viewfinder.accounts.models import User
from viewfinder.accounts.services import username_problem
from viewfinder.core import crypto, ids
from viewfinder.core.db import utcnow
from viewfinder.engagement.models import Comment, CommentMention, PostLike, SavedPost
from viewfinder.feeds.affinity import affinity_score
from viewfinder.feeds.models import Affinity
from viewfinder.feeds.services import rebuild_timelines
from viewfinder.graph.models import Follow
from viewfinder.media.models import MediaItem, MediaState
from viewfinder.media.services import EXTENSIONS
from viewfinder.mediakit.photos import FILTERS, ProcessedPhoto, process_photo
from viewfinder.mediakit.storage import MediaStorage
from viewfinder.posts.models import Hashtag, Post, PostHashtag, PostMedia, PostMention
from viewfinder.posts.services import hashtags_in, mentions_in
from viewfinder.recommend import captions
from viewfinder.recommend.log import Kind, Signal, Surface, interaction_log
from viewfinder.recommend.models import PostEmbedding
from viewfinder.settings import Settings

DEMO_PASSWORD = "viewfinder-demo-password"  # noqa: S105 (demo accounts are public on purpose)
DEFAULT_USERS = 200
DEFAULT_POSTS = 2000
DEFAULT_SEED = 7
POST_DAYS = 60
"""Posts are spread over this many days before now."""
BATCH = 5000
"""Rows per bulk insert statement."""

FIRST_NAMES = [
    "Ada", "Bruno", "Chiara", "Dev", "Elif", "Farah", "Goran", "Hana", "Ines", "Jonas", "Kemi",
    "Luca", "Mei", "Nadia", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tomas", "Uma", "Vera",
    "Wen", "Ximena", "Yusuf", "Zoe", "Amara", "Bilal", "Carmen", "Dario", "Esme", "Felix",
    "Greta", "Hugo", "Ivy", "Jamal", "Kira", "Leo", "Maya", "Nico",
]  # fmt: skip
LAST_NAMES = [
    "Almeida", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
    "Jensen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Rossi", "Sato",
    "Tanaka", "Urban", "Varga", "Weber", "Yilmaz", "Zhou", "Nakamura", "Silva", "Mensah", "Horvat",
]  # fmt: skip
HANDLE_WORDS = ["photo", "shoots", "film", "lens", "travels", "daily", "frames", "outdoors"]
BIOS = [
    "Film photographer. Mostly streets, sometimes cats.",
    "Chasing light in the mountains.",
    "Coffee, bikes and 35mm.",
    "Food I cooked and places I walked.",
    "Architecture nerd. Lines and shadows.",
    "Sunrise person. Tripod always in the car.",
    "Lakes, ridges and long exposures.",
    "City at night is my favourite colour.",
    "Weekend hiker, weekday designer.",
    "Shooting whatever the sky gives me.",
    "Learning photography one sunset at a time.",
    "",
    "",
]


# Photos: drawn landscapes and skylines, varied in scene, light and framing.

Color = tuple[int, int, int]


@dataclass(frozen=True)
class Light:
    """A time of day: the sky from top to horizon, the sun (or moon), the land and the water."""

    name: str
    sky: tuple[Color, ...]
    sun: Color
    far: Color
    near: Color
    water: Color
    words: str
    tags: tuple[str, ...]


LIGHTS = [
    Light("sunset", ((38, 52, 110), (214, 104, 92), (253, 186, 110)), (255, 236, 190), (120, 80, 110),
          (40, 28, 48), (70, 60, 100), "at sunset", ("sunset", "goldenhour", "skyporn")),
    Light("dawn", ((96, 120, 180), (236, 170, 180), (252, 222, 190)), (255, 248, 225), (150, 130, 160),
          (60, 58, 80), (120, 130, 170), "at dawn", ("sunrise", "morning", "pastel")),
    Light("noon", ((40, 110, 200), (120, 180, 235), (200, 228, 245)), (255, 255, 240), (110, 140, 120),
          (40, 80, 50), (40, 100, 150), "under a clear blue sky", ("bluesky", "summer", "sunnyday")),
    Light("golden", ((90, 130, 190), (240, 190, 120), (255, 220, 150)), (255, 245, 210), (150, 120, 80),
          (70, 60, 30), (90, 110, 120), "in the golden hour", ("goldenhour", "warmlight", "lategram")),
    Light("dusk", ((20, 24, 60), (100, 60, 120), (230, 120, 110)), (255, 210, 180), (70, 50, 90),
          (20, 16, 36), (50, 40, 80), "at dusk", ("bluehour", "dusk", "moody")),
    Light("night", ((6, 10, 30), (20, 34, 70), (50, 70, 110)), (240, 240, 220), (30, 40, 60),
          (10, 12, 20), (20, 30, 50), "under a full moon", ("night", "moonlight", "nightphotography")),
    Light("mist", ((150, 160, 170), (190, 196, 200), (220, 222, 222)), (250, 250, 245), (150, 158, 160),
          (80, 90, 92), (160, 168, 172), "on a misty morning", ("fog", "mist", "moody")),
    Light("tropic", ((20, 140, 210), (90, 200, 230), (200, 240, 240)), (255, 255, 230), (60, 140, 100),
          (20, 90, 60), (20, 170, 180), "on a bright summer day", ("summer", "travel", "wanderlust")),
]  # fmt: skip


@dataclass(frozen=True)
class Scene:
    name: str
    alt: str
    """Alt text, completed with the light's words."""
    tags: tuple[str, ...]
    places: tuple[str, ...]
    openers: tuple[str, ...]


SCENES = {
    "lake": Scene(
        "lake",
        "A still lake below layered mountain ridges {light}, the sky mirrored in the water.",
        ("lake", "mountains", "reflection", "landscape", "naturelovers"),
        ("Lake Bled", "Lago di Braies", "Hallstatt", "Moraine Lake", "Lake Wanaka"),
        ("Glass-still water this morning.", "Could sit by this lake all day.", "Mirror, mirror."),
    ),
    "mountains": Scene(
        "mountains",
        "Rows of mountain ridges fading into the distance {light}.",
        ("mountains", "hiking", "outdoors", "landscape", "alps"),
        ("Dolomites", "Lofoten", "Patagonia", "Tatra Mountains", "Picos de Europa"),
        ("Worth every metre of the climb.", "Layers on layers.", "The ridge walk home."),
    ),
    "sea": Scene(
        "sea",
        "An open sea meeting the horizon {light}, light glinting on the waves.",
        ("ocean", "seascape", "horizon", "coast", "beachlife"),
        ("Algarve", "Big Sur", "Cornwall", "Santorini", "Byron Bay"),
        ("Salt air and nowhere to be.", "Watching the tide come in.", "Horizon line therapy."),
    ),
    "city": Scene(
        "city",
        "A city skyline with lit windows {light}.",
        ("cityscape", "skyline", "urban", "streetphotography", "architecture"),
        ("Lisbon", "Tokyo", "Chicago", "Porto", "Rotterdam", "Seoul"),
        ("The city never really sleeps.", "Rooftop views.", "Counting windows again."),
    ),
    "forest": Scene(
        "forest",
        "Pine-covered hills rolling away {light}.",
        ("forest", "trees", "nature", "hiking", "pnw"),
        ("Black Forest", "Olympic National Park", "Bavarian Forest", "Białowieża", "Vosges"),
        ("Into the woods.", "Breathing in the pines.", "Trail days are the best days."),
    ),
}
GENERAL_OPENERS = [
    "Some evenings just do this.",
    "Woke up at 5 for this. No regrets.",
    "Found a quiet spot.",
    "Throwback to this one.",
    "Still thinking about this view.",
    "Out with the camera again.",
    "Not edited much, the light did the work.",
    "One from the weekend.",
    "Tried a new lens today.",
    "The colours though.",
]
GENERAL_TAGS = ["photography", "film", "35mm", "travel", "nofilter", "shotoniphone", "instagood", "explore"]
COMMENTS = [
    "Stunning!", "This light 😍", "Where is this?", "Wow, the colours!", "Beautiful shot.",
    "Love the composition.", "Adding this to my list.", "So peaceful.", "Incredible.",
    "What camera do you use?", "Frame-worthy.", "This is gorgeous.", "Take me there!",
    "The layers in this 🔥", "Magic.", "Great edit!", "I was there last year!", "Wallpaper material.",
    "Dreamy.", "How early did you get up for this?",
]  # fmt: skip
AUTHOR_REPLIES = [
    "thank you!",
    "thanks so much 🙏",
    "glad you like it!",
    "you have to go!",
    "a very early one 😅",
]
FRIEND_NUDGES = ["we need to go here", "look at this!", "next trip?", "remember this place?"]

# Tastes: what drives who follows, likes and saves what, so a recommender has something to learn.

TOPIC_POPULARITY = {"city": 0.34, "mountains": 0.26, "sea": 0.2, "lake": 0.12, "forest": 0.08}
"""How often each topic (a scene) is among an account's favourites: two broad ones, some niche."""
TOPIC_COUNTS = {1: 0.45, 2: 0.35, 3: 0.2}
"""How many favourite topics an account has."""
TOPIC_CARE = (1.0, 0.45, 0.25)
"""How much an account cares for its first, second and third topic ..."""
OFF_TOPIC_CARE = 0.05
"""... and for any other (it still likes a few of those: noise)."""
ON_TOPIC_POSTS = 0.8
"""The share of an author's posts on its own topics; the rest are on any topic."""
HOMOPHILY = 3.0
"""A follow is up to 1 + this many times likelier towards an account posting the follower's topics."""
FAVOURITE_ACCOUNTS = (1, 3)
"""How many of the accounts it follows an account cares for most (at most)."""
FAVOURITE_BOOST = 3.0
"""How much likelier a follower likes a post by one of its favourite accounts."""
TOPIC_FANS = 0.85
"""The share of strangers' likes (on public posts) that come from accounts weighted by their care for
the post's topic; the rest come from anyone."""
SAVE_RATE = 0.15
"""The chance that a like on the liker's first topic comes with a save; it falls with the square of
the care (rare off-topic)."""
IDLE_IMPRESSIONS = (2, 3)
"""How many posts an account was shown and passed by, for each of its likes."""


def choose_tastes(rng: random.Random, count: int) -> list[tuple[str, ...]]:
    """Each account's favourite topics, the one it cares for most first."""
    names, weights = list(TOPIC_POPULARITY), list(TOPIC_POPULARITY.values())
    tastes: list[tuple[str, ...]] = []
    for _ in range(count):
        wanted = rng.choices(list(TOPIC_COUNTS), weights=list(TOPIC_COUNTS.values()))[0]
        topics: list[str] = []
        while len(topics) < wanted:
            topic = rng.choices(names, weights=weights)[0]
            if topic not in topics:
                topics.append(topic)
        tastes.append(tuple(topics))
    return tastes


def care_for(taste: tuple[str, ...], topic: str) -> float:
    """How much an account of this taste cares for posts on this topic."""
    return TOPIC_CARE[taste.index(topic)] if topic in taste else OFF_TOPIC_CARE


@cache
def taste_overlap(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """How alike two tastes are: 0 (no topic shared) to 1 (the same topics, cared for alike)."""

    def shares(taste: tuple[str, ...]) -> dict[str, float]:
        total = sum(TOPIC_CARE[: len(taste)])
        return {topic: TOPIC_CARE[rank] / total for rank, topic in enumerate(taste)}

    share_a, share_b = shares(a), shares(b)
    return sum(min(share, share_b.get(topic, 0.0)) for topic, share in share_a.items())


def weighted_sample(
    rng: random.Random, population: Sequence[int], cum_weights: Sequence[float], count: int
) -> list[int]:
    """`count` distinct members of the population, the heavier likelier (drawn in rounds; once the
    heavy ones are taken, the rest evenly among those left)."""
    chosen: dict[int, None] = {}
    for _ in range(8):
        missing = count - len(chosen)
        if missing <= 0:
            return list(chosen)
        for member in rng.choices(population, cum_weights=cum_weights, k=missing):
            chosen.setdefault(member, None)
    missing = count - len(chosen)
    if missing > 0:
        rest = [member for member in population if member not in chosen]
        chosen.update(dict.fromkeys(rng.sample(rest, min(missing, len(rest)))))
    return list(chosen)


def _mix(a: Color, b: Color, t: float) -> Color:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _gradient(width: int, height: int, stops: Sequence[Color]) -> Image.Image:
    spans = len(stops) - 1
    column = Image.new("RGB", (1, height))
    colours = []
    for y in range(height):
        position = y / max(1, height) * spans
        index = min(int(position), spans - 1)
        colours.append(_mix(stops[index], stops[index + 1], position - index))
    column.putdata(colours)
    return column.resize((width, height))


def _ridge(
    rng: random.Random, width: int, base: float, amplitude: float, roughness: float
) -> list[tuple[float, float]]:
    """A mountain skyline by midpoint displacement."""
    heights = [base + rng.uniform(-amplitude, amplitude), base + rng.uniform(-amplitude, amplitude)]
    spread = amplitude
    while len(heights) < 129:
        finer = []
        for left, right in itertools.pairwise(heights):
            finer += [left, (left + right) / 2 + rng.uniform(-spread, spread)]
        heights = [*finer, heights[-1]]
        spread *= roughness
    step = width / (len(heights) - 1)
    return [(index * step, y) for index, y in enumerate(heights)]


def _sky(rng: random.Random, light: Light, width: int, height: int, horizon: int) -> Image.Image:
    canvas = Image.new("RGB", (width, height), light.water)
    canvas.paste(_gradient(width, horizon, light.sky), (0, 0))
    draw = ImageDraw.Draw(canvas)
    if light.name == "night":
        for _ in range(260):
            shade = rng.randrange(110, 256)
            draw.point((rng.randrange(width), rng.randrange(horizon)), fill=(shade, shade, shade))
    x, y = rng.uniform(0.15, 0.85) * width, horizon * rng.uniform(0.35, 0.85)
    radius = rng.uniform(28, 64)
    halo = Image.new("L", (width, height), 0)
    ImageDraw.Draw(halo).ellipse((x - radius * 4, y - radius * 4, x + radius * 4, y + radius * 4), fill=105)
    canvas = Image.composite(
        Image.new("RGB", (width, height), light.sun),
        canvas,
        halo.filter(ImageFilter.GaussianBlur(radius * 2.5)),
    )
    ImageDraw.Draw(canvas).ellipse((x - radius, y - radius, x + radius, y + radius), fill=light.sun)
    return canvas


def _ridges(
    rng: random.Random, canvas: Image.Image, light: Light, horizon: int, layers: int, height_share: float
) -> list[tuple[float, float]]:
    """Mountain or hill layers, far (hazy) to near (dark); returns the nearest ridge line."""
    width, height = canvas.size
    draw = ImageDraw.Draw(canvas)
    nearest: list[tuple[float, float]] = []
    for layer in range(layers):
        depth = layer / max(1, layers - 1)
        colour = _mix(_mix(light.far, light.sky[-1], 0.35), light.near, depth)
        base = horizon - (layers - layer) * height * rng.uniform(0.03, 0.07)
        amplitude = height * height_share * rng.uniform(0.6, 1.2) * (1 - 0.4 * depth)
        nearest = _ridge(rng, width, base, amplitude, rng.uniform(0.48, 0.62))
        draw.polygon([*nearest, (width, horizon), (0, horizon)], fill=colour)
    return nearest


def _water(rng: random.Random, canvas: Image.Image, light: Light, horizon: int) -> None:
    """The scene above the horizon mirrored, smeared and tinted, with glints on the ripples."""
    width, height = canvas.size
    depth = height - horizon
    above = canvas.crop((0, max(0, horizon - depth), width, horizon)).transpose(
        Image.Transpose.FLIP_TOP_BOTTOM
    )
    smeared = above.resize((width, max(1, above.height // 14))).resize(
        (width, depth), Image.Resampling.BILINEAR
    )
    canvas.paste(Image.blend(smeared, _gradient(width, depth, (light.water, light.near)), 0.45), (0, horizon))
    draw = ImageDraw.Draw(canvas)
    for _ in range(70):
        y = rng.randrange(horizon + 2, height)
        x = rng.uniform(-0.2, 1.0) * width
        glint = _mix(light.water, light.sun, rng.uniform(0.1, 0.5))
        draw.line((x, y, x + rng.uniform(0.04, 0.3) * width, y), fill=glint, width=rng.choice((1, 2)))


def _ground(canvas: Image.Image, light: Light, horizon: int) -> None:
    width, height = canvas.size
    canvas.paste(
        _gradient(width, height - horizon, (light.near, _mix(light.near, (0, 0, 0), 0.5))), (0, horizon)
    )


def _trees(rng: random.Random, canvas: Image.Image, ridge: list[tuple[float, float]], colour: Color) -> None:
    draw = ImageDraw.Draw(canvas)
    for x, y in ridge[:: rng.choice((1, 2))]:
        if rng.random() < 0.7:
            tall, wide = rng.uniform(30, 90), rng.uniform(10, 24)
            draw.polygon([(x, y - tall), (x - wide, y + 4), (x + wide, y + 4)], fill=colour)


def _skyline(rng: random.Random, canvas: Image.Image, light: Light, horizon: int) -> None:
    width, height = canvas.size
    draw = ImageDraw.Draw(canvas)
    lit = light.name in ("night", "dusk", "sunset", "mist")
    concrete = _mix(light.near, (58, 60, 68), 0.7)
    for row, shade in enumerate((0.35, 0.75, 1.0)):
        colour = _mix(_mix(concrete, light.sky[-1], 0.55), concrete, shade)
        x = -rng.uniform(0, 40)
        while x < width:
            wide = rng.uniform(40, 120)
            top = horizon - rng.uniform(0.05, 0.22 + 0.14 * (2 - row)) * height
            draw.rectangle((x, top, x + wide, horizon), fill=colour)
            if rng.random() < 0.2:  # a spire or antenna
                draw.rectangle(
                    (x + wide / 2 - 2, top - rng.uniform(20, 70), x + wide / 2 + 2, top), fill=colour
                )
            if row == 2:
                window = (255, 214, 140) if lit else _mix(colour, light.sky[-1], 0.4)
                for wy in range(int(top) + 8, horizon - 8, 14):
                    for wx in range(int(x) + 6, int(x + wide) - 8, 12):
                        if rng.random() < (0.35 if lit else 0.5):
                            draw.rectangle((wx, wy, wx + 5, wy + 7), fill=window)
            x += wide + rng.uniform(0, 12)


def _grain(rng: random.Random, canvas: Image.Image, strength: int) -> Image.Image:
    """Film grain from a seeded noise tile, then a soft vignette."""
    width, height = canvas.size
    tile = Image.frombytes("L", (128, 128), rng.randbytes(128 * 128))
    tile = tile.point(lambda v: 128 + (v - 128) * strength // 128)
    noise = Image.new("L", (width, height))
    for top in range(0, height, 128):
        for left in range(0, width, 128):
            noise.paste(tile, (left, top))
    canvas = ImageChops.add(canvas, Image.merge("RGB", (noise, noise, noise)), 1.0, -128)
    vignette = Image.radial_gradient("L").resize((width, height)).point(lambda v: max(0, v - 120))
    return Image.composite(Image.new("RGB", (width, height)), canvas, vignette)


@dataclass(frozen=True)
class DemoPhoto:
    scene: Scene
    light: Light
    filter_name: str
    jpeg: bytes


def draw_photo(seed: int, index: int, scene_name: str | None = None) -> DemoPhoto:
    """One photo-like JPEG (1080x1080 or 1080x1350), the same for the same seed, index (and scene:
    a random one unless named)."""
    rng = random.Random(f"{seed}:photo:{index}")  # noqa: S311 (repeatable demo data, not secrets)
    drawn = rng.choice(list(SCENES))  # drawn even when named: the rest of the photo stays the same
    scene = SCENES[scene_name or drawn]
    light = rng.choice(LIGHTS)
    width, height = 1080, rng.choice((1080, 1350))
    horizon = int(height * rng.uniform(0.5, 0.68) if scene.name != "sea" else height * rng.uniform(0.45, 0.6))
    canvas = _sky(rng, light, width, height, horizon)
    if scene.name == "lake":
        _ridges(rng, canvas, light, horizon, rng.randint(2, 4), 0.1)
        _water(rng, canvas, light, horizon)
    elif scene.name == "mountains":
        _ridges(rng, canvas, light, horizon, rng.randint(3, 5), 0.13)
        _ground(canvas, light, horizon)
    elif scene.name == "sea":
        if rng.random() < 0.5:
            _ridges(rng, canvas, light, horizon, 1, 0.02)
        _water(rng, canvas, light, horizon)
    elif scene.name == "city":
        _skyline(rng, canvas, light, horizon)
        if rng.random() < 0.5:
            _water(rng, canvas, light, horizon)
        else:
            _ground(canvas, light, horizon)
    else:
        ridge = _ridges(rng, canvas, light, horizon, rng.randint(2, 3), 0.05)
        _ground(canvas, light, horizon)
        _trees(rng, canvas, ridge, light.near)
    canvas = _grain(rng, canvas, rng.randint(10, 24))
    buffer = BytesIO()
    canvas.save(buffer, "JPEG", quality=90)
    filter_name = rng.choice(["normal", "normal", "normal", *FILTERS])
    return DemoPhoto(scene, light, filter_name, buffer.getvalue())


@dataclass(frozen=True)
class PoolPhoto:
    """A drawn photo after the photo pipeline: the renditions every post using it shares."""

    photo: DemoPhoto
    processed: ProcessedPhoto
    digests: list[str]


def make_photo_pool(seed: int, count: int) -> list[PoolPhoto]:
    """Draw `count` photos, the scenes in turn (so posts on every topic have photos once there are
    five), and run each through the real pipeline, one per CPU at a time (pyvips and most of Pillow
    let go of the GIL while they work)."""
    scenes = list(SCENES)

    def one(index: int) -> PoolPhoto:
        photo = draw_photo(seed, index, scenes[index % len(scenes)])
        processed = process_photo(photo.jpeg, max_pixels=10**8, filter_name=photo.filter_name)
        digests = [hashlib.sha256(rendition.data).hexdigest() for rendition in processed.renditions]
        return PoolPhoto(photo, processed, digests)

    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as workers:
        return list(workers.map(one, range(count)))


# The community.


@dataclass
class DemoResult:
    """What load_demo made."""

    usernames: list[str]
    login_username: str
    """A public, well-connected account whose home feed is full: the one to log in as."""
    posts: int = 0
    follows: int = 0
    likes: int = 0
    comments: int = 0
    photos: int = 0
    timelines: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    saves: int = 0
    signals: int = 0
    """Rows written to the interaction log."""
    tastes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Each account's favourite topics (scenes), the first the one it cares for most."""


def ids_at(moments: Sequence[datetime], shard: int) -> list[int]:
    """Time-sortable IDs (the layout of core.ids) for moments in the past, unique among themselves:
    moments in the same millisecond take the next sequence numbers."""
    found = [0] * len(moments)
    last_ms, sequence = -1, 0
    for index in sorted(range(len(moments)), key=moments.__getitem__):
        ms = max(0, int(moments[index].timestamp() * 1000) - ids.EPOCH_MS)
        if ms > last_ms:
            last_ms, sequence = ms, 0
        else:
            sequence += 1
            if sequence > ids.MAX_SEQUENCE:
                last_ms, sequence = last_ms + 1, 0
        found[index] = (
            (last_ms << (ids.SHARD_BITS + ids.SEQUENCE_BITS)) | (shard << ids.SEQUENCE_BITS) | sequence
        )
    return found


def caption_embedding_rows(post_rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The posts' caption embeddings (recommend.captions), each distinct text embedded once (the
    job that embeds a new post's caption runs per post; this is the bulk load's)."""
    texts = {row["id"]: captions.caption_text(row["caption"]) for row in post_rows}
    distinct = sorted({text for text in texts.values() if text})
    vectors = dict(zip(distinct, captions.embed(distinct), strict=True)) if distinct else {}
    return [
        {"post_id": post_id, "vector": captions.to_bytes(vectors[text])}
        for post_id, text in texts.items()
        if text
    ]


async def instance_is_empty(db: AsyncSession) -> bool:
    return (await db.scalar(select(func.count()).select_from(User))) == 0


async def _insert(db: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        await db.execute(insert(table), rows[start : start + BATCH])


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _photo_pool_size(posts: int) -> int:
    return max(1, min(posts, 96, max(12, posts // 33)))


PlannedSignal = tuple[datetime, int, Kind, int | None, int, Surface | None, int | None]
"""A signal before it has an id: when, viewer, kind, post (index; none for a follow), the post's
author or the followed account (index), surface, position."""


def plan_impressions(
    rng: random.Random,
    now: datetime,
    actions: Sequence[tuple[datetime, int, Kind, int]],
    authors: Sequence[int],
    post_times: Sequence[datetime],
    following_of: Sequence[Sequence[int]],
    private: Sequence[bool],
) -> list[PlannedSignal]:
    """The impressions behind the `actions` (when, viewer, kind, post) on posts, as a client would
    have reported them: each post acted on shown to its viewer a little before the first thing the
    viewer did with it (in the home feed when the viewer follows its author, else in Explore), and
    for each like a few posts the viewer was shown and passed by (mostly from accounts it follows)."""
    following = [set(followed) for followed in following_of]
    posts_of: list[list[int]] = [[] for _ in following_of]
    for post, author in enumerate(authors):
        posts_of[author].append(post)
    public_posts = [post for post, author in enumerate(authors) if not private[author]]
    first_action: dict[tuple[int, int], datetime] = {}
    for moment, viewer, _, post in actions:
        first = first_action.get((viewer, post))
        if first is None or moment < first:
            first_action[(viewer, post)] = moment

    def shown(viewer: int, post: int, moment: datetime) -> PlannedSignal:
        author = authors[post]
        surface = Surface.HOME_FOLLOWING if author in following[viewer] else Surface.EXPLORE
        position = min(49, int(rng.expovariate(1 / 8)))  # pages are scrolled from the top
        return (moment, viewer, Kind.IMPRESSION, post, author, surface, position)

    planned = [
        shown(viewer, post, max(post_times[post], first - timedelta(seconds=rng.uniform(5, 600))))
        for (viewer, post), first in first_action.items()
    ]
    for _, viewer, kind, _ in actions:
        if kind != Kind.LIKE:
            continue
        for _ in range(rng.randint(*IDLE_IMPRESSIONS)):
            followed = following_of[viewer]
            candidates = posts_of[rng.choice(followed)] if followed and rng.random() < 0.6 else public_posts
            if not candidates:
                continue
            post = rng.choice(candidates)
            author = authors[post]
            if (
                author == viewer
                or (viewer, post) in first_action
                or (private[author] and author not in following[viewer])
            ):
                continue
            planned.append(
                shown(viewer, post, min(now, post_times[post] + timedelta(hours=rng.expovariate(1 / 12))))
            )
    return planned


async def load_demo(
    db: AsyncSession,
    storage: MediaStorage,
    settings: Settings,
    *,
    users: int = DEFAULT_USERS,
    posts: int = DEFAULT_POSTS,
    seed: int = DEFAULT_SEED,
    photos: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Fill the instance with `users` accounts and `posts` posts, and the interaction log with what
    they did; deterministic from the seed (the same usernames, tastes, graph, captions, likes, saves,
    comments and signals; only the dates follow the clock)."""
    say = progress or (lambda _: None)
    clock = time.perf_counter()
    seconds: dict[str, float] = {}

    def lap(stage: str) -> None:
        nonlocal clock
        seconds[stage] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()

    rng = random.Random(seed)  # noqa: S311 (repeatable demo data, not secrets)
    now = utcnow().replace(microsecond=0) - timedelta(seconds=1)
    shard = ids.shard_of(ids.new_id())
    user_count = max(1, users)
    post_count = max(0, posts)

    # Accounts: one Argon2 hash for all of them (the slow part of a sign-up, on purpose).
    say(f"Making {user_count} accounts and their follow graph")
    password_hash = passwords.hash_password(DEMO_PASSWORD)
    names: list[tuple[str, str]] = []
    usernames: list[str] = []
    for index in range(user_count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        pattern = rng.randrange(4)
        username = (
            f"{first}.{last}{index}"
            if pattern == 0
            else f"{first}_{last}{index}"
            if pattern == 1
            else f"{first}{index}.{rng.choice(HANDLE_WORDS)}"
            if pattern == 2
            else f"{last}.{first}{index}"
        ).lower()
        assert username_problem(username) is None, username
        names.append((first, last))
        usernames.append(username)
    joined = [now - timedelta(days=rng.uniform(POST_DAYS + 1, 400)) for _ in range(user_count)]
    user_ids = ids_at(joined, shard)
    private = [rng.random() < 0.1 for _ in range(user_count)]
    bios = [rng.choice(BIOS) for _ in range(user_count)]
    tastes = choose_tastes(rng, user_count)

    # Preferential attachment: early accounts gather most followers, as on real networks; and
    # homophily: an account leans towards those posting its topics (as authors post mostly theirs).
    popularity = [1 / (rank + 1) for rank in range(user_count)]
    pulls: dict[tuple[str, ...], list[float]] = {}  # cumulative weights, per follower's taste

    def pull(taste: tuple[str, ...]) -> list[float]:
        if taste not in pulls:
            pulls[taste] = list(
                itertools.accumulate(
                    weight * (1 + HOMOPHILY * taste_overlap(taste, tastes[followee]))
                    for followee, weight in enumerate(popularity)
                )
            )
        return pulls[taste]

    edges: list[tuple[int, int]] = []
    for follower in range(user_count):
        wanted = min(user_count - 1, int(rng.paretovariate(1.2) * 3))
        drawn = rng.choices(range(user_count), cum_weights=pull(tastes[follower]), k=wanted)
        chosen = set(drawn) - {follower}
        edges += [(follower, followee) for followee in sorted(chosen)]
    followers_of: list[list[int]] = [[] for _ in range(user_count)]
    following_of: list[list[int]] = [[] for _ in range(user_count)]
    for follower, followee in edges:
        followers_of[followee].append(follower)
        following_of[follower].append(followee)
    follow_times = [
        max(joined[a], joined[b]) + (now - max(joined[a], joined[b])) * rng.random() * 0.5 for a, b in edges
    ]
    follow_ids = ids_at(follow_times, shard)
    # A few of the accounts each one follows are its favourites, likelier those of a like taste.
    favourites: list[frozenset[int]] = []
    for viewer, followed in enumerate(following_of):
        leaning = [1 + HOMOPHILY * taste_overlap(tastes[viewer], tastes[followee]) for followee in followed]
        wanted = min(len(followed), rng.randint(*FAVOURITE_ACCOUNTS))
        favourites.append(frozenset(rng.choices(followed, weights=leaning, k=wanted) if followed else ()))
    lap("accounts")

    # Photos.
    pool_size = photos if photos is not None else _photo_pool_size(post_count)
    pool_size = max(1, min(pool_size, max(1, post_count)))
    say(f"Drawing {pool_size} photos and running them through the photo pipeline")
    pool = make_photo_pool(seed, pool_size) if post_count else []
    of_scene: dict[str, list[int]] = {}
    for number, item in enumerate(pool):
        of_scene.setdefault(item.photo.scene.name, []).append(number)
    lap("photos")

    # Posts: prolific accounts tend to be the popular ones, and post mostly on their own topics.
    say(f"Writing {post_count} posts")
    author_weights = list(itertools.accumulate((1 + len(f)) ** 0.5 for f in followers_of))
    authors = rng.choices(range(user_count), cum_weights=author_weights, k=post_count)
    post_times = [now - timedelta(seconds=rng.uniform(0, POST_DAYS * 86400)) for _ in range(post_count)]
    post_ids = ids_at(post_times, shard)
    by_username = {name: index for index, name in enumerate(usernames)}
    post_rows: list[dict[str, Any]] = []
    media_plan: list[tuple[int, int, int]] = []  # (post index, position, pool index)
    captions_tags: list[list[str]] = []
    mention_rows: list[dict[str, Any]] = []
    post_topics: list[str] = []
    for index, author in enumerate(authors):
        taste = tastes[author]
        topic = (
            rng.choices(taste, weights=TOPIC_CARE[: len(taste)])[0]
            if rng.random() < ON_TOPIC_POSTS
            else rng.choice(list(SCENES))
        )
        shown = [rng.choice(of_scene[topic]) if topic in of_scene else rng.randrange(pool_size)]
        post_topics.append(pool[shown[0]].photo.scene.name)
        if rng.random() < 0.08 and pool_size > 1:
            shown += rng.sample(
                [p for p in range(pool_size) if p != shown[0]], min(pool_size - 1, rng.randint(1, 2))
            )
        media_plan += [(index, position, pool_index) for position, pool_index in enumerate(shown)]
        photo = pool[shown[0]].photo
        caption = rng.choice([*photo.scene.openers, *GENERAL_OPENERS])
        friends = following_of[author] or followers_of[author]
        if friends and rng.random() < 0.12:
            caption += f" With @{usernames[rng.choice(friends)]}."
        if rng.random() < 0.85:
            # Mostly about what is in the photo, then the light, then the usual reach tags.
            tags = rng.sample(photo.scene.tags, rng.randint(1, 3)) + rng.sample(
                photo.light.tags, rng.randint(0, 1)
            )
            tags += [tag for tag in rng.sample(GENERAL_TAGS, rng.randint(0, 2)) if tag not in tags]
            caption += "\n\n" + " ".join(f"#{tag}" for tag in tags)
        captions_tags.append(hashtags_in(caption))
        for name in mentions_in(caption):
            mention_rows.append({"post_id": post_ids[index], "user_id": user_ids[by_username[name]]})
        post_rows.append(
            {
                "id": post_ids[index],
                "author_id": user_ids[author],
                "caption": caption,
                "location_name": rng.choice(photo.scene.places) if rng.random() < 0.35 else "",
                "comments_enabled": rng.random() < 0.97,
                "hide_like_count": rng.random() < 0.03,
                "like_count": 0,
                "comment_count": 0,
                "created_at": post_times[index],
                "updated_at": post_times[index],
            }
        )

    # Each post's own media items, whose files are copies of a pool photo's (hard links).
    media_ids = ids_at([post_times[post] for post, _, _ in media_plan], shard)
    first_keys: dict[tuple[int, int], str] = {}
    media_rows: list[dict[str, Any]] = []
    link_rows: list[dict[str, Any]] = []
    copies: list[tuple[str, str]] = []
    for (post, position, pool_index), media_id in zip(media_plan, media_ids, strict=True):
        source = pool[pool_index]
        renditions = []
        for number, (rendition, digest) in enumerate(
            zip(source.processed.renditions, source.digests, strict=True)
        ):
            key = f"photos/{media_id}/{digest}.{EXTENSIONS[rendition.format]}"
            first = first_keys.setdefault((pool_index, number), key)
            if first == key:
                storage.put(key, rendition.data, rendition.content_type)
            else:
                copies.append((first, key))
            renditions.append(
                {"name": rendition.name, "format": rendition.format, "key": key,
                 "width": rendition.width, "height": rendition.height}
            )  # fmt: skip
        media_rows.append(
            {
                "id": media_id,
                "owner_id": user_ids[authors[post]],
                "kind": "photo",
                "state": MediaState.READY.value,
                "original_key": None,
                "original_format": "jpeg",
                "filter_name": source.photo.filter_name,
                "crop": None,
                "width": source.processed.width,
                "height": source.processed.height,
                "blurhash": source.processed.blurhash,
                "dominant_color": source.processed.dominant_color,
                "renditions": renditions,
                "attempts": 1,
                "created_at": post_times[post],
                "updated_at": post_times[post],
            }
        )
        alt = source.photo.scene.alt.format(light=source.photo.light.words)
        link_rows.append(
            {"media_id": media_id, "post_id": post_ids[post], "position": position, "alt_text": alt}
        )
    with ThreadPoolExecutor(max_workers=4) as workers:
        # Links are file-system calls that release the GIL; a few threads overlap their waits.
        for _ in workers.map(lambda pair: storage.copy(*pair), copies, chunksize=256):
            pass
    lap("media files")

    # Hashtags, counted by the posts that use them.
    tag_uses = Counter(tag for tags in captions_tags for tag in tags)
    tag_ids = {name: ids.new_id() for name in sorted(tag_uses)}
    hashtag_rows = [
        {"id": tag_ids[name], "name": name, "post_count": tag_uses[name]} for name in sorted(tag_uses)
    ]
    post_tag_rows = [
        {"post_id": post_ids[index], "hashtag_id": tag_ids[name]}
        for index, tags in enumerate(captions_tags)
        for name in tags
    ]

    # Likes: a heavy-tailed share of the author's followers, likelier those who care for the post's
    # topic and those whose favourite account the author is; plus strangers on public accounts, most
    # of whom care for the topic (what Explore should learn to find). Saves: a few of the likes,
    # bound to taste more tightly still.
    say("Adding likes, saves and comments")
    like_pairs: list[tuple[int, int]] = []  # (post index, user index)
    like_times: list[datetime] = []
    save_plan: list[tuple[int, int, datetime]] = []  # post, user, time
    comment_plan: list[tuple[int, int, str, int | None, datetime]] = []  # post, author, text, parent, time
    engagement: Counter[tuple[int, int]] = Counter()
    commented: Counter[tuple[int, int]] = Counter()

    def later(moment: datetime, mean_hours: float) -> datetime:
        return min(now, moment + timedelta(hours=rng.expovariate(1 / mean_hours)))

    appeals: dict[tuple[int, str], tuple[list[float], float]] = {}

    def appeal(author: int, topic: str) -> tuple[list[float], float]:
        """The cumulative weights of the author's followers for a post on this topic, and their mean."""
        if (author, topic) not in appeals:
            weights = [
                care_for(tastes[follower], topic)
                * (FAVOURITE_BOOST if author in favourites[follower] else 1.0)
                for follower in followers_of[author]
            ]
            appeals[(author, topic)] = (
                list(itertools.accumulate(weights)),
                sum(weights) / max(1, len(weights)),
            )
        return appeals[(author, topic)]

    # A post that appeals to its audience more than most gets more likes, one that appeals less
    # fewer: about as many in all as when likers were drawn evenly.
    typical = [
        appeal(author, post_topics[index])[1] for index, author in enumerate(authors) if followers_of[author]
    ]
    typical_appeal = sum(typical) / len(typical) if typical else 1.0
    fans = {topic: list(itertools.accumulate(care_for(taste, topic) for taste in tastes)) for topic in SCENES}
    for index, author in enumerate(authors):
        audience, topic = followers_of[author], post_topics[index]
        heat = rng.paretovariate(1.5)
        cumulative, mean_appeal = appeal(author, topic)
        # (0.046 rather than 0.04: the share of the posts that appeal most is capped more often.)
        share = min(0.6, 0.046 * heat * mean_appeal / typical_appeal)
        wanted = min(len(audience), int(len(audience) * share + rng.random()))
        likers = weighted_sample(rng, audience, cumulative, wanted) if wanted else []
        if not private[author]:
            taken = {author, *likers}
            for _ in range(min(50, int(rng.paretovariate(3.0) ** 2) - 1)):
                if rng.random() < TOPIC_FANS:
                    stranger = rng.choices(range(user_count), cum_weights=fans[topic])[0]
                else:
                    stranger = rng.randrange(user_count)
                if stranger not in taken:
                    taken.add(stranger)
                    likers.append(stranger)
        for liker in likers:
            like_pairs.append((index, liker))
            liked_at = later(post_times[index], 6)
            like_times.append(liked_at)
            engagement[(liker, author)] += 1
            if rng.random() < SAVE_RATE * care_for(tastes[liker], topic) ** 2:
                save_plan.append((index, liker, later(liked_at, 1)))
        post_rows[index]["like_count"] = len(likers)
        if not post_rows[index]["comments_enabled"]:
            continue
        talkers = likers or audience
        if not talkers:
            continue
        for _ in range(min(30, int(len(likers) * rng.uniform(0.0, 0.25) + rng.random() * 1.3))):
            commenter = rng.choice(talkers)
            remark = rng.choice(COMMENTS)
            if rng.random() < 0.1 and len(talkers) > 1:
                friend = rng.choice([t for t in talkers if t != commenter] or talkers)
                remark = f"@{usernames[friend]} {rng.choice(FRIEND_NUDGES)}"
            moment = later(post_times[index], 8)
            parent = len(comment_plan)
            comment_plan.append((index, commenter, remark, None, moment))
            commented[(commenter, author)] += 1
            if rng.random() < 0.3 and commenter != author:
                reply = f"@{usernames[commenter]} {rng.choice(AUTHOR_REPLIES)}"
                comment_plan.append((index, author, reply, parent, later(moment, 3)))
            elif rng.random() < 0.08:
                other = rng.choice(talkers)
                comment_plan.append((index, other, rng.choice(COMMENTS), parent, later(moment, 3)))
                commented[(other, author)] += 1

    like_ids = ids_at(like_times, shard)
    like_rows = [
        {"post_id": post_ids[post], "user_id": user_ids[user], "id": like_id, "created_at": moment}
        for (post, user), like_id, moment in zip(like_pairs, like_ids, like_times, strict=True)
    ]
    save_ids = ids_at([moment for _, _, moment in save_plan], shard)
    save_rows = [
        {"user_id": user_ids[user], "post_id": post_ids[post], "id": save_id, "created_at": moment}
        for (post, user, moment), save_id in zip(save_plan, save_ids, strict=True)
    ]
    comment_ids = ids_at([plan[4] for plan in comment_plan], shard)
    replies = Counter(plan[3] for plan in comment_plan if plan[3] is not None)
    comment_rows: list[dict[str, Any]] = []
    comment_mention_rows: list[dict[str, Any]] = []
    for number, (post, author, remark, parent_number, moment) in enumerate(comment_plan):
        post_rows[post]["comment_count"] += 1
        comment_rows.append(
            {
                "id": comment_ids[number],
                "post_id": post_ids[post],
                "author_id": user_ids[author],
                "parent_id": comment_ids[parent_number] if parent_number is not None else None,
                "text": remark,
                "like_count": 0,
                "reply_count": replies[number],
                "created_at": moment,
            }
        )
        for name in mentions_in(remark):
            comment_mention_rows.append(
                {"comment_id": comment_ids[number], "user_id": user_ids[by_username[name]]}
            )

    affinity_rows = [
        {
            "viewer_id": user_ids[viewer],
            "author_id": user_ids[author],
            "likes": engagement[(viewer, author)],
            "comments": commented[(viewer, author)],
            "visits": 0,
            "score": affinity_score(engagement[(viewer, author)], commented[(viewer, author)], 0),
            "updated_at": now,
        }
        for viewer, author in sorted(set(engagement) | set(commented))
        if viewer != author
    ]

    # The interaction log: the signals the services would have recorded for these likes, comments,
    # saves and follows (an account's own posts teach nothing: none), after the impressions a
    # client would have reported (first in the list: a tie in time gives the impression the lower id).
    actions = [
        (moment, user, Kind.LIKE, post) for (post, user), moment in zip(like_pairs, like_times, strict=True)
    ]
    actions += [
        (moment, user, Kind.COMMENT, post)
        for post, user, _, _, moment in comment_plan
        if user != authors[post]
    ]
    actions += [(moment, user, Kind.SAVE, post) for post, user, moment in save_plan]
    # A random stream of its own: the log does not change what the rows are.
    signal_rng = random.Random(f"{seed}:signals")  # noqa: S311 (repeatable demo data, not secrets)
    planned = plan_impressions(signal_rng, now, actions, authors, post_times, following_of, private)
    planned += [
        (moment, viewer, kind, post, authors[post], None, None) for moment, viewer, kind, post in actions
    ]
    planned += [
        (moment, follower, Kind.FOLLOW, None, followee, None, None)
        for (follower, followee), moment in zip(edges, follow_times, strict=True)
    ]
    signal_ids = ids_at([plan[0] for plan in planned], shard)

    def signal(number: int) -> Signal:
        _, viewer, kind, post, about, surface, position = planned[number]
        return Signal(
            id=signal_ids[number],
            viewer_id=user_ids[viewer],
            kind=kind,
            post_id=post_ids[post] if post is not None else None,
            author_id=user_ids[about],
            surface=surface,
            position=position,
        )

    lap("engagement")

    say("Saving")
    posts_by_author = Counter(authors)
    user_rows = [
        {
            "id": user_ids[index],
            "username": usernames[index],
            "username_key": usernames[index],
            "email": f"{usernames[index]}@example.com",
            "email_key": crypto.email_index(f"{usernames[index]}@example.com"),
            "password_hash": password_hash,
            "display_name": f"{first} {last}",
            "bio": bios[index],
            "website": "",
            "avatar_key": None,
            "is_private": private[index],
            "is_staff": False,
            "is_active": True,
            "followers_count": len(followers_of[index]),
            "following_count": len(following_of[index]),
            "posts_count": posts_by_author[index],
            "created_at": joined[index],
            "updated_at": joined[index],
        }
        for index, (first, last) in enumerate(names)
    ]
    follow_rows = [
        {"id": follow_id, "follower_id": user_ids[a], "followee_id": user_ids[b], "created_at": moment}
        for (a, b), follow_id, moment in zip(edges, follow_ids, follow_times, strict=True)
    ]
    if db.get_bind().dialect.name == "sqlite":
        # A large page cache for this connection: index upkeep on big inserts is random access.
        await db.execute(text("PRAGMA cache_size = -262144"))
    # Rows go in primary-key order (a reply's ID is above its comment's, so parents come first).
    tables: list[tuple[type[Any], list[dict[str, Any]], tuple[str, ...]]] = [
        (User, user_rows, ("id",)),
        (Follow, follow_rows, ("id",)),
        (Post, post_rows, ("id",)),
        (MediaItem, media_rows, ("id",)),
        (PostMedia, link_rows, ("media_id",)),
        (Hashtag, hashtag_rows, ("id",)),
        (PostHashtag, post_tag_rows, ("post_id", "hashtag_id")),
        (PostMention, mention_rows, ("post_id", "user_id")),
        (PostLike, like_rows, ("post_id", "user_id")),
        (SavedPost, save_rows, ("user_id", "post_id")),
        (Comment, comment_rows, ("id",)),
        (CommentMention, comment_mention_rows, ("comment_id", "user_id")),
        (Affinity, affinity_rows, ("viewer_id", "author_id")),
        (PostEmbedding, caption_embedding_rows(post_rows), ("post_id",)),
    ]
    for model, rows, order in tables:
        await _insert(db, _table(model), sorted(rows, key=itemgetter(*order)))
    await db.commit()
    lap("database")

    say(f"Writing {len(planned)} signals to the interaction log")
    log = interaction_log()  # whichever store this process uses (SQL, or Cassandra after each commit)
    in_order = sorted(range(len(planned)), key=signal_ids.__getitem__)
    for start in range(0, len(in_order), BATCH):
        # Within a batch, signals of one shape (no post: a follow; no surface: an action) together:
        # an ORM bulk insert starts a new statement wherever the columns left empty change.
        batch = sorted(
            in_order[start : start + BATCH],
            key=lambda number: (planned[number][3] is None, planned[number][5] is None),
        )
        await log.record(db, [signal(number) for number in batch])
        await db.commit()
    lap("interaction log")

    say("Building home timelines")
    timelines = await rebuild_timelines(db, settings)
    # Fresh statistics for the query planner: after a bulk load it would otherwise guess, and
    # on SQLite a guess can pick a scan over the right index on the feed's hot queries.
    await db.execute(text("ANALYZE"))
    await db.commit()
    lap("timelines")

    public = [index for index in range(user_count) if not private[index]] or list(range(user_count))
    login = max(public, key=lambda index: (len(following_of[index]), len(followers_of[index]), -index))
    return DemoResult(
        usernames=usernames,
        login_username=usernames[login],
        posts=post_count,
        follows=len(edges),
        likes=len(like_rows),
        comments=len(comment_rows),
        photos=len(pool),
        timelines=timelines,
        seconds=seconds,
        saves=len(save_rows),
        signals=len(planned),
        tastes=dict(zip(usernames, tastes, strict=True)),
    )
