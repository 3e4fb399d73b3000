"""Throughput of sealing telemetry-sized records (~100 B) vs serialising them only, in the same run.

A first figure for the "<= 15 % loss on the ingest path" target; the full ingest-path bench comes later.
    .venv/bin/python bench/crypto_seal.py [records]
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from crypto.envelope import Keyring, LocalMasterKey


def fix(i: int) -> dict[str, object]:
    return {"agency": "police", "unit": f"P-{i % 500}", "ts": 1_764_000_000 + i, "lat": 17.2514 + i * 1e-6,
            "lon": -88.7590, "speed": 42.5, "heading": 270, "battery": 81}


def rate(n: int, body: Callable[[int], object]) -> float:
    """Best of three runs, records per second."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for i in range(n):
            body(i)
        best = min(best, time.perf_counter() - start)
    return n / best


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    records = [fix(i) for i in range(1000)]
    with tempfile.TemporaryDirectory() as tmp:
        keyring = Keyring(Path(tmp) / "keyring.json", LocalMasterKey.generate())
        keyring.rotate("police")
        size = len(json.dumps(records[0]).encode())

        def plain(i: int) -> bytes:
            return json.dumps(records[i % 1000]).encode()

        def sealed(i: int) -> bytes:
            return keyring.seal("police", json.dumps(records[i % 1000]).encode(), b"fixes/%d" % i)

        plain_rate, sealed_rate = rate(n, plain), rate(n, sealed)
        overhead = len(sealed(0)) - size
    print(f"record: {size} B JSON, sealed +{overhead} B (header, nonce, tag); {n} records, best of 3")
    print(f"json.dumps only    : {plain_rate:12,.0f} records/s")
    print(f"json.dumps + seal  : {sealed_rate:12,.0f} records/s")
    cost = 1e6 / sealed_rate - 1e6 / plain_rate
    print(f"ratio sealed/plain : {sealed_rate / plain_rate:.2f}  (sealing costs {cost:.2f} µs/record)")


if __name__ == "__main__":
    main()
