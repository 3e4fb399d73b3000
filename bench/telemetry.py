"""Telemetry ingest benchmark: N units publishing at R Hz through a real Mosquitto into a real psn.

Each process separate so the load generator never shares psn's GIL. Every round, each on a fresh burst of B
messages and a fresh psn:
  1. ceiling  — a bare paho subscriber (QoS 1) drains the burst: msgs/s from its first message to its last;
  2. pipeline — psn drains the burst (decode, validate, live state, sealing at rest, batched SQLite/PostgreSQL
     commit): msgs/s until every row is committed and the store backlog is empty (bench/drain.py);
  3. with --compare-encryption, the same through a psn storing in clear: the cost of sealing.
Then once, on the first round's psn, sustained — N units at R Hz for D s: accepted msgs/s and publish →
WebSocket delivery latency p50/p99. Prints the medians over the rounds with each round's values, and writes
the same JSON to bench/results/telemetry-<UTC timestamp>.json. Targets: 5,000 units at 1 Hz, p99 <= 250 ms,
ratio >= 0.7.

    .venv/bin/python -m bench.telemetry --units 5000 --rate 1 --duration 30 --rounds 3

Run it as a module from the repository root: as a script, `bench/` comes first on the import path and this
file would hide the telemetry package it takes its topics from.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.drain import Drain, Sample, drain_figures, drained
from bench.raw_results import save
from telemetry.topics import UnitKind, unit_topic

# One agency, so one dispatcher's live feed sees every unit of the load.
AGENCIES = ("police",)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def client(port: int, name: str) -> mqtt.Client:
    c = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id=name, protocol=mqtt.MQTTv5)
    c.max_inflight_messages_set(1000)
    c.max_queued_messages_set(0)
    c.connect("127.0.0.1", port)
    return c


def topic(unit: int) -> str:
    return unit_topic(AGENCIES[unit % len(AGENCIES)], f"B-{unit}", UnitKind.TELEMETRY)


def payload(i: int, now: float) -> bytes:
    lat = 17.2 + (i % 100) * 0.003
    lon = -88.8 + (i // 100 % 100) * 0.006
    return json.dumps({"ts": now, "lat": lat, "lon": lon, "speed": 12.5, "heading": i % 360}).encode()


def publish_burst(port: int, count: int, units: int) -> None:
    c = client(port, f"bench-burst-{os.getpid()}")
    c.loop_start()
    infos = [c.publish(topic(i % units), payload(i % units, time.time()), qos=1) for i in range(count)]
    for info in infos[-1000:]:
        info.wait_for_publish(60)
    c.disconnect()  # before loop_stop, which otherwise waits out the network loop's 1 s select (measured: +1 s)
    c.loop_stop()


def fix_message(unit: int, now: float) -> tuple[str, bytes]:
    return topic(unit), payload(unit, now)


def publish_paced(port: int, units: int, rate: float, duration: float, result: Any,
                  message: Callable[[int, float], tuple[str, bytes]] = fix_message) -> None:
    """Each of `units` senders once per 1/rate s, spread evenly over the period in 20 ms slices; `message` gives
    a sender's (topic, payload) at a time (a module-level function: it crosses to a spawned process)."""
    c = client(port, f"bench-paced-{os.getpid()}")
    c.loop_start()
    slice_s = 0.02
    per_slice = units * rate * slice_s
    start = time.time()
    sent = 0.0
    i = 0
    while (now := time.time()) - start < duration:
        sent += per_slice
        while i < int(sent):
            c.publish(*message(i % units, time.time()), qos=1)
            i += 1
        time.sleep(max(0.0, slice_s - (time.time() - now)))
    result.put((i, start, time.time()))
    c.loop_stop()
    c.disconnect()


def bare_subscriber(port: int, expected: int, ready: Any, result: Any) -> None:
    received = 0
    first = last = 0.0

    def on_message(_c: mqtt.Client, _u: Any, _m: mqtt.MQTTMessage) -> None:
        nonlocal received, first, last
        received += 1
        last = time.time()
        if received == 1:
            first = last

    c = client(port, "bench-bare")
    c.on_message = on_message
    c.subscribe([(unit_topic("+", "+", UnitKind.TELEMETRY), 1)])
    c.loop_start()
    ready.set()
    deadline = time.time() + 120
    while received < expected and time.time() < deadline:
        time.sleep(0.05)
    c.loop_stop()
    result.put((received, first, last))


