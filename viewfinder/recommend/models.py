"""The interaction log on the SQL database (the embedded store of recommend.log): what each account
was shown and did, the signals the recommender learns from (issue 16, docs/decisions/0068)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from viewfinder.core.db import Base


class Interaction(Base):
    """One signal: `viewer_id` did `kind` (recommend.log.Kind's code) to a post or an account.

    Compact and append-only: the id is a time-ordered snowflake (it says when), codes instead of
    names, no foreign keys (a post deleted since keeps its rows until retention drops them; training
    skips what no longer exists). Never shown to anyone but through the recommender."""

    __tablename__ = "interactions"
    __table_args__ = (Index("ix_interactions_viewer_id_id", "viewer_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    viewer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    post_id: Mapped[int | None] = mapped_column(BigInteger)
    author_id: Mapped[int | None] = mapped_column(BigInteger)
    """The post's author, or the account acted on (a follow, a profile visit)."""
    surface: Mapped[int | None] = mapped_column(SmallInteger)
    """Where it happened (recommend.log.Surface's code), when the client said."""
    position: Mapped[int | None] = mapped_column(SmallInteger)
    """The post's place on the page it was shown in (0 first)."""
    dwell_ms: Mapped[int | None] = mapped_column(Integer)
    model: Mapped[str | None] = mapped_column(String(40))
    """Which recommender version served the page it was shown in (online read-out)."""


class PostEmbedding(Base):
    """A post's caption as a MiniLM sentence embedding (recommend.captions, decision 0075): 384
    float16 numbers, unit length. No row for a post without caption text; deleted with its post."""

    __tablename__ = "post_embeddings"

    post_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    vector: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
