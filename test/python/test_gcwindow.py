"""The pump's garbage-collection window (gcwindow) puts back exactly the program's thresholds:
one it sets during a window or while the pump waits for a due collection stands, and a raised
threshold it read during a window and set back is not taken for its own."""

from __future__ import annotations

import gc
import threading

import pytest

from deferred_graph.gcwindow import GcWindow


@pytest.fixture
def thresholds():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_a_threshold_set_during_a_window_stands(thresholds):
    window = GcWindow()
    assert window.hold() and gc.get_threshold()[0] > 10**6
    gc.set_threshold(5000, 20, 20)
    window.release()
    assert gc.get_threshold() == (5000, 20, 20)


def test_a_threshold_set_while_a_due_collection_waits_stands(thresholds):
    """Allocations past the threshold during the window make a collection due; release then
    waits for the program's thread to run it, and the program sets a threshold meanwhile."""
    window = GcWindow()
    assert window.hold()
    kept = [[i] for i in range(3000)]  # tracked objects past the young threshold
    waiting = threading.Thread(target=window.release)
    waiting.start()
    gc.set_threshold(5000, 20, 20)
    waiting.join()
    assert gc.get_threshold() == (5000, 20, 20)
    del kept


def test_the_raised_threshold_read_and_set_back_is_not_taken_for_the_programs(thresholds):
    window = GcWindow()
    assert window.hold()
    seen = gc.get_threshold()  # a library saving the threshold during a drain
    window.release()
    gc.set_threshold(*seen)  # ...and putting it back after
    assert window.hold()
    window.release()
    assert gc.get_threshold() == (700, 10, 10)


def test_no_window_when_automatic_collection_is_off(thresholds):
    gc.disable()
    try:
        assert not GcWindow().hold()
    finally:
        gc.enable()
    gc.set_threshold(0)
    assert not GcWindow().hold()
