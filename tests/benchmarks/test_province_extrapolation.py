"""benchmarks.province_scale's model of a split crawl: fitted parts, and memory per child."""

from __future__ import annotations

import math

import pytest

from benchmarks.province_scale import Cycle, child_cost_model, largest_child_mb


def _wall(portals: int, per: int, fixed: float, per_portal: float) -> float:
    return math.ceil(portals / per) * fixed + portals * per_portal


def test_the_fit_recovers_the_cost_of_a_child_and_of_a_portal() -> None:
    small = Cycle(100, _wall(100, 250, 30.0, 0.009), 0, 0)
    large = Cycle(300, _wall(300, 250, 30.0, 0.009), 0, 0)
    fixed, per_portal = child_cost_model(small, large, per=250)
    assert fixed == pytest.approx(30.0)
    assert per_portal == pytest.approx(0.009)


def test_one_child_each_still_separates_start_up_from_portals() -> None:
    fixed, per_portal = child_cost_model(Cycle(100, 40.0, 0, 0), Cycle(300, 90.0, 0, 0), per=1000)
    assert (fixed, per_portal) == (pytest.approx(15.0), pytest.approx(0.25))


def test_children_in_proportion_to_portals_charge_everything_per_portal() -> None:
    # 2 children of 50 and 6 of 50: the fixed and per-portal parts cannot be told apart
    fixed, per_portal = child_cost_model(Cycle(100, 40.0, 0, 0), Cycle(300, 90.0, 0, 0), per=50)
    assert (fixed, per_portal) == (0.0, pytest.approx(0.3))


def test_memory_of_a_full_child_is_measured_when_a_cycle_ran_one() -> None:
    assert largest_child_mb(Cycle(100, 0, 150, 150), Cycle(300, 0, 200, 200), per=250) == 200
    # no cycle ran a full child: linear in portals up to one
    assert largest_child_mb(Cycle(100, 0, 150, 150), Cycle(200, 0, 170, 170), per=250) == pytest.approx(180)
