"""Traffic analytics and the road network (pure: numpy, scipy, pyproj, pyosmium; the only I/O reads road files).

`RoadNetwork` (roads.py) is the shipped network (with its reviewed connectors, loader.py) as the demo fleet
drives it; `RoadGraph` (graph.py) the directed graph that dispatch routes on, built from it or from an
OpenStreetMap extract (osm.py); `Router` (router.py) gives every unit's travel time to one place from one search;
`check` finds what an operator must look at in a road network. From matched probe samples: `speeds` (rolling
per-edge speeds and levels), `history` (5-minute aggregates), `detect` (speed-drop alerts) and `corridors`
(town-to-town travel times).
"""

from traffic.graph import RoadGraph
from traffic.loader import DEFAULT_CONNECTORS, load_roads
from traffic.roads import CLASS_SPEED, DEFAULT_ROADS, Road, RoadNetwork
from traffic.router import OFFROAD_MPS, Route, Router

__all__ = ["CLASS_SPEED", "DEFAULT_CONNECTORS", "DEFAULT_ROADS", "OFFROAD_MPS", "Road", "RoadGraph", "RoadNetwork",
           "Route", "Router", "load_roads"]
