"""Probe-to-segment latency: N units at R Hz driving the shipped roads, through a real Mosquitto into a real psn,
with the traffic service on and then off (the baseline) in the same invocation.

Publishers in their own process (as bench/telemetry.py): each unit drives one road edge of the shipped graph (at
least 300 m long) at 15 m/s, back to its start at the end, one fix per 1/R s with `ts` = the time of publishing.
One dispatcher's live WebSocket (dispatchers may view traffic) records, for every message:
  - traffic events: now − `updated` of every segment in it (the newest sample's `ts`, i.e. its fix's publish
    time): how late a fix shows as a segment speed. It includes the map matcher's fixed lag (a fix's speed is
    decided when the next fix arrives: 1/R s) and the wait for the next tick (`--tick`, psn's traffic_tick_s);
  - unit updates: now − the unit's `ts`: the same fixes' ingest latency to the live map.
The load begins once /healthz says the traffic service is built (`"traffic": "ready"`). Each psn gets `--warmup` s
of load first, reported apart (`warmup_*`: the start-up transient), then `--duration` s measured. The second psn
runs with `PSN_TRAFFIC_ENABLED=false`: its live-map figures are what the same load costs without any traffic
work. Prints p50/p99 of both runs and writes bench/results/traffic-*.json.

    .venv/bin/python -m bench.traffic latency --units 5000 --rate 1 --warmup 10 --duration 30 --tick 1
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import time
from typing import Any

import httpx
import numpy as np

from bench.telemetry import Psn, bench_broker, client, live_messages, topic

SPEED_MPS = 15.0
MIN_EDGE_M = 300.0


def roads(units: int, seed: int = 7) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Per unit: its edge's start (x, y) in UTM metres, unit direction, length."""
    from traffic.loader import load_roads

    graph = load_roads().graph()
    long = np.flatnonzero(graph.length_m >= MIN_EDGE_M)
    edges = np.random.default_rng(seed).choice(long, size=units)
    start, end = graph.xy[graph.tail[edges]], graph.xy[graph.head[edges]]
    length = graph.length_m[edges]
    return start, (end - start) / length[:, None], length


def publish_driving(port: int, units: int, rate: float, duration: float, result: Any) -> None:
    """Each unit once per 1/rate s, spread evenly over the period in 20 ms slices (as bench.telemetry)."""
    from traffic.utm import to_lonlat

    start_xy, direction, length = roads(units)
    heading = np.degrees(np.arctan2(direction[:, 0], direction[:, 1])) % 360
    c = client(port, f"bench-driving-{os.getpid()}")
    c.loop_start()
    slice_s, per_slice = 0.02, units * rate * 0.02
    t0 = time.time()
    sent, i = 0.0, 0
    while (now := time.time()) - t0 < duration:
        sent += per_slice
        due = np.arange(i, int(sent)) % units  # this slice's units, positioned in one projection call
        if len(due):
            s = (SPEED_MPS * (now - t0)) % length[due]
            lonlat = to_lonlat(start_xy[due] + direction[due] * s[:, None]).reshape(-1, 2)
            for unit, (lon, lat) in zip(due.tolist(), lonlat.tolist(), strict=True):
                body = {"ts": time.time(), "lat": lat, "lon": lon, "speed": SPEED_MPS, "heading": heading[unit]}
                c.publish(topic(unit), json.dumps(body).encode(), qos=1)
            i += len(due)
        time.sleep(max(0.0, slice_s - (time.time() - now)))
    result.put((i, t0, time.time()))
    c.disconnect()
    c.loop_stop()


def watch(base_ws: str, token: str, duration: float, result: Any, ready: Any) -> None:
    """(arrival time, latency) of every segment in traffic events and of every unit in live-map updates."""
    segments: list[tuple[float, float]] = []
    units: list[tuple[float, float]] = []
    ticks = 0
    for now, message in live_messages(base_ws, token, duration, ready):
        if message.get("type") == "traffic":
            ticks += 1
            segments.extend((now, now - f["properties"]["updated"]) for f in message["segments"]
                            if f["properties"]["updated"] is not None)
        elif "units" in message:
            units.extend((now, now - unit["ts"]) for unit in message["units"])
    result.put((segments, units, ticks))


def percentiles(prefix: str, values: list[float]) -> dict[str, Any]:
    if not values:
        return {f"{prefix}_samples": 0}
    a = np.array(values) * 1000
    return {f"{prefix}_ms_p50": round(float(np.percentile(a, 50)), 1),
            f"{prefix}_ms_p99": round(float(np.percentile(a, 99)), 1), f"{prefix}_samples": len(a)}


