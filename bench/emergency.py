"""Emergency alert latency (the second half of the dispatch benchmark): from a unit's MQTT publish of
`{"type": "emergency"}` to the live `alert` event on a dispatcher's WebSocket, while N units report at R Hz.

A private Mosquitto, `psn serve` (SQLite, positions sealed at rest) and every client in processes of their own
(bench/telemetry.py's). A dispatcher of the units' agency watches `/api/v1/live`; an alert's latency is the time
its event arrives minus its `ts`, which the publisher sets to the moment it publishes (same machine, same clock).
Each of `--alerts` emergencies comes from a unit of its own (`police/E-<n>`), one every `--every` s.
Baseline in the same run: the same alerts on the same psn with no background load, measured first. Beside them,
the publish → WebSocket latency of the background fixes themselves (coalesced per live tick). Target: p99 ≤ 250 ms
with 5,000 units at 1 Hz. Prints the figures and writes bench/results/emergency-<UTC>.json.

    .venv/bin/python -m bench.emergency --units 5000 --rate 1 --alerts 100 --every 0.3
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time
from typing import Any

import numpy as np

from bench.raw_results import save
from bench.telemetry import Psn, bench_broker, client, publish_paced
from telemetry.topics import UnitKind, unit_topic


def watch(base_ws: str, token: str, alerts: int, result: Any, ready: Any, stop: Any) -> None:
    """Alert latencies (s) and fix latencies (s) seen on one dispatcher's live feed until `alerts` alerts came."""
    from websockets.sync.client import connect

    alert_s: list[float] = []
    fix_s: list[float] = []
    with connect(f"{base_ws}/api/v1/live?access_token={token}", max_size=None) as ws:
        ws.recv(timeout=10)
        ready.set()
        while len(alert_s) < alerts and not stop.is_set():
            try:
                message = json.loads(ws.recv(timeout=1))
            except TimeoutError:
                continue
            now = time.time()
            if message["type"] == "alert":
                alert_s.append(now - message["alert"]["ts"])
            elif message["type"] == "update":
                fix_s.extend(now - unit["ts"] for unit in message["units"])
    result.put((alert_s, fix_s))


def publish_alerts(port: int, first: int, count: int, every: float) -> None:
    c = client(port, f"bench-alerts-{first}")
    c.loop_start()
    for n in range(first, first + count):
        sent = time.time()
        payload = {"ts": sent, "type": "emergency", "lat": 17.25, "lon": -88.77, "note": f"bench {n}"}
        c.publish(unit_topic("police", f"E-{n}", UnitKind.ALERT), json.dumps(payload), qos=1).wait_for_publish(10)
        time.sleep(max(0.0, every - (time.time() - sent)))
    c.disconnect()
    c.loop_stop()


def measure(ctx: Any, psn: Psn, mqtt_port: int, first: int, args: argparse.Namespace,
            load: bool) -> tuple[list[float], list[float]]:
    ready, stop, result = ctx.Event(), ctx.Event(), ctx.Queue()
    watcher = ctx.Process(target=watch, args=(f"ws://127.0.0.1:{psn.port}", psn.token, args.alerts, result, ready,
                                              stop))
    watcher.start()
    ready.wait(20)
    background = None
    sent = ctx.Queue()  # held here: a queue only the child references is gone before the child unpickles it
    if load:
        duration = args.alerts * args.every + 15
        background = ctx.Process(target=publish_paced, args=(mqtt_port, args.units, args.rate, duration, sent))
        background.start()
        time.sleep(5)  # the load settles before the first alert
    alerts = ctx.Process(target=publish_alerts, args=(mqtt_port, first, args.alerts, args.every))
    alerts.start()
    alerts.join()
    alert_s, fix_s = result.get(timeout=60 + args.alerts * args.every)
    stop.set()
    watcher.join(10)
    if background is not None:
        background.terminate()
        background.join()
    return alert_s, fix_s


def percentiles(seconds: list[float]) -> dict[str, float | int]:
    if not seconds:
        return {"samples": 0}
    ms = np.array(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 1), "p99_ms": round(float(np.percentile(ms, 99)), 1),
            "max_ms": round(float(ms.max()), 1), "samples": len(ms)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    with bench_broker() as (work, mqtt_port), Psn(work, mqtt_port, "sqlite", True, "emergency") as psn:
        idle, _ = measure(ctx, psn, mqtt_port, 0, args, load=False)
        loaded, fixes = measure(ctx, psn, mqtt_port, args.alerts, args, load=True)
        stats = psn.stats()
    if not fixes:
        raise RuntimeError("no background fix reached the dispatcher: the load did not run")
    return {"units": args.units, "rate_hz": args.rate, "alerts": args.alerts, "every_s": args.every,
            "alert_latency_under_load": percentiles(loaded), "alert_latency_idle_baseline": percentiles(idle),
            "fix_latency_under_load": percentiles(fixes), "rejected": stats["rejected_total"],
            "accepted": stats["accepted"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=5000, help="background units")
    parser.add_argument("--rate", type=float, default=1.0, help="fixes per background unit per second")
    parser.add_argument("--alerts", type=int, default=100, help="emergencies measured in each phase")
    parser.add_argument("--every", type=float, default=0.3, help="seconds between emergencies")
    args = parser.parse_args()
    figures = run(args)
    print(json.dumps(figures, indent=2))
    print(f"raw JSON: {save('emergency', figures)}", file=sys.stderr)


if __name__ == "__main__":
    main()
