"""The study's step clock: wall seconds per step, and the step running now."""
from __future__ import annotations

import time

import pytest

from ecgfeat.study.step_clock import StepClock


def test_step_clock_adds_up_blocks_of_a_step_and_names_the_running_step():
    clock = StepClock()
    with clock.step("features"):
        assert clock.current == "features"
        time.sleep(0.02)
        with clock.step("index"):
            assert clock.current == "index"
        assert clock.current == "features"
    with clock.step("features"):
        time.sleep(0.02)
    assert clock.current is None
    assert clock.seconds["features"] >= 0.04 and set(clock.seconds) == {"features", "index"}


def test_a_failing_step_is_still_timed_and_the_error_passes_through():
    clock = StepClock()
    with pytest.raises(ValueError), clock.step("bootstrap"):
        raise ValueError("boom")
    assert "bootstrap" in clock.seconds and clock.current is None
