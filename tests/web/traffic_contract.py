"""What the traffic API answers by its contract (preamble of issue 11: `/api/v1/traffic/...`), served to the page
by Playwright's routing so the traffic view can be checked before and apart from the API's own numbers (each row
has the real rows' fields: tests/web/test_traffic_view.py checks them against psn's).

The road: a two-way east–west stretch west of Belize City, edge 1 eastbound (free), edge 2 westbound (jammed),
edge 3 (no data), edge 4 (slow). Colours the page must draw, per level, as the issue names them."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, Route

# free green, slow amber, congested red, jammed dark red, unknown grey: the table, not the page's.
COLOURS = {"free": (0x2E, 0x7D, 0x32), "slow": (0xF2, 0xA9, 0x00), "congested": (0xD3, 0x2F, 0x2F),
           "jammed": (0x6D, 0x0A, 0x0A), "unknown": (0x9E, 0x9E, 0x9E)}
ROAD_LAT = 17.45  # on land, east of Hattieville
WEST, MID, EAST = -88.42, -88.37, -88.32


def hex_colour(level: str) -> str:
    return "#{:02x}{:02x}{:02x}".format(*COLOURS[level])


def nearest_level(rgba: list[int]) -> str | None:
    """The level whose colour a canvas pixel is (None: nothing drawn there)."""
    if rgba[3] < 128:
        return None
    return min(COLOURS, key=lambda k: sum((a - b) ** 2 for a, b in zip(COLOURS[k], rgba[:3], strict=True)))


def segment(edge: int, coords: list[list[float]], level: str, speed: float | None, name: str = "Western Hwy",
            now: float | None = None) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
            "properties": {"edge": edge, "name": name, "class": "trunk", "speed_kmh": speed, "free_flow_kmh": 80.0,
                           "level": level, "confidence": 0.0 if speed is None else 0.9,
                           "samples": 0 if speed is None else 12, "updated": now}}


def live_segments(now: float) -> list[dict[str, Any]]:
    return [segment(1, [[WEST, ROAD_LAT], [EAST, ROAD_LAT]], "free", 78.0, now=now),
            segment(2, [[EAST, ROAD_LAT], [WEST, ROAD_LAT]], "jammed", 9.0, now=now),
            segment(3, [[EAST, ROAD_LAT], [-88.27, 17.50]], "unknown", None, name="Burrell Boom Rd"),
            segment(4, [[WEST, ROAD_LAT], [-88.47, 17.40]], "slow", 50.0, now=now)]


def alert(aid: str, edge: int, raised: float, *, cleared: float | None = None) -> dict[str, Any]:
    return {"id": aid, "edge": edge, "name": "Western Hwy", "lat": ROAD_LAT, "lon": MID, "from_m": 3000.0,
            "to_m": 3500.0, "raised": raised, "speed_kmh": 9.0, "baseline_kmh": 78.0,
            "state": "cleared" if cleared else "active",
            "cleared": cleared, "acknowledged_by": None}


def camera(cid: str, name: str, live: bool, now: float) -> dict[str, Any]:
    minute = now // 60 * 60
    return {"id": cid, "name": name, "lat": 17.49, "lon": -88.19, "bearing_deg": 90.0, "stream": f"police:{cid}",
            "live": live, "live_since": now - 3600 if live else None, "line": [[0.1, 0.6], [0.9, 0.6]],
            "directions": {"a_to_b": "to Belmopan", "b_to_a": "to Belize City"},
            "last_minute": {"a_to_b": 7, "b_to_a": 3},
            "history": [[minute - 60 * k, 5 + k % 4, 2 + k % 3] for k in range(30, 0, -1)]}


def corridor(now: float) -> dict[str, Any]:
    return {"id": "bzc-bmp", "name": "Belize City → Belmopan", "origin": "Belize City", "destination": "Belmopan",
            "length_km": 78.0, "free_flow_s": 3600.0, "travel_s": 4680.0, "index": 1.3, "coverage": 0.6,
            "level": "slow", "edges": [1, 4],
            "history": [[now - 300 * k, 3600.0 + 900.0 * math.sin(k / 9) ** 2] for k in range(72, 0, -1)]}


@dataclass
class TrafficApi:
    """The contract's answers, and what the page asked (`requests`: method and path with query)."""

    now: float = field(default_factory=time.time)
    denied: str | None = None  # a 403 detail to answer every read with
    requests: list[tuple[str, str]] = field(default_factory=list)
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.alerts = {"a-old": alert("a-old", 2, self.now - 3000, cleared=self.now - 2000),
                       "a-new": alert("a-new", 2, self.now - 120)}

    def handle(self, route: Route) -> None:
        url = urlparse(route.request.url)
        method = route.request.method
        self.requests.append((method, f"{url.path}?{url.query}"))
        path = url.path.removeprefix("/api/v1/traffic")
        query = parse_qs(url.query)
        if self.denied:
            return route.fulfill(status=403, json={"detail": self.denied})
        if path == "/segments" and "at" in query:
            at = float(query["at"][0])
            bin_start = at // 300 * 300
            body: dict[str, Any] = {"type": "FeatureCollection", "ts": bin_start, "bin_s": 300, "features": [
                segment(1, [[WEST, ROAD_LAT], [EAST, ROAD_LAT]], "congested", 30.0, now=bin_start)]}
        elif path == "/segments":
            body = {"type": "FeatureCollection", "ts": self.now, "features": live_segments(self.now)}
        elif path.endswith("/history"):
            body = {"edge": int(path.split("/")[2]), "name": "Western Hwy",
                    "bins": [[self.now - 300 * k, 40.0 + k % 7 * 5, 6] for k in range(72, 0, -1)]}
        elif path == "/corridors":
            body = {"ts": self.now, "corridors": [corridor(self.now)]}
        elif path == "/alerts":
            body = {"alerts": list(self.alerts.values())}
        elif path.startswith("/alerts/") and path.endswith("/ack") and method == "POST":
            aid = path.split("/")[2]
            self.alerts[aid] = {**self.alerts[aid], "acknowledged_by": "traffic.manager"}
            body = self.alerts[aid]
        elif path == "/cameras":
            body = {"cameras": [camera("cam-1", "Haulover Bridge", True, self.now),
                                camera("cam-2", "Hattieville", False, self.now)]}
        else:
            return route.fulfill(status=404, json={"detail": f"unknown: {path}"})
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    def serve(self, page: Page) -> None:
        page.route("**/api/v1/traffic/**", self.handle)
