"""What this instance does with a change another instance made (`psn.store.changes`): it reads that one thing
back from the database into memory and tells its own consoles as the other instance told its own (same live
event, same audience rule). A full reload stands for everything the listener may have missed."""

from __future__ import annotations

import logging
from collections.abc import Callable

from psn.cad import Cad
from psn.net.uplift import QosService
from psn.sharing import SharingStore
from psn.store import changes
from psn.store.changes import Change
from psn.traffic.cameras import CameraService

log = logging.getLogger(__name__)


class RemoteChanges:
    def __init__(self, sharing: SharingStore, cad: Cad, qos: QosService, cameras: CameraService) -> None:
        self.cad, self.qos, self.cameras = cad, qos, cameras
        self._apply: dict[str, Callable[[Change], None]] = {
            changes.INCIDENT: lambda c: cad.incidents.refresh(c.key),
            changes.SHARING: lambda _c: sharing.reload_grants(),
            changes.MESSAGE: lambda c: cad.messages.arrived(c.key),
            changes.GEOFENCE: lambda c: cad.geofences.refresh(c.key),
            changes.UPLIFT: lambda c: qos.refresh_uplift(int(c.key)),
            changes.QOS_PROFILES: lambda _c: qos.refresh_profiles(),
            changes.BOARD: self._board,
            changes.COMMAND: lambda c: cad.commands.refresh(c.key, dict(c.extra).get("told", "")),
            changes.CAMERA: lambda c: cameras.refresh(c.key),
        }

    def apply(self, change: Change) -> None:
        self._apply[change.kind](change)

    def reload_all(self) -> None:
        """Everything the listener may have missed, read back. Messages and commands are not held in memory: a
        console that missed one reads them again (`GET /api/v1/messages`, `/api/v1/commands`)."""
        self.cad.incidents.reload_all()  # the sharing grants too: after noting who could view each incident before
        self.cad.board_store.load()
        self.cad.geofences.load()
        self.qos.reload()
        self.cameras.reload()

    def _board(self, change: Change) -> None:
        if self.cad.board_store.refresh(change.key) is not None:
            told = dict(change.extra)
            self.cad.board_live.tell(change.key, told.get("via", ""), told.get("actor", ""))
