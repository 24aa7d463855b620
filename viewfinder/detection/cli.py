"""`viewfinder ml ...`: train, evaluate and try the detection models. Each `evaluate-*` command
prints its figures next to a simple baseline measured in the same run."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def ml() -> None:
    """Detection models: train, evaluate, try them on your own examples."""


# --- text spam (viewfinder.detection.spam) --------------------------------------------------------


# --- known-bad media (viewfinder.detection.pdq) ---------------------------------------------------


# --- nudity (viewfinder.detection.nsfw) -----------------------------------------------------------
