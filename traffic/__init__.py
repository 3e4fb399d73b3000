"""Traffic analytics and the road network (pure: numpy, scipy, pyproj; no I/O)."""

from traffic.roads import CLASS_SPEED, Road, RoadNetwork

__all__ = ["CLASS_SPEED", "Road", "RoadNetwork"]
