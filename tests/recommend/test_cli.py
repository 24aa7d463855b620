"""`viewfinder ml evaluate-recommender` prints the three models' figures from one run."""

from __future__ import annotations

import json
import shutil

import click
from click.testing import CliRunner

from viewfinder.cli import main

ml = main.commands["ml"]  # the detection commands' group, which viewfinder.cli gives this command


def test_evaluate_recommender_is_a_subcommand_of_ml():
    assert isinstance(ml, click.Group)
    assert "evaluate-recommender" in ml.commands


def test_evaluate_recommender_prints_popularity_als_and_the_recommender():
    result = CliRunner().invoke(ml, ["evaluate-recommender", "--k", "10", "--seed", "0"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("MovieLens-100k: each user's latest 20% of positives")
    header = next(index for index, line in enumerate(lines) if line.startswith("model"))
    rows = {line.split()[0]: line.split()[1:] for line in lines[header + 1 : header + 4]}
    for model in ("popularity", "als", "recommender"):
        recall, ndcg, coverage, seconds = (float(value) for value in rows[model])
        assert 0 < recall < 1
        assert 0 < ndcg < 1
        assert 0 < coverage <= 1
        assert seconds >= 0
    assert "recommender / ALS: recall@10 x" in result.output


def test_evaluate_recommender_as_json(monkeypatch):
    from viewfinder.recommend import evaluate

    # One model keeps this test quick; the table's content is the test above's.
    monkeypatch.setattr(evaluate, "default_models", lambda seed: {"popularity": evaluate.Popularity})
    result = CliRunner().invoke(ml, ["evaluate-recommender", "--json", "--k", "5"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["dataset"] == "movielens"
    assert figures["k"] == 5
    assert set(figures["models"]["popularity"]) >= {"recall@5", "ndcg@5", "coverage", "fit_seconds"}


def test_train_evaluate_and_read_out_on_the_demo_community(tmp_path, migrated_database):
    from tests.test_cli import viewfinder

    data_dir = tmp_path / "var"
    data_dir.mkdir()
    shutil.copy(migrated_database, data_dir / "viewfinder.db")
    made = viewfinder(data_dir, "demo", "--users", "60", "--posts", "240", "--photos", "2")
    assert made.returncode == 0, made.stderr

    trained = viewfinder(data_dir, "ml", "train-recommender")
    assert trained.returncode == 0, trained.stderr
    assert trained.stdout.startswith("Recommender r")
    current = (data_dir / "models" / "recommender" / "CURRENT").read_text()
    assert (data_dir / "models" / "recommender" / current / "candidates.npz").exists()

    evaluated = viewfinder(data_dir, "ml", "evaluate-recommender", "--dataset", "instance", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    figures = json.loads(evaluated.stdout)
    assert figures["dataset"] == "instance"
    assert set(figures["models"]) == {"popularity", "als", "recommender"}
    assert figures["evaluated_users"] > 0

    readout = viewfinder(data_dir, "ml", "recommender-readout", "--days", "90")
    assert readout.returncode == 0, readout.stderr
    assert "popularity (baseline)" in readout.stdout