def live_messages(base_ws: str, token: str, duration: float, ready: Any) -> Iterator[tuple[float, dict[str, Any]]]:
    """(arrival time, message) of everything one live WebSocket receives for `duration` s; `ready` is set once
    the first message (the snapshot) has arrived."""
    from websockets.sync.client import connect

    with connect(f"{base_ws}/api/v1/live?access_token={token}", max_size=None) as ws:
        ws.recv(timeout=10)
        ready.set()
        end = time.time() + duration
        while time.time() < end:
            try:
                message = json.loads(ws.recv(timeout=1))
            except TimeoutError:
                continue
            yield time.time(), message


def ws_latency(base_ws: str, token: str, duration: float, result: Any, ready: Any) -> None:
    latencies: list[float] = []
    for now, message in live_messages(base_ws, token, duration, ready):
        latencies.extend(now - unit["ts"] for unit in message.get("units", ()))  # traffic events have none
    result.put(latencies)


def stats(base: str, token: str) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{base}/api/v1/stats", timeout=10,
                                     headers={"Authorization": f"Bearer {token}"}).json()
    return body


def dispatcher_token(data_dir: Path, env: dict[str, str], db: list[str]) -> str:
    """A police dispatcher account (also a network admin, who may read the server-wide counters) and its token,
    made with the operator CLI as an operator would."""
    cli = [sys.executable, "-m", "psn"]
    subprocess.run([*cli, "users", "add", "bench", "--agency", "police", "--role", "dispatcher", "--role",
                    "network_admin", "--password-stdin",
                    "--data-dir", str(data_dir), *db], input="bench-password\n", text=True, env=env, check=True,
                   capture_output=True)
    token = subprocess.run([*cli, "token", "issue", "--user", "bench", "--ttl", "1h", "--data-dir", str(data_dir),
                            *db], text=True, env=env, check=True, capture_output=True)
    return token.stdout.strip()


class Psn:
    """psn serve in its own process against the bench broker, with a dispatcher token; fresh data each time."""

    def __init__(self, work: Path, mqtt_port: int, db: str, encrypt: bool, label: str) -> None:
        self.port = free_port()
        self.mqtt_port = mqtt_port
        self.base = f"http://127.0.0.1:{self.port}"
        self.client_id = f"psn-bench-{self.port}"
        self.data = data = self.data_dir(work, encrypt, label)
        db_flags = [] if db == "sqlite" else ["--db", db]
        env = {**os.environ, "PSN_LOG_LEVEL": "warning", "PSN_MQTT_CLIENT_ID": self.client_id,
               "PSN_ENCRYPT_AT_REST": "true" if encrypt else "false"}
        self.token = dispatcher_token(data, env, db_flags)
        self.process = subprocess.Popen([sys.executable, "-m", "psn", "serve", "--port", str(self.port), "--mqtt",
                                         f"mqtt://127.0.0.1:{mqtt_port}", "--data-dir", str(data), *db_flags], env=env)
        try:
            wait_port(self.port, 60)
            deadline = time.time() + 30
            while httpx.get(f"{self.base}/healthz").json()["mqtt"] != "connected":
                if time.time() > deadline:
                    raise RuntimeError(f"psn on port {self.port} did not connect to the broker within 30 s")
                time.sleep(0.1)
        except BaseException:
            self.process.kill()
            raise

    @staticmethod
    def data_dir(work: Path, encrypt: bool, label: str) -> Path:
        """Where the psn of `label` keeps its data (its SQLite database is `psn.db` there)."""
        return work / f"data-{'sealed' if encrypt else 'plain'}-{label}"

    def __enter__(self) -> Psn:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.process.terminate()
        self.process.wait(30)
        forget_session(self.mqtt_port, self.client_id)

    def stats(self) -> dict[str, Any]:
        return stats(self.base, self.token)