def phases(prefix: str, arrivals: list[tuple[float, float]], measured_from: float) -> dict[str, Any]:
    """Percentiles of what arrived in the warm-up (the start-up transient, reported apart) and after it."""
    return {**percentiles(f"warmup_{prefix}", [late for at, late in arrivals if at < measured_from]),
            **percentiles(prefix, [late for at, late in arrivals if at >= measured_from])}


def outcomes(psn: Psn) -> dict[str, float]:
    text = httpx.get(f"{psn.base}/metrics", headers={"Authorization": f"Bearer {psn.token}"}, timeout=10).text
    return {m[1]: float(m[2]) for m in re.finditer(r'^psn_traffic_match_total\{outcome="(\w+)"\} (\S+)$', text,
                                                   re.MULTILINE)}


def wait_traffic(psn: Psn, state: str, timeout: float = 60.0) -> None:
    """Until /healthz says the traffic service is `state` (built at start: the load begins on a ready server)."""
    deadline = time.time() + timeout
    while (now := httpx.get(f"{psn.base}/healthz", timeout=10).json().get("traffic")) != state:
        if time.time() > deadline:
            raise RuntimeError(f"psn's traffic service still {now!r} after {timeout:.0f} s, not {state!r}")
        time.sleep(0.1)


def one_run(args: argparse.Namespace, traffic: bool) -> dict[str, Any]:
    """One psn with the traffic service on or off, `--warmup` s of load reported apart, then `--duration` s."""
    ctx = mp.get_context("spawn")
    os.environ["PSN_TRAFFIC_TICK_S"] = str(args.tick)
    os.environ["PSN_TRAFFIC_ENABLED"] = "true" if traffic else "false"
    load_s = args.warmup + args.duration
    figures: dict[str, Any] = {"traffic_enabled": traffic}
    label = "traffic-on" if traffic else "traffic-off"
    with bench_broker() as (work, mqtt_port), Psn(work, mqtt_port, "sqlite", True, label) as psn:
        wait_traffic(psn, "ready" if traffic else "off")
        ready, result, sent_q = ctx.Event(), ctx.Queue(), ctx.Queue()
        watcher = ctx.Process(target=watch, args=(f"ws://127.0.0.1:{psn.port}", psn.token, load_s + 5, result,
                                                  ready))
        watcher.start()
        ready.wait(20)
        pub = ctx.Process(target=publish_driving, args=(mqtt_port, args.units, args.rate, load_s, sent_q))
        pub.start()
        sent, t_start, t_end = sent_q.get(timeout=load_s + 120)
        pub.join()
        segments, units, ticks = result.get(timeout=load_s + 60)
        watcher.join()
        stats = psn.stats()
        bus = {b["name"]: b for b in stats.get("bus", [])}.get("traffic", {})
        figures.update({"offered_msgs_per_s": round(sent / (t_end - t_start)), "ticks_seen": ticks,
                        **phases("segment_latency", segments, t_start + args.warmup),
                        **phases("baseline_live_map", units, t_start + args.warmup)})
        if traffic:
            figures.update({"match_outcomes": outcomes(psn), "traffic_bus_dropped": bus.get("dropped"),
                            "traffic_bus_queued_end": bus.get("queued")})
    return figures


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Traffic on, then off (the baseline: the same load on the live map without any traffic work)."""
    figures: dict[str, Any] = {"units": args.units, "rate_hz": args.rate, "warmup_s": args.warmup,
                               "duration_s": args.duration, "tick_s": args.tick}
    runs = [one_run(args, True), one_run(args, False)]
    for name, figures_of in zip(("traffic_on", "traffic_off"), runs, strict=True):
        figures[name] = figures_of
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures_of.items() if "_ms_" in k), flush=True)
    return figures


def add_parser(sub: Any) -> None:
    """`python -m bench.traffic latency`: this benchmark's arguments."""
    latency = sub.add_parser("latency", help="probe-to-segment latency p99 under N units at R Hz, "
                                             "the live map's as the baseline")
    latency.add_argument("--units", type=int, default=5000)
    latency.add_argument("--rate", type=float, default=1.0, help="fixes per unit per second")
    latency.add_argument("--warmup", type=float, default=10.0,
                         help="seconds of load first, reported apart (the start-up transient)")
    latency.add_argument("--duration", type=float, default=30.0, help="seconds of load measured after the warm-up")
    latency.add_argument("--tick", type=float, default=1.0, help="psn's traffic_tick_s for the run")
    latency.set_defaults(run=run)
