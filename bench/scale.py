"""One psn instance against two, on one Mosquitto and one PostgreSQL: the production shape of tests/topology.py
(Mosquitto from `psn broker-config` with mTLS and persistence, a fresh PostgreSQL database, `psn serve` processes
with PSN_INSTANCE a and b), load generators in their own processes (bench/scale_load.py).

For each phase (two instances first, then b stopped and its broker session ended: one instance, the baseline of
the same run) the offered QoS 1 fix rate steps up, `--step-s` seconds a step, until a step fails. A step holds when
every fix published in it is in PostgreSQL (counted there) within `--grace-s` of the last publish: the sustained
rate is the last step that held. Each step also gives the delay from publish to a live WebSocket on each instance
(p50/p99), the CPU each psn process, the broker and the database's backends used (cores, from /proc), and how
many fixes each instance took from the broker (with shared subscriptions they add up to what was sent; without,
each instance took them all).

    .venv/bin/python -m bench.scale --units 1000 --publishers 2 --rates 500,1000,2000,3000,4000,5000 --step-s 10
    .venv/bin/python -m bench.scale --quick     # a smoke test: one small step a phase (tests/bench/test_scale.py)

Run it as a module from the repository root. Prints the figures as JSON and writes them to bench/results/.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import httpx
import numpy as np
import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

from bench.raw_results import save
from bench.video import cpu_seconds
from tests.topology import ADMIN, PASSWORD, REPO, Instance, Topology, running

# After the last fix is stored, how long the watchers go on: the live feed sends coalesced changes every 0.1 s
# (live_interval_s), and a fix is in the feed before it is committed, so this is margin, not a wait for a backlog.
LIVE_SETTLE_S = 0.5


@dataclass(frozen=True)
class Step:
    """What one offered rate gave."""

    offered_msgs_per_s: float
    sent: int
    seconds: float  # first to last publish
    stored: int  # rows the step added to PostgreSQL
    drain_s: float | None  # last publish to every fix stored; None: not within the grace


def held(step: Step, grace_s: float) -> bool:
    """Every fix stored (none lost), and within the grace after the last publish (psn kept up)."""
    return step.stored == step.sent and step.drain_s is not None and step.drain_s <= grace_s


def sustained_rate(steps: Sequence[Step], grace_s: float) -> float | None:
    """The achieved rate (sent over the publishing time) of the last step before the first that did not hold;
    None when even the first did not."""
    rate = None
    for step in steps:
        if not held(step, grace_s):
            break
        rate = step.sent / step.seconds
    return rate


def stored_fixes(db_url: str) -> int:
    with psycopg.connect(db_url) as conn:
        row = conn.execute("SELECT count(*) FROM fixes").fetchone()
    return int(row[0]) if row else 0


def quiet(db_url: str, timeout: float = 120.0) -> None:
    """Waits until the stored count stops moving (two reads 0.5 s apart agree): what a step that did not hold left
    in psn's writer or at the broker is stored before the next step counts (measured: the first step after a
    failed one found 242 more rows than it had sent)."""
    deadline = time.time() + timeout
    last = stored_fixes(db_url)
    while time.time() < deadline:
        time.sleep(0.5)
        now = stored_fixes(db_url)
        if now == last:
            return
        last = now
    raise RuntimeError(f"fixes still being stored after {timeout:.0f} s")


def database_pids(db_url: str) -> list[int]:
    """The PostgreSQL backends serving the bench's database (psn's connection pools): the database's share of the
    work (PostgreSQL's shared background processes, the WAL writer and checkpointer, are not counted)."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                            "AND pid <> pg_backend_pid()").fetchall()
    return [int(row[0]) for row in rows]


def backend_cpu(pids: Sequence[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):  # a backend that ended meanwhile
            total += cpu_seconds(pid)
    return total


def load_process(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bench.scale_load", *argv], cwd=REPO, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)


def result_of(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, _ = process.communicate("stop\n", timeout=120)
    if process.returncode != 0:
        raise RuntimeError(f"a load generator failed (exit code {process.returncode})")
    found: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return found


def accepted(instance: Instance, token: str) -> int:
    body = httpx.get(f"{instance.url}/api/v1/stats", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    return int(body.json()["accepted"])


def run_step(topology: Topology, instances: list[Instance], token: str, rate: float,
             args: argparse.Namespace) -> tuple[Step, dict[str, Any]]:
    quiet(topology.db_url)
    watchers = {i.name: load_process("watch", "--url", i.ws_url, "--token", token, "--duration",
                                     str(args.step_s + args.grace_s + 10)) for i in instances}
    for watcher in watchers.values():
        assert watcher.stdout is not None and watcher.stdout.readline().strip() == "ready"
    broker_pid = topology.processes[0].pid
    pids = {i.name: i.process.pid for i in instances if i.process is not None}
    cpu_before = {name: cpu_seconds(pid) for name, pid in {**pids, "broker": broker_pid}.items()}
    backends = database_pids(topology.db_url)
    database_before = backend_cpu(backends)
    taken_before = {i.name: accepted(i, token) for i in instances}
    stored_before = stored_fixes(topology.db_url)
    began = time.time()
    broker = topology.broker_dir
    share = args.units // args.publishers  # each publisher its own units: a unit's fixes keep their order
    publishers = [load_process(
        "publish", "--ca", str(topology.ca), "--cert", str(broker / "psn-server.pem"), "--key",
        str(broker / "psn-server.key"), "--client-id", f"bench-load-{os.getpid()}-{n}", "--port",
        str(topology.mqtt_port), "--first-unit", str(n * share), "--units", str(share), "--rate",
        str(rate / args.publishers), "--duration", str(args.step_s)) for n in range(args.publishers)]
    results = [result_of(p) for p in publishers]
    sent = {"sent": sum(r["sent"] for r in results), "start": min(r["start"] for r in results),
            "end": max(r["end"] for r in results)}
    drain_s = None
    while (now := time.time()) < sent["end"] + args.grace_s:
        if stored_fixes(topology.db_url) - stored_before >= sent["sent"]:
            drain_s = now - sent["end"]
            break
        time.sleep(0.1)
    wall = time.time() - began
    time.sleep(LIVE_SETTLE_S)
    cpu = {name: round((cpu_seconds(pid) - cpu_before[name]) / wall, 3)
           for name, pid in {**pids, "broker": broker_pid}.items()}
    cpu["database"] = round((backend_cpu(backends) - database_before) / wall, 3)
    step = Step(rate, sent["sent"], sent["end"] - sent["start"], stored_fixes(topology.db_url) - stored_before,
                drain_s)
    detail: dict[str, Any] = {"cores": cpu, "taken": {i.name: accepted(i, token) - taken_before[i.name]
                                                      for i in instances}}
    for name, watcher in watchers.items():
        delays = np.array(result_of(watcher)["delays"]) * 1000
        detail[f"live_{name}_ms"] = ({"p50": round(float(np.percentile(delays, 50)), 1),
                                     "p99": round(float(np.percentile(delays, 99)), 1), "samples": len(delays)}
                                    if len(delays) else {"samples": 0})
    return step, detail


def phase(topology: Topology, instances: list[Instance], token: str, args: argparse.Namespace) -> dict[str, Any]:
    steps: list[Step] = []
    rows = []
    for rate in args.rates:
        step, detail = run_step(topology, instances, token, rate, args)
        steps.append(step)
        rows.append({**asdict(step), "achieved_msgs_per_s": round(step.sent / step.seconds),
                     "held": held(step, args.grace_s), **detail})
        print(json.dumps(rows[-1]), file=sys.stderr)
        if not held(step, args.grace_s):
            break
    rate = sustained_rate(steps, args.grace_s)
    return {"instances": [i.name for i in instances], "sustained_msgs_per_s": rate and round(rate), "steps": rows}


def end_session(topology: Topology, client_id: str) -> None:
    """Ends a stopped instance's session at the broker (psn asks for an hour's expiry), so the broker neither queues
    the next phase's fixes for it nor, with a shared subscription, hands it any: a clean start under its client id
    discards the old session, and the new one ends with the connection."""
    client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.tls_set(ca_certs=str(topology.ca), certfile=str(topology.broker_dir / "psn-server.pem"),
                   keyfile=str(topology.broker_dir / "psn-server.key"))
    client.connect("127.0.0.1", topology.mqtt_port, clean_start=True)
    client.loop_start()
    deadline = time.time() + 10
    while not client.is_connected() and time.time() < deadline:
        time.sleep(0.01)
    client.disconnect()
    client.loop_stop()


def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"units": args.units, "publishers": args.publishers, "rates": args.rates,
                               "step_s": args.step_s, "grace_s": args.grace_s, "load_average_before": os.getloadavg()}
    with running(("a", "b"), proxy=False) as topology:
        a, b = topology.instances["a"], topology.instances["b"]
        token = httpx.post(f"{a.url}/api/v1/auth/login", data={"name": ADMIN[0], "password": PASSWORD},
                           timeout=30).json()["token"]
        figures["two_instances"] = phase(topology, [a, b], token, args)
        topology.stop_instance(b)
        end_session(topology, f"psn-server-{b.name}")
        figures["one_instance"] = phase(topology, [a], token, args)
    figures["load_average_after"] = os.getloadavg()
    last = figures["two_instances"]["steps"][0]
    taken = sum(last["taken"].values())
    figures["each_fix_taken_by"] = round(taken / last["sent"], 2) if last["sent"] else None
    one, two = figures["one_instance"]["sustained_msgs_per_s"], figures["two_instances"]["sustained_msgs_per_s"]
    figures["two_over_one"] = round(two / one, 2) if one and two else None
    return figures


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--rates", default="250,500,1000,1500,2000,3000,4000",
                        help="offered fix rates in msg/s, all units together, one step each (default %(default)s)")
    parser.add_argument("--publishers", type=int, default=2,
                        help="load generator processes, the units and the rate split between them (%(default)s)")
    parser.add_argument("--step-s", type=float, default=10.0, help="seconds of publishing a step")
    parser.add_argument("--grace-s", type=float, default=3.0,
                        help="a step holds when every fix is stored within this after its last publish")
    parser.add_argument("--quick", action="store_true", help="smoke test: 20 units, one 1 s step of 50 msg/s")
    args = parser.parse_args(argv)
    if args.quick:
        args.units, args.publishers, args.rates, args.step_s, args.grace_s = 20, 1, "50", 1.0, 5.0
    args.rates = [float(r) for r in str(args.rates).split(",")]
    return args


def main() -> None:
    args = parse()
    figures = run(args)
    print(json.dumps(figures, indent=2))
    if not args.quick:
        print(f"raw JSON: {save('scale', figures)}", file=sys.stderr)


if __name__ == "__main__":
    main()
