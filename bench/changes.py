"""How soon a change made through one psn instance reaches a console of another (PostgreSQL LISTEN/NOTIFY).

Two instances a and b on one PostgreSQL database and one Mosquitto (tests/psn/test_changes_between_instances.py's
set-up); a police dispatcher's console on each. Incidents are created one after another by REST on a; for each,
from the moment the POST is sent: when a's own console has the `incident` event (the same-run baseline: no
other instance involved) and when b's console has it (a's commit, the NOTIFY, b's listener reading the incident
back, b's hub). Run from the repository root:

    python -m bench.changes --incidents 200
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.raw_results import save
from tests.psn.cad.incidents_http import new_incident
from tests.psn.test_changes_between_instances import INCIDENT_EVENT, Feed, feeds, instances
from tests.support import wait_for


def arrival(feed: Feed, incident: str) -> float:
    """When the feed received the incident's first event."""
    def found() -> float | None:
        for message, at in zip(list(feed.received), list(feed.arrived), strict=False):
            if message["type"] == INCIDENT_EVENT and message["incident"]["id"] == incident:
                return at
        return None
    return float(wait_for(found, timeout=30, interval=0.001))


def summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {"p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[max(0, round(0.95 * len(ordered)) - 1)], 2),
            "max_ms": round(ordered[-1], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    with instances(Path(tempfile.mkdtemp(prefix="psn-changes-"))) as (a, b):
        police = a.token("police")
        load_before = os.getloadavg()[0]
        same, other = [], []
        with feeds(a, police) as (on_a,), feeds(b, police) as (on_b,):
            for _ in range(args.incidents):
                sent = time.monotonic()
                incident = new_incident(a, police)
                same.append((arrival(on_a, incident) - sent) * 1000)
                other.append((arrival(on_b, incident) - sent) * 1000)
        figures = {"incidents": args.incidents, "load_1min_before": round(load_before, 2),
                   "load_1min_after": round(os.getloadavg()[0], 2),
                   "same_instance": summary(same), "other_instance": summary(other),
                   "added_by_other_instance": summary([o - s for o, s in zip(other, same, strict=True)])}
    for name in ("same_instance", "other_instance", "added_by_other_instance"):
        print(f"{name:24} p50 {figures[name]['p50_ms']:7.2f} ms  p95 {figures[name]['p95_ms']:7.2f} ms  "
              f"max {figures[name]['max_ms']:7.2f} ms")
    print(f"raw JSON: {save('changes', figures)}", file=sys.stderr)


if __name__ == "__main__":
    main()
