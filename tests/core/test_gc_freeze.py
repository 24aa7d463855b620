"""A served app hides its start-up objects from the garbage collector; test apps do not."""

from __future__ import annotations

import gc

from tests.helpers import dedicated_api


def test_a_development_or_production_app_freezes_what_it_made_at_start_up(settings):
    gc.unfreeze()
    try:
        with dedicated_api(settings, env="development") as api:
            assert api.client.get("/healthz").status_code == 200
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_a_test_app_leaves_the_collector_alone(settings):
    gc.unfreeze()
    with dedicated_api(settings) as api:
        assert api.client.get("/healthz").status_code == 200
        assert gc.get_freeze_count() == 0
