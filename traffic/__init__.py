"""Traffic analytics and the road network (pure: numpy, scipy, pyproj; the only I/O reads its own data files)."""

from traffic.roads import CLASS_SPEED, DEFAULT_ROADS, Road, RoadNetwork, load_roads

__all__ = ["CLASS_SPEED", "DEFAULT_ROADS", "Road", "RoadNetwork", "load_roads"]
