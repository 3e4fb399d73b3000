"""Cost of at-rest encryption on the ingest path: psn's real `Ingest.handle` (decode, validate, live state)
feeding the real `BatchWriter` and `Database` (SQLite), once with `encrypt_at_rest` off and once on, in the
same run. A burst of N fixes is handed to the pipeline as fast as it takes them and timed until the last one
is written. A third mode seals with the plain `Keyring` instead of psn's `LiveKeyring` (which checks the keyring
file for rotations by other processes on every seal), to show what that check costs.
Rounds alternate between the modes so drift on a shared machine hits all; medians reported,
of wall-clock throughput and of CPU time per message (all threads of the process: less sensitive to other
load on a shared machine than the wall clock).

    .venv/bin/python -m bench.crypto_ingest --messages 50000 --rounds 3

Prints the figures as JSON and writes the same to bench/results/crypto_ingest-<UTC timestamp>.json.

Run it as a module from the repository root: as a script, `bench/` comes first on the import path and
bench/telemetry.py hides the telemetry package. (For the same reason this file is not named crypto.py: it
would hide the crypto package from bench/crypto_seal.py.)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.raw_results import save
from psn.bus import Bus
from psn.clock import SystemClock
from psn.config import Settings
from psn.ingest import Ingest
from psn.keys import keyring
from psn.state import LiveState
from psn.stats import IngestStats
from psn.store import BatchWriter, Database
from psn.store.sealing import Sealer
from psn.subscribers import subscribe_ingest
from telemetry.topics import UnitKind, unit_topic

AGENCIES = ("police", "nemo", "fire", "ems", "bdf")
MODES = ("plain", "encrypted", "encrypted_static_keyring")


def burst(count: int, units: int) -> list[tuple[str, bytes]]:
    """`count` fixes from `units` units, each unit's timestamps distinct (no replay refusals)."""
    start = time.time() - 3600
    out = []
    for i in range(count):
        unit = i % units
        body = {"ts": start + i / units * 0.5 + unit * 1e-6, "lat": 17.2 + unit % 100 * 0.003,
                "lon": -88.8 + unit // 100 % 100 * 0.006, "speed": 12.5, "heading": i % 360, "battery": 80}
        topic = unit_topic(AGENCIES[unit % len(AGENCIES)], f"B-{unit}", UnitKind.TELEMETRY)
        out.append((topic, json.dumps(body).encode()))
    return out


def run_once(messages: list[tuple[str, bytes]], mode: str) -> tuple[float, float]:
    """Messages per second from the first `handle` to the last row committed, and CPU µs per message."""
    with tempfile.TemporaryDirectory(prefix="psn-bench-crypto-") as tmp:
        settings = Settings(data_dir=Path(tmp), encrypt_at_rest=mode != "plain", agencies=AGENCIES)
        keys = keyring(settings.data_dir) if settings.encrypt_at_rest else None
        if keys is not None:
            keys.ensure(AGENCIES)
        sealer: Sealer | None = keys.ring if mode == "encrypted_static_keyring" and keys else keys
        db = Database(settings.database_url, sealer=sealer)
        db.migrate()
        writer = BatchWriter(db, settings.store_batch, settings.store_flush_s)
        bus = Bus()
        subscribe_ingest(bus, LiveState(), writer, IngestStats())
        ingest = Ingest(settings, SystemClock(), bus)
        writer.start()
        bus.start()
        t0, cpu0 = time.perf_counter(), time.process_time()
        for topic, payload in messages:
            ingest.handle(topic, payload)
        assert writer.flush(timeout=300), "store did not drain"
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        bus.stop()
        writer.stop()
        written = db.count_fixes()
        db.close()
        assert written == len(messages), f"{written} of {len(messages)} written"
        return len(messages) / elapsed, cpu / len(messages) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    messages = burst(args.messages, args.units)
    runs: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}
    for _ in range(args.rounds):
        for mode in MODES:
            runs[mode].append(run_once(messages, mode))
    rate = {mode: statistics.median(r for r, _ in runs[mode]) for mode in MODES}
    cpu = {mode: statistics.median(c for _, c in runs[mode]) for mode in MODES}
    figures: dict[str, object] = {"messages": args.messages, "units": args.units, "rounds": args.rounds}
    for mode in MODES:
        figures[f"{mode}_msgs_per_s"] = round(rate[mode])
        figures[f"{mode}_cpu_us_per_msg"] = round(cpu[mode], 1)
        if mode != "plain":
            figures[f"{mode}_loss_percent_wall"] = round(100 * (1 - rate[mode] / rate["plain"]), 1)
            figures[f"{mode}_loss_percent_cpu"] = round(100 * (1 - cpu["plain"] / cpu[mode]), 1)
        figures[f"{mode}_runs_msgs_per_s"] = [round(r) for r, _ in runs[mode]]
        figures[f"{mode}_runs_cpu_us_per_msg"] = [round(c, 1) for _, c in runs[mode]]
    print(json.dumps(figures, indent=2))
    print(f"raw JSON: {save('crypto_ingest', figures)}", file=sys.stderr)


if __name__ == "__main__":
    main()
