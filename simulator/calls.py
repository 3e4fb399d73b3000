"""The demo's callers: incidents reported to the dispatchers every minute or two, near where the demo fleet
patrols, through psn's HTTP API as a call-taker's console would create them — so a newcomer opening the demo
finds a queue to work. Incidents open longer than `--close-after` minutes are closed ("resolved"), which keeps
the queue short. A client of psn like the rest of the simulator: HTTP only, never an import of psn.
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx

from simulator.stopping import stop_on_signals

# (place, lat, lon): around the fleet's bases (simulator/fleet.py BASES), a few hundred metres off the centre.
PLACES = (
    ("Belize City", 17.4986, -88.1986), ("Belize City", 17.5046, -88.1962), ("Belize City", 17.4921, -88.1869),
    ("Ladyville", 17.5537, -88.2880), ("Belmopan", 17.2514, -88.7659), ("Belmopan", 17.2455, -88.7714),
    ("San Ignacio", 17.1585, -89.0704), ("Hattieville", 17.4583, -88.3944),
)


@dataclass(frozen=True)
class Call:
    type: str
    owner: str  # the agency whose dispatcher takes the call
    priority: int
    notes: str


CALLS = (
    Call("traffic_collision", "police", 2, "Two cars, one person trapped, fuel on the road."),
    Call("robbery", "police", 1, "Shop robbed at gunpoint, two suspects left on foot towards the canal."),
    Call("assault", "police", 2, "Fight outside a bar, one man bleeding from the head."),
    Call("missing_person", "police", 3, "Boy, 9, blue school uniform, not home since 3 pm."),
    Call("flood", "nemo", 2, "Water rising in the street, elderly couple asking to be moved."),
    Call("hurricane_shelter", "nemo", 3, "Shelter at the primary school needs water and cots for 40."),
    Call("other", "police", 4, "Loose cattle on the highway near the bridge."),
)


def new_incident(rng: random.Random) -> tuple[str, dict[str, Any]]:
    """The owning agency and the body of `POST /api/v1/incidents` for one random call."""
    call = rng.choice(CALLS)
    place, lat, lon = rng.choice(PLACES)
    body = {"type": call.type, "priority": call.priority, "lat": round(lat + rng.uniform(-0.003, 0.003), 5),
            "lon": round(lon + rng.uniform(-0.003, 0.003), 5), "place": place, "notes": call.notes}
    return call.owner, body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.calls", description=__doc__)
    parser.add_argument("--base", required=True, help="psn's URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--token", action="append", default=[], metavar="AGENCY=TOKEN",
                        help="a dispatcher's bearer token per agency that takes calls (police, nemo)")
    parser.add_argument("--every", type=float, default=90.0, help="seconds between calls (mean)")
    parser.add_argument("--first", type=int, default=3, help="calls at start-up")
    parser.add_argument("--close-after", type=float, default=30.0, help="minutes before an incident is resolved")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    tokens = dict(item.split("=", 1) for item in args.token)
    rng = random.Random(args.seed)
    stopped = stop_on_signals()
    opened: list[tuple[float, str, str]] = []  # (when, agency, incident id)
    pending = args.first
    next_call = time.monotonic()
    with httpx.Client(base_url=args.base, timeout=10) as client:
        while not stopped.is_set():
            if pending or time.monotonic() >= next_call:
                pending = max(0, pending - 1)
                next_call = time.monotonic() + rng.expovariate(1 / args.every)
                owner, body = new_incident(rng)
                if owner in tokens:
                    reply = _post(client, "/api/v1/incidents", body, tokens[owner])
                    if reply is not None and reply.status_code == 201:
                        opened.append((time.monotonic(), owner, reply.json()["id"]))
            while opened and time.monotonic() - opened[0][0] > args.close_after * 60:
                _, owner, incident = opened.pop(0)
                _post(client, f"/api/v1/incidents/{incident}/close", {"disposition": "resolved (demo)"}, tokens[owner])
            stopped.wait(1.0)
    return 0


def _post(client: httpx.Client, path: str, body: dict[str, Any], token: str) -> httpx.Response | None:
    """The reply, or None when psn is unreachable (it may be stopping); a refusal is printed for the demo log."""
    try:
        reply = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        print(f"calls: {path}: {exc}", flush=True)
        return None
    if reply.is_error:
        print(f"calls: {path} refused ({reply.status_code}): {reply.text[:200]}", flush=True)
    return reply


if __name__ == "__main__":
    raise SystemExit(main())
