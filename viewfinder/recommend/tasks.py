"""Background jobs of this domain (registered on the Huey queue in viewfinder.core.jobs)."""

from __future__ import annotations

from huey import crontab
from sqlalchemy.ext.asyncio import AsyncSession

from viewfinder.core.jobs import current_settings, huey, run_with_db
from viewfinder.recommend import services


@huey.periodic_task(crontab(minute="17"))
def prune_interactions() -> int:
    """Every hour, drop interaction signals older than `interaction_retention_days`."""
    days = current_settings().interaction_retention_days
    return run_with_db(lambda db: services.prune(db, days))


@huey.periodic_task(crontab(minute="41"))
def train_recommender() -> str | None:
    """Every hour, train the recommender on the interaction log and serve the result (its version),
    or leave the one served when the log holds too little."""
    from viewfinder.recommend import training  # SciPy only in the process that trains

    settings = current_settings()
    models = settings.data_dir / "models"
    trained = run_with_db(
        lambda db: training.train(
            db, models, window_days=settings.recommender_window_days, ranker=settings.recommender_ranker
        )
    )
    return trained.version if trained is not None else None


@huey.task(retries=3, retry_delay=10)
def embed_caption(post_id: int) -> bool:
    """Embed a new or edited post's caption for the caption candidate source (recommend.captions)."""
    from viewfinder.recommend import captions  # onnxruntime only in the process that embeds

    async def store(db: AsyncSession) -> bool:
        stored = await captions.store_embedding(db, post_id)
        await db.commit()
        return stored

    return run_with_db(store)
