"""Two psn instances, `a` and `b`, in one process on one Mosquitto and one PostgreSQL database, for the tests of
several instances; and a console that keeps every unit its /api/v1/live WebSocket showed."""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from psn.store.schema import fixes
from tests.support import RunningServer, make_settings


@contextlib.contextmanager
def two_instances(tmp: Path, mqtt_url: str, db_url: str, before_b: Callable[[RunningServer], object] = lambda _a: None,
                  **extra: Any) -> Iterator[tuple[RunningServer, RunningServer]]:
    """`a` starts first (it migrates the database and creates the keys); `b` gets a copy of `a`'s keys, as every
    instance of one deployment shares them (docs/deploy.md, "Several instances"), so each reads what the other
    sealed and accepts the other's tokens. `before_b(a)` runs in between: what `b` loads at its start."""
    a = RunningServer(make_settings(tmp / "a", mqtt_url, db_url, instance="a", **extra)).start()
    try:
        before_b(a)
        shutil.copytree(tmp / "a" / "keys", tmp / "b" / "keys")
        b = RunningServer(make_settings(tmp / "b", mqtt_url, db_url, instance="b", **extra)).start()
        try:
            yield a, b
        finally:
            b.stop()
    finally:
        a.stop()


def stored_fixes(server: RunningServer) -> int:
    """Rows in the shared database's fixes table."""
    with server.server.db.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(fixes)).scalar_one())


class LiveUnits:
    """The unit ids a /api/v1/live WebSocket has shown (snapshot and updates), collected on its own thread."""

    def __init__(self, server: RunningServer, token: str) -> None:
        self.ws: ClientConnection = connect(f"{server.ws_url}/api/v1/live?access_token={token}")
        self.units: set[str] = set()
        self.events: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for text in self.ws:
                message = json.loads(text)
                if message["type"] in ("snapshot", "update"):
                    self.units.update(unit["id"] for unit in message["units"])
                else:
                    self.events.append(message)
        except ConnectionClosed:
            pass

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    def close(self) -> None:
        self.ws.close()
        self._thread.join(timeout=10)
