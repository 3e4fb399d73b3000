"""The demo's incident calls are valid incident requests (the types and ranges of docs/dispatch.md, written out)."""

import random

from simulator.calls import new_incident

TYPES = {"traffic_collision", "assault", "robbery", "fire", "flood", "medical", "missing_person",
         "hurricane_shelter", "other"}


def test_every_call_is_a_valid_incident_of_an_agency_that_takes_calls_in_the_fleet_area() -> None:
    rng = random.Random(5)
    seen = set()
    for _ in range(500):
        owner, body = new_incident(rng)
        seen.add(body["type"])
        assert owner in {"police", "nemo"}
        assert body["type"] in TYPES and body["priority"] in (1, 2, 3, 4)
        assert 17.1 < body["lat"] < 17.6 and -89.1 < body["lon"] < -88.15  # Belize City … San Ignacio
        assert 0 < len(body["notes"].encode()) <= 4096 and body["place"]
    assert len(seen) >= 6
