"""crawler.heap: the start-up heap is frozen, later garbage is still collected."""

from __future__ import annotations

import gc
import weakref
from typing import Iterator

import pytest

from crawler.heap import YOUNG_THRESHOLD, freeze_startup_heap


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_start_up_objects_are_frozen_and_young_threshold_raised(restored_gc: None) -> None:
    freeze_startup_heap()
    assert gc.get_freeze_count() > 1000  # at least the test session's own modules
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD


def test_a_cycle_made_after_the_freeze_is_still_collected(restored_gc: None) -> None:
    freeze_startup_heap()
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    alive = weakref.ref(a)
    del a, b
    gc.collect()
    assert alive() is None
