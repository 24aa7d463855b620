"""Imports every domain's models so the metadata knows every table (migrations, tests)."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "viewfinder.accounts.models",
    "viewfinder.graph.models",
    "viewfinder.media.models",
    "viewfinder.posts.models",
    "viewfinder.engagement.models",
    "viewfinder.feeds.models",
    "viewfinder.notifications.models",
    "viewfinder.moderation.models",
    "viewfinder.privacy.models",
    "viewfinder.community.models",
    "viewfinder.detection.models",
    "viewfinder.recommend.models",
    "viewfinder.core.models",
    "viewfinder.core.crypto",
)


def load_models() -> None:
    for module in MODEL_MODULES:
        importlib.import_module(module)
