"""How soon a once-only job's lease passes to another psn instance when its holder goes (docs/deploy.md,
"Once-only jobs"): two `Leases` on a fresh PostgreSQL database stand for two instances; the holder's connection is
terminated (`pg_terminate_backend`: what PostgreSQL sees of a kill -9 or a cut network path) or closed (a clean
stop), and the other's view is polled every 10 ms.

Figures, per hand-over: `taken_s` — until the other instance's connection has the advisory locks (PostgreSQL's own
hand-over: at most one retry interval; the same-run baseline), `held_s` — until it counts them and runs the jobs
(taken + 2 × lease_retry_s, so that the old holder's last confirmation has run out first), and `old_lapsed_s` —
until the old holder, if it lives on unaware, stops counting them. Run from the repository root:

    python -m bench.lease_handover --rounds 5 --retry-s 2
"""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg
from prometheus_client import CollectorRegistry

from bench import raw_results
from psn.store import Database
from psn.store.lease import Leases
from tests.support import postgres_database, wait_for

NAMES = ("kpi-retention", "net-alarms", "qos-policy", "command-resends")


def start(url: str, instance: str, retry_s: float) -> Leases:
    leases = Leases(Database(url.replace("postgresql://", "postgresql+psycopg://")), NAMES, retry_s,
                    CollectorRegistry(), instance)
    leases.start()
    return leases


def until(predicate: object, started: float, timeout: float) -> float:
    wait_for(predicate, timeout=timeout, interval=0.01)  # type: ignore[arg-type]
    return time.monotonic() - started


def one(url: str, retry_s: float, how: str) -> dict[str, float]:
    a = start(url, "a", retry_s)
    wait_for(lambda: a.holding() == list(NAMES), timeout=10 * retry_s, interval=0.01)
    b = start(url, "b", retry_s)
    wait_for(lambda: b.rounds >= 1, timeout=10 * retry_s, interval=0.01)
    try:
        started = time.monotonic()
        if how == "terminated":
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE application_name = 'psn-leases-a' AND datname = current_database()")
            old_lapsed = until(lambda: not a.holding(), started, 10 * retry_s)
        else:
            a.stop()
            old_lapsed = 0.0
        taken = until(lambda: b.locked() == list(NAMES), started, 10 * retry_s)
        held = until(lambda: b.holding() == list(NAMES), started, 10 * retry_s)
        return {"taken_s": round(taken, 3), "held_s": round(held, 3), "old_lapsed_s": round(old_lapsed, 3)}
    finally:
        a.stop()
        b.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--retry-s", type=float, default=2.0, help="lease_retry_s (psn's default: 2 s)")
    args = parser.parse_args()
    figures: dict[str, object] = {"retry_s": args.retry_s}
    for how in ("terminated", "stopped"):
        runs = []
        for _ in range(args.rounds):
            with postgres_database() as url:
                runs.append(one(url, args.retry_s, how))
        for key in ("taken_s", "held_s", "old_lapsed_s"):
            values = [run[key] for run in runs]
            print(f"{how:10} {key:12} min {min(values):6.2f}  median {statistics.median(values):6.2f}  "
                  f"max {max(values):6.2f} s")
        figures[how] = runs
    print(f"raw results: {raw_results.save('lease_handover', figures)}")


if __name__ == "__main__":
    main()
