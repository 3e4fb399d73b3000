"""Traffic analytics and the road network (pure: numpy, scipy, pyproj; the only I/O reads road network files)."""

from traffic.loader import DEFAULT_CONNECTORS, load_roads
from traffic.roads import CLASS_SPEED, DEFAULT_ROADS, Road, RoadNetwork

__all__ = ["CLASS_SPEED", "DEFAULT_CONNECTORS", "DEFAULT_ROADS", "Road", "RoadNetwork", "load_roads"]
