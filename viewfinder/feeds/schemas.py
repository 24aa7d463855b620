"""Request parameters of the home feed (its items are posts: `posts.schemas.PostOut`)."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar.params import QueryParameter

FeedMode = Annotated[
    Literal["following", "ranked", "for_you"],
    QueryParameter(
        description=(
            "following: your own and followed accounts' posts, newest first. ranked: the same "
            "candidates ordered by recency decay * affinity * engagement. for_you: ranked, with "
            "suggested posts of accounts you do not follow in between."
        )
    ),
]