def forget_session(port: int, client_id: str) -> None:
    """Ends a stopped psn's session at the broker. psn asks for an hour's session expiry, so without this the
    broker goes on queueing every later burst for it, work charged to whatever is measured next (measured: a burst
    of 5,000 after a psn stopped left `$SYS/broker/store/messages/count` at 5,053; with this, 53)."""
    c = client(port, client_id)  # clean start, session expiry 0: the old session is discarded, this one dies with it
    c.loop_start()
    deadline = time.time() + 10
    while not c.is_connected() and time.time() < deadline:
        time.sleep(0.01)
    c.disconnect()
    c.loop_stop()


def drain_rate(ctx: Any, psn: Psn, mqtt_port: int, burst: int, units: int, timeout: float = 180) -> Drain:
    """How fast psn takes a burst of `burst` messages queued at the broker all the way into the database."""
    base = psn.stats()
    pub = ctx.Process(target=publish_burst, args=(mqtt_port, burst, units))
    pub.start()
    samples: list[Sample] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = psn.stats()
        samples.append(Sample(time.monotonic(), now["accepted"] - base["accepted"], now["stored"] - base["stored"],
                              now["store_backlog"]))
        if drained(samples[-1], burst):
            break
        if pub.exitcode not in (None, 0):
            raise RuntimeError(f"the burst's publisher failed (exit code {pub.exitcode}): nothing more will come")
        time.sleep(0.1)  # a poll is an HTTP request to psn: at this pace ≈ 1.2 % of a core (measured, 8 polls/s)
    pub.join()
    try:
        return drain_figures(samples, burst)
    except ValueError as e:
        rejected = psn.stats()["rejected_total"] - base["rejected_total"]
        raise RuntimeError(f"{e} within {timeout:.0f} s ({rejected} rejected)") from e


def sustained(ctx: Any, psn: Psn, mqtt_port: int, args: argparse.Namespace) -> dict[str, Any]:
    ready, result = ctx.Event(), ctx.Queue()
    watcher = ctx.Process(target=ws_latency,
                          args=(f"ws://127.0.0.1:{psn.port}", psn.token, args.duration + 3, result, ready))
    watcher.start()
    ready.wait(20)
    before = psn.stats()["accepted"]
    sent_q = ctx.Queue()
    pub = ctx.Process(target=publish_paced, args=(mqtt_port, args.units, args.rate, args.duration, sent_q))
    pub.start()
    sent, t_start, t_end = sent_q.get(timeout=args.duration + 60)
    pub.join()
    time.sleep(1.0)
    after = psn.stats()
    latencies = np.array(result.get(timeout=60))
    watcher.join()
    accepted = after["accepted"] - before
    return {
        "sustained_offered_msgs_per_s": round(sent / (t_end - t_start)),
        "sustained_accepted_msgs_per_s": round(accepted / (t_end - t_start)),
        "sustained_accepted_of_sent": round(accepted / sent, 4),
        "latency_ms_p50": round(float(np.percentile(latencies, 50)) * 1000, 1),
        "latency_ms_p99": round(float(np.percentile(latencies, 99)) * 1000, 1),
        "latency_samples": len(latencies),
        "rejected": after["rejected_total"],
        "store_backlog_end": after["store_backlog"],
    }


def ceiling_rate(ctx: Any, mqtt_port: int, burst: int, units: int) -> tuple[int, int]:
    ready, result = ctx.Event(), ctx.Queue()
    sub = ctx.Process(target=bare_subscriber, args=(mqtt_port, burst, ready, result))
    sub.start()
    ready.wait(10)
    time.sleep(0.5)
    pub = ctx.Process(target=publish_burst, args=(mqtt_port, burst, units))
    pub.start()
    received, first, last = result.get(timeout=180)
    pub.join()
    sub.join()
    return round((received - 1) / max(last - first, 1e-9)), received


def pipeline(prefix: str, drain: Drain) -> dict[str, Any]:
    return {f"{prefix}_committed_msgs_per_s": round(drain.committed_msgs_per_s),
            f"{prefix}_accepted_msgs_per_s": round(drain.accepted_msgs_per_s),
            f"{prefix}_drain_s": round(drain.seconds, 3)}


