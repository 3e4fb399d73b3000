"""Network management (issue 12) benchmark: cell KPIs beside the units' telemetry, their storage, their queries.

`ingest` — a private Mosquitto (queues raised as psn's generated config raises them), psn (`psn serve`, SQLite,
positions sealed at rest) and every load generator in processes of their own. Arms alternate round by round
(off, on / on, off …), each on a fresh psn: "off" is `--units` units at `--rate` Hz alone (the baseline), "on" the
same with `--cells` cells publishing their KPIs every `--period` s (QoS 1, as the equipment does). One dispatcher
who is also a network admin watches `/api/v1/live`: a fix's latency is its arrival there minus its `ts`, a KPI's
latency its `net_kpi` event's arrival minus its `ts` (both set when published; one machine, one clock). The first
`--settle` s of each arm are left out. After each arm: the KPIs psn stored (`psn_net_kpi_written_total`) and the
times ingest waited for the KPI store (`psn_net_kpi_waits_total`). Reports every arm, the medians of the p99s per arm
kind and their spread.

`store` — for each of `--dbs`, a fresh database (SQLite under a scratch psn data dir, or a scratch PostgreSQL
database made and dropped through `--pg-admin`) filled in time order with `--days` of 1-min and 15-min aggregates
and `--raw-hours` of raw samples of `--cells` cells (bench/kpi_history.py); bytes per raw sample and per aggregate
row (with their indexes); a day's growth and the steady-state size at psn's default retention; then a psn on that
database answers `GET /api/v1/net/cells/{id}/kpi` over a 30-day window of random cells, `--queries` times at the
default step and at 1320 s (the worst: every 1-min row of the window), p50/p99 over HTTP.

    .venv/bin/python -m bench.netmgmt ingest --units 5000 --cells 500 --duration 20 --rounds 3
    .venv/bin/python -m bench.netmgmt store --cells 500 --days 30 --dbs sqlite postgresql

Prints the figures and writes bench/results/netmgmt-<UTC>.json. Targets: KPI p99 small against the 5 s period,
telemetry p99 unchanged within noise, a 30-day query ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import multiprocessing as mp
import os
import random
import re
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.emergency import percentiles
from bench.kpi_history import DAY, Keep, cell_name, fill, growth, row_bytes
from bench.raw_results import save
from bench.telemetry import Psn, bench_broker, live_messages, publish_paced
from psn.store import Database
from psn.store.net_kpi_schema import net_kpi_agg, net_kpi_raw
from telemetry.topics import cell_kpi_topic

WORST_STEP_S = 1320  # a multiple of 60 s but not of 900 s, ≥ 30 days / 2,000 points: reads every 1-min row
WINDOW_S = 30 * DAY


def kpi_message(cell: int, now: float) -> tuple[str, bytes]:
    name = cell_name(cell)
    return cell_kpi_topic(name), json.dumps({
        "cell": name, "ts": now, "connected_ues": 20 + cell % 50, "prb_util_dl": 0.41, "prb_util_ul": 0.27,
        "thr_dl_mbps": 14.5, "thr_ul_mbps": 3.2, "mean_dl_sinr_db": 13.5, "bearers_rejected": 0,
        "bearers_preempted": 0}).encode()


def watch(base_ws: str, token: str, duration: float, ready: Any, result: Any) -> None:
    """(ts, latency s) of every fix and every KPI one live WebSocket receives for `duration` s."""
    fixes: list[tuple[float, float]] = []
    kpis: list[tuple[float, float]] = []
    for now, message in live_messages(base_ws, token, duration, ready):
        if message["type"] == "update":
            fixes.extend((unit["ts"], now - unit["ts"]) for unit in message["units"])
        elif message["type"] == "net_kpi":
            kpis.append((message["kpi"]["ts"], now - message["kpi"]["ts"]))
    result.put((fixes, kpis))


def metric(psn: Psn, name: str) -> float:
    text = httpx.get(f"{psn.base}/metrics", headers={"Authorization": f"Bearer {psn.token}"}, timeout=10).text
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    return float(found[1]) if found else 0.0


def stored_kpis(psn: Psn, expected: int, timeout: float = 15) -> int:
    """psn_net_kpi_written_total once it reaches `expected` (the writer stores every second), or at `timeout`."""
    deadline = time.monotonic() + timeout
    while (written := int(metric(psn, "psn_net_kpi_written_total"))) < expected and time.monotonic() < deadline:
        time.sleep(0.5)
    return written


def arm(ctx: Any, work: Path, mqtt_port: int, args: argparse.Namespace, label: str, kpis: bool) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    with Psn(work, mqtt_port, "sqlite", True, label) as psn:
        ready, result, sent_units, sent_cells = ctx.Event(), ctx.Queue(), ctx.Queue(), ctx.Queue()
        # The watcher outlasts the publishers by 8 s: at load 14 a 3 s margin closed it before the last KPIs came.
        watcher = ctx.Process(target=watch, args=(f"ws://127.0.0.1:{psn.port}", psn.token, args.duration + 8, ready,
                                                  result))
        watcher.start()
        ready.wait(20)
        publishers = [ctx.Process(target=publish_paced,
                                  args=(mqtt_port, args.units, args.rate, args.duration, sent_units))]
        if kpis:
            publishers.append(ctx.Process(target=publish_paced, args=(mqtt_port, args.cells, 1 / args.period,
                                                                      args.duration, sent_cells, kpi_message)))
        for publisher in publishers:
            publisher.start()
        fixes_sent, start, end = sent_units.get(timeout=args.duration + 60)
        kpis_sent = sent_cells.get(timeout=60)[0] if kpis else 0
        for publisher in publishers:
            publisher.join()
        fixes, kpi_seen = result.get(timeout=60)
        watcher.join()
        written = stored_kpis(psn, kpis_sent) if kpis else 0
        stats = psn.stats()
        waits = metric(psn, "psn_net_kpi_waits_total")
    steady = start + args.settle
    return {"arm": "on" if kpis else "off", "label": label,
            "fix_latency": percentiles([lat for ts, lat in fixes if ts >= steady]),
            "kpi_latency": percentiles([lat for ts, lat in kpi_seen if ts >= steady]),
            "fixes_offered_per_s": round(fixes_sent / (end - start)), "kpis_sent": kpis_sent,
            "kpi_events_seen": len(kpi_seen), "kpis_stored": written, "kpi_store_waits": int(waits),
            "accepted": stats["accepted"], "rejected": stats["rejected_total"],
            "load_avg_1m_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def spread(arms: list[dict[str, Any]], kind: str, figure: str) -> dict[str, Any]:
    values = [a[figure]["p99_ms"] for a in arms if a["arm"] == kind]
    return {"p99_ms_median": round(statistics.median(values), 1), "p99_ms_min": min(values),
            "p99_ms_max": max(values), "arms": len(values)}


def run_ingest(args: argparse.Namespace) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    arms: list[dict[str, Any]] = []
    with bench_broker() as (work, mqtt_port):
        for index in range(args.rounds):
            order = (False, True) if index % 2 == 0 else (True, False)
            arms.extend(arm(ctx, work, mqtt_port, args, f"{'on' if kpis else 'off'}-{index}", kpis)
                        for kpis in order)
    off, on = spread(arms, "off", "fix_latency"), spread(arms, "on", "fix_latency")
    return {"part": "ingest", "units": args.units, "rate_hz": args.rate, "cells": args.cells,
            "kpi_period_s": args.period, "duration_s": args.duration, "settle_s": args.settle,
            "rounds": args.rounds, "kpi_latency_on": spread(arms, "on", "kpi_latency"),
            "fix_latency_off_baseline": off, "fix_latency_on": on,
            "fix_p99_on_minus_off_ms": round(on["p99_ms_median"] - off["p99_ms_median"], 1), "per_arm": arms}


@contextlib.contextmanager
def scratch_postgres(admin: str) -> Iterator[str]:
    name = f"psn_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def time_queries(psn: Psn, cells: int, count: int, step: int | None) -> dict[str, Any]:
    """`count` queries of random cells over the last 30 days (from 60 s inside the 1-min retention)."""
    rng = random.Random(step)
    seconds, points, sources = [], set(), set()
    with httpx.Client(base_url=psn.base, headers={"Authorization": f"Bearer {psn.token}"}, timeout=60) as http:
        for _ in range(count):
            now = time.time()
            params: dict[str, Any] = {"from": now - WINDOW_S + 60, "to": now + 60}
            if step is not None:
                params["step"] = step
            began = time.perf_counter()
            answer = http.get(f"/api/v1/net/cells/{cell_name(rng.randrange(cells))}/kpi", params=params)
            seconds.append(time.perf_counter() - began)
            answer.raise_for_status()
            body = answer.json()
            points.add(len(body["points"]))
            sources.add(f"{body['source']} step {body['step_s']} s")
    return {"step_asked": step, "answered_from": sorted(sources), "points": sorted(points),
            "first_ms": round(seconds[0] * 1000, 1), **percentiles(seconds[1:])}


def store_one(ctx_work: Path, mqtt_port: int, args: argparse.Namespace, kind: str, url: str) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    db = Database(url if kind == "sqlite" else "postgresql+psycopg://" + url.split("://", 1)[1])
    db.migrate()
    filled = fill(db, args.cells, args.days, args.raw_hours, args.period, time.time())
    raw_b, agg_b = row_bytes(db, net_kpi_raw), row_bytes(db, net_kpi_agg)
    db.close()
    psn_db = "sqlite" if kind == "sqlite" else url
    with Psn(ctx_work, mqtt_port, psn_db, True, f"store-{kind}") as psn:
        queries = [time_queries(psn, args.cells, args.queries, step) for step in (None, WORST_STEP_S)]
    days = growth(raw_b, agg_b, args.cells, args.period, Keep())
    return {"db": kind, "raw_rows": filled.raw_rows, "agg_rows": filled.agg_rows,
            "fill_rows_per_s": round((filled.raw_rows + filled.agg_rows) / filled.seconds),
            "bytes_per_raw_sample": round(raw_b, 1), "bytes_per_agg_row": round(agg_b, 1),
            **{name: round(value / 2**20, 1) for name, value in
               ((k.replace("bytes", "mib"), v) for k, v in days.items())},
            "queries": queries, "load_avg_1m_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def run_store(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"part": "store", "cells": args.cells, "days": args.days,
                               "raw_hours": args.raw_hours, "period_s": args.period, "queries": args.queries,
                               "retention": dataclasses.asdict(Keep()), "per_db": []}
    with bench_broker() as (work, mqtt_port):
        for kind in args.dbs:
            if kind == "sqlite":
                path = Psn.data_dir(work, True, "store-sqlite") / "psn.db"
                figures["per_db"].append(store_one(work, mqtt_port, args, kind, f"sqlite:///{path}"))
            else:
                with scratch_postgres(args.pg_admin) as url:
                    figures["per_db"].append(store_one(work, mqtt_port, args, kind, url))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parts = parser.add_subparsers(dest="part", required=True)
    ingest = parts.add_parser("ingest", help="KPI latency, and telemetry latency with KPIs on and off")
    ingest.add_argument("--units", type=int, default=5000)
    ingest.add_argument("--rate", type=float, default=1.0, help="fixes per unit per second")
    ingest.add_argument("--cells", type=int, default=500)
    ingest.add_argument("--period", type=float, default=5.0, help="seconds between a cell's KPIs")
    ingest.add_argument("--duration", type=float, default=20.0, help="seconds of load in each arm")
    ingest.add_argument("--settle", type=float, default=2.0, help="seconds at the start of each arm left out")
    ingest.add_argument("--rounds", type=int, default=3, help="rounds, each an arm with KPIs and one without")
    store = parts.add_parser("store", help="bytes per row, growth per day, 30-day query times")
    store.add_argument("--cells", type=int, default=500)
    store.add_argument("--days", type=float, default=30.0, help="days of 1-min and 15-min aggregates")
    store.add_argument("--raw-hours", type=float, default=1.0, help="hours of raw samples")
    store.add_argument("--period", type=int, default=5, help="seconds between a cell's KPIs")
    store.add_argument("--queries", type=int, default=100, help="queries at each step")
    store.add_argument("--dbs", nargs="+", choices=("sqlite", "postgresql"), default=["sqlite", "postgresql"])
    store.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/postgres",
                       help="a PostgreSQL URL allowed to create and drop the scratch database")
    args = parser.parse_args()
    if args.part == "ingest" and (args.rounds < 1 or args.duration <= args.settle):
        parser.error("--rounds must be at least 1 and --duration longer than --settle")
    if args.part == "store" and args.queries < 2:
        parser.error("--queries must be at least 2 (the first is reported apart)")
    figures = run_ingest(args) if args.part == "ingest" else run_store(args)
    print(json.dumps(figures, indent=2))
    print(f"raw JSON: {save('netmgmt', figures)}", file=sys.stderr)


if __name__ == "__main__":
    main()
