"""The dispatch shell (computer-aided dispatch): incidents stored and shared, the unit board, assignments and
other commands over MQTT with their acknowledgements, emergency alerts, geofences and inter-agency messages.

It calls the pure core in `dispatch/` with plain data and the clock's `now`, subscribes to the bus (unit
status words, alerts, acks, fixes), pushes what consoles must see through the live hub (`LiveHub.notify`,
audience decided with `psn.access`), and is reached over HTTP through one router package, `psn/api/cad/`.
`Cad` (service.py) builds the pieces; the server starts it after the store and stops it before.
"""

from psn.cad.service import Cad, CadContext

__all__ = ["Cad", "CadContext"]
