import numpy as np
import pytest

from simulator.radio.scheduler import ScheduleInput, SchedulerConfig, schedule

CFG = SchedulerConfig(prbs=50, interval_s=0.01, duration_s=1.0)


def inp(bits, priority, rate, cell=None, max_prbs=None, budget=0.1) -> ScheduleInput:
    n = len(bits)
    return ScheduleInput(
        cell=np.array(cell or [0] * n), bits_per_prb_tti=np.array(bits, float),
        max_prbs=np.array(max_prbs or [50.0] * n), priority=np.array(priority, float),
        rate_bps=np.array(rate, float), delay_budget_s=np.full(n, budget), active=np.ones(n, bool),
    )


def test_strict_priority_serves_gbr_first_and_best_effort_gets_the_rest() -> None:
    # cell: 50 PRB x 1000 TTI x 100 bits = 5 Mbit/s
    r = schedule(inp([100, 100], [1.5, 9.0], [2e6, 10e6]), 1, CFG)
    assert r.throughput_bps[0] == pytest.approx(2e6)
    assert r.throughput_bps[1] == pytest.approx(3e6)
    assert r.cell_prb_load[0] == pytest.approx(1.0)
    assert r.drop_ratio[0] == 0.0 and r.drop_ratio[1] > 0.5
    assert r.p95_delay_s[0] <= 0.01 + 1e-9 and r.p95_delay_s[1] > 0.05


def test_round_robin_shares_prbs_equally_and_pf_favours_neither_when_rates_are_equal() -> None:
    x = inp([200, 100], [9, 9], [50e6, 50e6])
    rr = schedule(x, 1, SchedulerConfig(policy="rr", prbs=50))
    assert rr.throughput_bps[0] == pytest.approx(2 * rr.throughput_bps[1])  # same PRBs, twice the bits
    pf = schedule(x, 1, SchedulerConfig(policy="pf", prbs=50))
    assert pf.throughput_bps.sum() >= rr.throughput_bps.sum() - 1.0


def test_power_headroom_caps_an_uplink_bearer() -> None:
    r = schedule(inp([100], [1.5], [5e6], max_prbs=[10.0]), 1, CFG)
    assert r.throughput_bps[0] == pytest.approx(10 * 100 * 1000)


def test_light_load_meets_budget_with_no_drops_in_every_cell() -> None:
    r = schedule(inp([100] * 4, [0.7, 1.5, 0.7, 1.5], [0.04e6, 1e6, 0.04e6, 1e6], cell=[0, 0, 1, 1]), 2, CFG)
    assert np.all(r.drop_ratio == 0) and np.all(r.p95_delay_s <= 0.1)
    assert r.throughput_bps == pytest.approx([0.04e6, 1e6, 0.04e6, 1e6])


def test_half_ms_slots_double_the_prb_slots_per_second() -> None:
    x = inp([100], [9], [50e6])
    lte = schedule(x, 1, SchedulerConfig(prbs=50, slot_s=1e-3))
    nr = schedule(x, 1, SchedulerConfig(prbs=50, slot_s=0.5e-3))
    assert nr.throughput_bps[0] == pytest.approx(2 * lte.throughput_bps[0])
