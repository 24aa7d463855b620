"""Caption text as a candidate source (recommend.captions, discovery.services.caption_candidates):
the real MiniLM encoder, the embeddings kept with their posts, and Explore's posts whose captions
are like those of the posts the viewer liked."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tests.helpers import make_post
from viewfinder.recommend import captions
from viewfinder.recommend.models import PostEmbedding


@pytest.fixture(autouse=True)
def fresh_index() -> None:
    captions.caption_index.forget()


def test_what_is_embedded_is_the_captions_words_without_mentions():
    assert captions.caption_text("Dawn on the ridge with @anna_k!\n\n#mountains #sunrise") == (
        "Dawn on the ridge with ! mountains sunrise"
    )
    assert captions.caption_text("  @bob  ") == ""


def test_captions_about_the_same_thing_are_nearer_than_unrelated_ones():
    peaks, ridge, pasta = captions.embed(
        [
            "Snowy peaks above the alpine lake mountains",
            "Ridge line at sunrise, hiking in the high mountains",
            "Homemade pasta with basil and tomatoes",
        ]
    )
    assert np.linalg.norm(peaks) == pytest.approx(1.0, abs=1e-3)
    assert peaks @ ridge > peaks @ pasta + 0.2
    assert captions.from_bytes(captions.to_bytes(peaks)) @ peaks == pytest.approx(1.0, abs=1e-3)


async def vector_of(db: AsyncSession, post_id: Any) -> Any:
    return await db.scalar(select(PostEmbedding.vector).where(PostEmbedding.post_id == int(post_id)))


async def test_a_posts_caption_is_embedded_after_it_is_posted_and_again_when_edited(alice, db):
    post = make_post(alice, "Snowy peaks above the alpine lake")
    first = await vector_of(db, post["id"])
    assert first is not None
    assert len(first) == captions.DIMENSION * 2  # float16

    edited = alice.patch(f"/posts/{post['id']}", json={"caption": "Homemade pasta with basil"})
    assert edited.status_code == 200, edited.text
    db.expire_all()
    second = await vector_of(db, post["id"])
    assert second is not None
    assert captions.from_bytes(second) @ captions.from_bytes(first) < 0.5

    silent = make_post(alice, "")
    assert await vector_of(db, silent["id"]) is None
    assert alice.delete(f"/posts/{post['id']}").status_code == 204
    db.expire_all()
    assert await vector_of(db, post["id"]) is None  # deleted with its post


def explore(api: Any) -> list[dict[str, Any]]:
    response = api.get("/explore", params={"limit": 20})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_explore_suggests_posts_whose_captions_are_like_those_the_viewer_liked(make_api):
    mountains, hiker, cook, fan = (make_api().signup(name) for name in ("peaks", "hiker", "cook", "fan"))
    viewer, stranger = make_api().signup("viewer"), make_api().signup("stranger")
    liked = make_post(mountains, "Snowy peaks above the alpine lake")
    alike = make_post(hiker, "Ridge line at sunrise, hiking in the high mountains")
    pasta = make_post(cook, "Homemade pasta with basil and tomatoes")
    fan.post(f"/posts/{pasta['id']}/like")  # the more popular of the two
    viewer.post(f"/posts/{liked['id']}/like")

    shown = {item["id"]: item for item in explore(viewer)}
    unswayed = {item["id"]: item for item in explore(stranger)}

    assert shown[alike["id"]]["recommended"] == {"reason": "Like posts you liked", "model": None}
    assert shown[pasta["id"]]["recommended"] is None
    assert unswayed[alike["id"]]["recommended"] is None  # the stranger liked nothing
