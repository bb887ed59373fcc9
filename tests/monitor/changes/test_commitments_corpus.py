"""The extractor against the hand-labelled corpus: the held-out test part must reach the issue's
targets (recall ≥ 0.9, precision ≥ 0.9, ≥ 0.9 of found commitments fully right)."""

from __future__ import annotations

import re

import pytest

from monitor.changes.commitments.corpus import bundled_corpus
from monitor.changes.commitments.evaluate import evaluate
from monitor.changes.commitments.similarity import squash

CORPUS = bundled_corpus()


def test_the_corpus_has_forty_plans_with_the_five_seeds_and_a_test_part() -> None:
    plans = CORPUS["test"] + CORPUS["train"]
    assert len(plans) >= 40 and len(CORPUS["test"]) >= 15
    assert sum(p.id.startswith("seed_") for p in plans) == 5
    assert len({p.region for p in plans if p.region}) >= 35, "plans of different counties"


@pytest.mark.parametrize("plan", CORPUS["test"] + CORPUS["train"], ids=lambda p: p.id)
def test_every_label_quotes_its_plan(plan) -> None:  # type: ignore[no-untyped-def]
    text = squash(plan.text)
    for label in plan.labels:
        assert squash(label.sentence) in text, label.sentence
        assert label.comparison in (None, "at_least", "more_than", "at_most", "less_than", "about", "range", "equal")


def test_the_held_out_test_part_meets_the_targets() -> None:
    report = evaluate(CORPUS["test"], "test")
    assert report.recall >= 0.9, report.to_dict()["errors"]
    assert report.precision >= 0.9, report.to_dict()["errors"]
    assert report.fully_right >= 0.9, report.to_dict()["errors"]


def test_the_scores_can_fail() -> None:
    """The metric is no constant: labels with shifted deadlines score as not fully right."""
    plan = CORPUS["test"][0]
    report = evaluate([plan], "probe")
    assert report.fully_right > 0.5
    from dataclasses import replace

    from monitor.changes.commitments.corpus import LabelledPlan

    shifted = LabelledPlan(**{**plan.__dict__, "labels": tuple(replace(l, deadline=None, target=-1) for l in plan.labels)})
    assert evaluate([shifted], "probe").fully_right == 0.0
    hidden = LabelledPlan(**{**plan.__dict__, "text": re.sub(r"\d", "", plan.text)})
    assert evaluate([hidden], "probe").recall < 0.9
