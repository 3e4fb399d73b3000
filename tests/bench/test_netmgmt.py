"""bench/netmgmt.py, briefly, against a real Mosquitto, a real psn and SQLite, so it does not rot: an arm with KPIs
sees and stores every KPI it sent; the store part fills the rows it should and psn answers from the resolution it
should; the growth arithmetic matches a hand computation."""

from __future__ import annotations

import argparse
import multiprocessing as mp
from pathlib import Path

from bench import kpi_history
from bench.kpi_history import Keep, growth
from bench.netmgmt import arm, run_store
from tests.support import Mosquitto


def test_growth_per_day_and_steady_state_by_hand() -> None:
    # 500 cells at 5 s: 8,640,000 samples a day; 720,000 1-min and 48,000 15-min rows a day; 100 B each.
    days = growth(100.0, 100.0, 500, 5.0, Keep())
    assert days == {"raw_bytes_per_day": 864_000_000, "agg_1m_bytes_per_day": 72_000_000,
                    "agg_15m_bytes_per_day": 4_800_000, "first_day_bytes": 940_800_000,
                    # 2 days of raw + 30 days of 1-min + 400 days of 15-min
                    "steady_state_bytes": 1_728_000_000 + 2_160_000_000 + 1_920_000_000}


def test_an_arm_with_kpis_sees_and_stores_every_kpi(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path, extra="max_queued_messages 200000\nmax_inflight_messages 1000\n").start()
    args = argparse.Namespace(units=50, rate=1.0, cells=12, period=1.0, duration=4.0, settle=1.0)
    try:
        row = arm(mp.get_context("spawn"), tmp_path, broker.port, args, "t", kpis=True)
    finally:
        broker.stop()
    # 12 cells once a second for 4 s, paced in 20 ms slices: 47 or 48 sent (the last slice may not be reached)
    assert 44 <= row["kpis_sent"] <= 48
    assert row["kpi_events_seen"] == row["kpis_stored"] == row["kpis_sent"]
    assert row["kpi_store_waits"] == 0 and row["rejected"] == 0
    assert row["kpi_latency"]["samples"] > 0 and row["fix_latency"]["samples"] > 0


def test_the_store_part_fills_its_rows_and_psn_answers_from_the_right_resolution(tmp_path: Path) -> None:
    args = argparse.Namespace(cells=6, days=0.2, raw_hours=0.2, period=5, queries=3, dbs=["sqlite"])
    figures = run_store(args)
    (sqlite,) = figures["per_db"]
    # 0.2 days = 19 whole quarters = 285 minutes: 6 × 285 1-min + 6 × 19 15-min rows; 0.2 h at 5 s = 144 samples
    assert (sqlite["agg_rows"], sqlite["raw_rows"]) == (6 * 285 + 6 * 19, 6 * 144)
    default, worst = sqlite["queries"]
    assert default["answered_from"] == ["15m step 1800 s"] and worst["answered_from"] == ["1m step 1320 s"]
    assert default["samples"] == worst["samples"] == 2
    assert sqlite["bytes_per_raw_sample"] > 40 and sqlite["bytes_per_agg_row"] > 40
    assert kpi_history.cell_name(5) == "BZE-001-3"
