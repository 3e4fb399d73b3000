"""bench/scale.py: when a step holds and which rate is the sustained one (hand-made step tables), and its quick
run on the real topology (two instances, then one: every fix stored, each instance's live feed timed)."""

from __future__ import annotations

import pytest

from bench.scale import Step, held, parse, run, sustained_rate

GRACE = 3.0
# offered msg/s, sent, seconds publishing, stored, drain_s
KEPT_UP = Step(500, 5000, 10.0, 5000, 0.4)
SLOWER = Step(1000, 9800, 10.0, 9800, 1.2)  # the publisher itself fell short of 1,000: 980 msg/s achieved
LATE = Step(2000, 19000, 10.0, 19000, None)  # all stored in the end, but not within the grace
LOST = Step(2000, 19000, 10.0, 18990, 0.5)  # ten fixes never stored


def test_a_step_holds_when_everything_is_stored_within_the_grace() -> None:
    assert held(KEPT_UP, GRACE) and held(SLOWER, GRACE)
    assert not held(LATE, GRACE) and not held(LOST, GRACE)
    assert not held(Step(500, 5000, 10.0, 5000, 3.5), GRACE)


def test_the_sustained_rate_is_the_achieved_rate_of_the_last_step_before_the_first_failure() -> None:
    assert sustained_rate([KEPT_UP, SLOWER, LOST], GRACE) == pytest.approx(980.0)
    # A later step that holds again does not count: the load was not sustained on the way there.
    assert sustained_rate([KEPT_UP, LATE, SLOWER], GRACE) == pytest.approx(500.0)
    assert sustained_rate([LOST, KEPT_UP], GRACE) is None


@pytest.mark.postgres
@pytest.mark.timeout(150)
def test_quick_run_on_two_instances_then_one() -> None:
    figures = run(parse(["--quick"]))
    for name, instances in (("two_instances", ("a", "b")), ("one_instance", ("a",))):
        (step,) = figures[name]["steps"]
        assert step["held"] and step["stored"] == step["sent"] > 0, step
        assert set(step["cores"]) == {*instances, "broker", "database"}
        for instance in instances:
            assert step[f"live_{instance}_ms"]["samples"] > 0
            assert step["taken"][instance] > 0
    # Before shared subscriptions every instance takes every fix (2.0); with them, each fix is taken once (1.0).
    assert figures["each_fix_taken_by"] in (1.0, 2.0)
