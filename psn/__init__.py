"""psn: the server core. Its public face: settings, the server shell, the clock and the live state.

The web layer (`psn.api`) builds on these; nothing here imports it.
"""

from psn.clock import Clock, ManualClock, SystemClock
from psn.config import Settings, load
from psn.state import LiveState, UnitState

__all__ = ["Clock", "LiveState", "ManualClock", "Settings", "SystemClock", "UnitState", "load"]
