"""What the peer channel costs per fix (docs/deploy.md, "Several instances"), in one process, against a same-run
baseline: decoding the device's own message (`telemetry.decode`, what every instance paid before it had peers).

For each batch size: the sender's cost (`PeerSender.send`: records grouped and encoded; the MQTT publish replaced
by a counter), the receiver's (`PeerIngest.handle`: decoded and published on a bus with one inline `peers=True`
subscriber), the bytes and the MQTT messages per fix. Batch 1 is what one message per fix would cost.

    .venv/bin/python -m bench.peers --fixes 20000 --batches 1 50 500
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from bench.raw_results import save
from psn.bus import Bus
from psn.events import FixAccepted
from psn.peers import PeerIngest, PeerSender
from telemetry import DecodeContext, Fix, UnitRef, decode
from telemetry.rules import BBox

NOW = 1_764_000_000.0


def _fixes(count: int) -> list[FixAccepted]:
    return [FixAccepted(Fix(UnitRef("police", f"P-{i % 5000}"), NOW - 1 + i / count, 17.25 + i % 100 * 1e-4, -88.77,
                            speed=12.5, heading=90.0, accuracy=5.0, battery=0.8), NOW) for i in range(count)]


def baseline_us(events: list[FixAccepted]) -> float:
    """µs a fix to decode the device's message: psn/v1 JSON on its unit topic."""
    context = DecodeContext(now=NOW, agencies=frozenset({"police"}), service_area=BBox(-89.3, 15.8, -87.4, 18.6))
    messages = [(f"psn/v1/police/{e.fix.who.unit}/telemetry",
                 json.dumps({"ts": e.fix.ts, "lat": e.fix.lat, "lon": e.fix.lon, "speed": 12.5, "heading": 90.0,
                             "accuracy": 5.0, "battery": 0.8}).encode()) for e in events]
    start = time.perf_counter()
    for topic, payload in messages:
        decode(topic, payload, context)
    return (time.perf_counter() - start) / len(events) * 1e6


def peer_costs(events: list[FixAccepted], batch: int) -> dict[str, float]:
    sent: list[tuple[str, bytes]] = []
    sender = PeerSender("a", lambda topic, payload, _qos: sent.append((topic, payload)))
    start = time.perf_counter()
    for i in range(0, len(events), batch):
        sender.send(events[i:i + batch])  # as the bus hands them: at most `batch` a call
    send_s = time.perf_counter() - start
    bus = Bus()
    received = [0]
    bus.subscribe("live", lambda _e: received.__setitem__(0, received[0] + 1), (FixAccepted,), inline=True,
                  peers=True)
    bus.start()
    peer = PeerIngest("b", bus)
    start = time.perf_counter()
    for topic, payload in sent:
        peer.handle(topic, payload)
    receive_s = time.perf_counter() - start
    assert received[0] == len(events)
    n = len(events)
    return {"batch": batch, "send_us_per_fix": send_s / n * 1e6, "receive_us_per_fix": receive_s / n * 1e6,
            "bytes_per_fix": sum(len(p) for _t, p in sent) / n, "messages_per_fix": len(sent) / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixes", type=int, default=20_000)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 50, 500])
    args = parser.parse_args()
    events = _fixes(args.fixes)
    base = baseline_us(events)
    rows: list[dict[str, Any]] = [peer_costs(events, batch) for batch in args.batches]
    print(f"baseline (same run): device message decode {base:.1f} µs/fix")
    print("batch  send µs/fix  receive µs/fix  bytes/fix  MQTT messages/fix")
    for r in rows:
        print(f"{r['batch']:>5}  {r['send_us_per_fix']:>11.1f}  {r['receive_us_per_fix']:>14.1f}  "
              f"{r['bytes_per_fix']:>9.0f}  {r['messages_per_fix']:>17.4f}")
    path = save("peers", {"fixes": args.fixes, "baseline_decode_us_per_fix": base, "rows": rows})
    print(f"raw: {path}")


if __name__ == "__main__":
    main()
