"""The traffic shell: the `Traffic` service around the pure analytics of `traffic/` (map matching, segment speeds,
history, drop detection, corridors), its JSON rows and live events, and the camera service counting vehicles off
the video frame tap (`psn.traffic.cameras`); REST in `psn.api.traffic`."""

from psn.traffic.service import Traffic

__all__ = ["Traffic"]
