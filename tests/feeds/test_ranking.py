"""The ranked feed's score: recency decay * viewer-author affinity * engagement."""

from __future__ import annotations

import math

import pytest

from viewfinder.feeds.affinity import affinity_score
from viewfinder.feeds.services import ranked_score, should_trim


def test_a_fresh_post_with_no_affinity_or_engagement_scores_one():
    assert ranked_score(0, 0.0, 0, 0) == 1.0


def test_recency_halves_every_half_life():
    assert ranked_score(24, 0.0, 0, 0) == pytest.approx(0.5)
    assert ranked_score(48, 0.0, 0, 0) == pytest.approx(0.25)
    assert ranked_score(6, 0.0, 0, 0, half_life_hours=6) == pytest.approx(0.5)
    # A clock a little behind a post's id never makes it score above a fresh one.
    assert ranked_score(-1, 0.0, 0, 0) == 1.0


def test_affinity_and_engagement_multiply():
    assert ranked_score(0, 1.5, 0, 0) == pytest.approx(2.5)
    assert ranked_score(0, 0.0, 3, 0) == pytest.approx(1 + math.log(4))
    assert ranked_score(24, 1.0, 1, 1) == pytest.approx(0.5 * 2 * (1 + math.log(4)))


def test_a_comment_weighs_two_likes():
    assert ranked_score(0, 0.0, 0, 1) == ranked_score(0, 0.0, 2, 0)


def test_an_author_you_engage_with_outranks_a_fresher_stranger():
    liked_author = ranked_score(10, affinity_score(likes=3, comments=0, visits=0), 0, 0)
    stranger = ranked_score(0, 0.0, 0, 0)
    assert liked_author > stranger
    # ...but not for ever: a week-old post loses to a fresh one.
    assert ranked_score(24 * 7, affinity_score(likes=3, comments=0, visits=0), 0, 0) < stranger


def test_fan_out_trims_about_one_timeline_in_sixteen_and_retries_agree():
    chosen = [should_trim(user_id, 987654321) for user_id in range(16_000)]
    assert 800 < sum(chosen) < 1200
    assert chosen == [should_trim(user_id, 987654321) for user_id in range(16_000)]
    assert all(should_trim(user_id, 5, one_in=1) for user_id in range(10))
