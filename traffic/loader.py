"""Road network files: the polylines of an extract (`{"roads": [{"n": name, "c": class, "g": [[lon, lat], …]}]}`,
as shipped in `data/`) and the reviewed connectors that belong to it.

Every well-formed road and connector is kept; each one that is not is refused with a reason (`Loaded.refused`),
so one bad entry never costs the rest. `load_roads` is the strict door routing uses: a refusal there is an error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traffic.connectors import Connector, is_lonlat, join, read_connectors
from traffic.entries import entries, sort_out
from traffic.roads import DEFAULT_ROADS, Road, RoadNetwork

# The reviewed connectors of the shipped extract (why each exists: docs/roads.md).
DEFAULT_CONNECTORS: Path = DEFAULT_ROADS.parent / "connectors.json"


@dataclass(frozen=True, slots=True)
class Loaded:
    roads: list[Road]  # with the applied connectors (split roads, then one two-point road per connector)
    connectors: list[Connector]  # those applied
    refused: list[str]  # one reason per road or connector left out


def read_roads(raw: Any) -> tuple[list[Road], list[str]]:
    """The well-formed roads of a parsed road file, and a reason for each one that is not."""
    listed = entries(raw, "roads", "road network")
    if not listed:
        raise ValueError('no roads: the "roads" list is empty')
    return sort_out(listed, _malformed, _road, _label)


def _road(entry: dict[str, Any]) -> Road:
    return Road(entry.get("n") or "", entry.get("c") or "", [(p[0], p[1]) for p in entry["g"]])


def _label(i: int, entry: Any) -> str:
    name = entry.get("n") if isinstance(entry, dict) else None
    return f"road {i}" + (f" ({name!r})" if isinstance(name, str) and name else "")


def _malformed(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return "not an object"
    if not isinstance(entry.get("n") or "", str) or not isinstance(entry.get("c") or "", str):
        return '"n" (name) and "c" (class) must be strings'
    points = entry.get("g")
    if not isinstance(points, list) or len(points) < 2:
        return '"g" must list at least two [lon, lat] points'
    bad = next((j for j, p in enumerate(points) if not is_lonlat(p)), None)
    if bad is not None:
        return f'point {bad} of "g" is not a [lon, lat] pair of numbers in range'
    return None


def shipped_connectors(path: Path) -> Path | None:
    """The reviewed connectors that belong to a road file: the shipped list for the shipped extract."""
    return DEFAULT_CONNECTORS if path.resolve() == DEFAULT_ROADS else None


def load(path: Path = DEFAULT_ROADS, connectors: Path | None = None) -> Loaded:
    """The roads of `path` joined by the connectors of the file `connectors` (none if None).

    Raises OSError or ValueError (with the reason) when a file cannot be read as a whole.
    """
    roads, refused = read_roads(_read_json(path))
    if connectors is None or not roads:  # no connectors, or no road left to join
        return Loaded(roads, [], refused)
    listed, malformed = read_connectors(_read_json(connectors))
    joined = join(roads, listed)
    return Loaded(joined.roads, joined.connectors, refused + malformed + joined.refused)


def load_roads(path: Path = DEFAULT_ROADS, snap_m: float = 100.0) -> RoadNetwork:
    """The routable network of a road file with its reviewed connectors, by default Belize's trunk and primary
    roads; ValueError if anything in them is refused."""
    loaded = load(path, shipped_connectors(path))
    if loaded.refused:
        raise ValueError(f"{path}: " + "; ".join(loaded.refused))
    return RoadNetwork(loaded.roads, snap_m)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as e:  # JSON and UTF-8 errors alike
        raise ValueError(f"{path}: not JSON ({e})") from e