def one_round(ctx: Any, work: Path, mqtt_port: int, args: argparse.Namespace,
              index: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ceiling, pipeline and (with --compare-encryption) pipeline in clear, each on a fresh burst; and the figures
    of the sustained load, which only the first round runs (on its psn, after the burst)."""
    row: dict[str, Any] = {}
    load: dict[str, Any] = {}
    row["ceiling_msgs_per_s"], row["ceiling_received"] = ceiling_rate(ctx, mqtt_port, args.burst, args.units)
    with Psn(work, mqtt_port, args.db, args.encrypt, str(index)) as psn:
        row.update(pipeline("pipeline", drain_rate(ctx, psn, mqtt_port, args.burst, args.units)))
        if index == 0:
            load = sustained(ctx, psn, mqtt_port, args)
    row["ratio_pipeline_to_ceiling"] = round(row["pipeline_committed_msgs_per_s"] / row["ceiling_msgs_per_s"], 3)
    if args.compare_encryption and args.encrypt:
        with Psn(work, mqtt_port, args.db, False, str(index)) as plain:
            row.update(pipeline("pipeline_plain", drain_rate(ctx, plain, mqtt_port, args.burst, args.units)))
        row["encryption_loss_percent"] = round(
            100 * (1 - row["pipeline_committed_msgs_per_s"] / row["pipeline_plain_committed_msgs_per_s"]), 1)
    return row, load


# Medians of each round's own figures: a round's ratio or loss pairs bursts measured within that round, so drift of
# the shared machine from one round to the next cancels in it.
MEDIANS = ("ceiling_msgs_per_s", "pipeline_committed_msgs_per_s", "pipeline_accepted_msgs_per_s",
           "ratio_pipeline_to_ceiling", "pipeline_plain_committed_msgs_per_s", "pipeline_plain_accepted_msgs_per_s",
           "encryption_loss_percent")


@contextlib.contextmanager
def bench_broker() -> Iterator[tuple[Path, int]]:
    """A private Mosquitto on a free loopback port with queues sized for bursts, and a scratch folder; both go."""
    work = Path(tempfile.mkdtemp(prefix="psn-bench-"))
    mqtt_port = free_port()
    conf = work / "mosquitto.conf"
    conf.write_text(f"listener {mqtt_port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "max_queued_messages 200000\nmax_inflight_messages 10000\nmax_queued_bytes 0\n")
    broker = subprocess.Popen([shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)],
                              stderr=subprocess.DEVNULL)
    try:
        wait_port(mqtt_port)
        yield work, mqtt_port
    finally:
        broker.terminate()
        broker.wait(10)
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    figures: dict[str, Any] = {"units": args.units, "rate_hz": args.rate, "duration_s": args.duration,
                               "burst": args.burst, "rounds": args.rounds, "db": args.db,
                               "encrypt_at_rest": args.encrypt}
    with bench_broker() as (work, mqtt_port):
        rounds, loads = zip(*(one_round(ctx, work, mqtt_port, args, index) for index in range(args.rounds)),
                            strict=True)
    for name in MEDIANS:
        if name in rounds[0]:
            median = statistics.median(row[name] for row in rounds)
            figures[name] = round(median) if name.endswith("_per_s") else round(median, 3)
    figures.update(loads[0])
    figures["per_round"] = list(rounds)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=1.0, help="fixes per unit per second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of sustained load")
    parser.add_argument("--burst", type=int, default=40000, help="messages in each round's ceiling/pipeline bursts")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of bursts; medians reported, each kept")
    parser.add_argument("--db", default="sqlite", help="sqlite or a postgresql:// URL")
    parser.add_argument("--no-encrypt", dest="encrypt", action="store_false",
                        help="store positions in clear (default: sealed at rest, as in production)")
    parser.add_argument("--compare-encryption", action="store_true",
                        help="also drain each burst through a psn storing in clear: the cost of sealing, same run")
    args = parser.parse_args()
    if args.rounds < 1 or args.burst < 2 or args.units < 1:
        parser.error("--rounds and --units must be at least 1, --burst at least 2")
    figures = run(args)
    print(json.dumps(figures, indent=2))
    print(f"raw JSON: {save('telemetry', figures)}", file=sys.stderr)


if __name__ == "__main__":
    main()
