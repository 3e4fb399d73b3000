"""The network inventory psn keeps (sites, cells, devices): held in memory for the other parts' look-ups
(`cell(id)` for the live cells view, `cells()` for the radio and programme parts), written through to the store,
every change audited. A device names its certificate by serial; its state is read from the CA's index
(`{data dir}/pki/ca/index.json`, followed as `psn pki` changes it).

Single and batch changes go through the pure rules of `netmgmt.inventory`; a batch (a file import) keeps its good
rows and names the bad ones.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from netmgmt import inventory as core
from netmgmt.inventory import Cell, Device, InventoryError, Item, Kind, Merge, Refusal, Site, Snapshot
from psn.audit import AuditLog
from psn.clock import Clock
from psn.mqtt.certs import LiveIndex
from psn.store import Database
from psn.store.net_inventory_schema import TABLES, net_inventory_version

log = logging.getLogger(__name__)
T = TypeVar("T")
REFRESH_S = 5.0  # how stale a look-up may be after another process changed the rows
SINGULAR: dict[Kind, str] = {"sites": "site", "cells": "cell", "devices": "device"}


class NotFound(KeyError):
    """No row of that kind and id."""


class Conflict(ValueError):
    """The change contradicts the inventory (an id taken, a site with cells, an IMEI on another device)."""


class Inventory:
    def __init__(self, db: Database, audit: AuditLog, clock: Clock, data_dir: Path) -> None:
        self._db, self._audit, self._clock = db, audit, clock
        self._pki = LiveIndex(data_dir)
        self._lock = threading.Lock()
        self._snap = Snapshot()
        self._version = -1  # the store's change counter the snapshot reflects
        self._checked = -math.inf

    def load(self) -> None:
        with self._lock, self._db.engine.connect() as conn:
            self._reload(conn, _version(conn))
            self._checked = self._clock.time()

    def _reload(self, conn: sa.Connection, version: int) -> None:
        snap = Snapshot()
        for kind, make in core.KINDS.items():
            for row in conn.execute(sa.select(TABLES[kind])).mappings():
                snap.put(make(**row))
        self._snap, self._version = snap, version

    def _current(self) -> Snapshot:
        """The rows, re-read when another process (`psn net import-plan`, another psn instance) changed them;
        the store is asked at most every REFRESH_S."""
        now = self._clock.time()
        if now - self._checked < REFRESH_S:
            return self._snap
        with self._lock:
            if now - self._checked >= REFRESH_S:
                self._checked = now
                try:
                    with self._db.engine.connect() as conn:
                        version = _version(conn)
                        if version != self._version:
                            self._reload(conn, version)
                except sa.exc.SQLAlchemyError as exc:  # the store is away: the last rows known serve meanwhile
                    log.warning("inventory not refreshed: %s", exc)
        return self._snap

    # Look-ups (the contract's seam for the other parts)

    def cell(self, cell_id: str) -> Cell | None:
        return self._current().cells.get(cell_id)

    def cells(self) -> list[Cell]:
        return _by_id(self._current().cells)

    def sites(self) -> list[Site]:
        return _by_id(self._current().sites)

    def devices(self) -> list[Device]:
        return _by_id(self._current().devices)

    def get(self, kind: Kind, item_id: str) -> Item | None:
        return self._current().get(kind, item_id)

    def rows(self, kind: Kind) -> list[Item]:
        return _by_id(self._current().of(kind))

    # Changes: each in one transaction that first bumps the store's change counter (writers queue on its row,
    # across processes too) and, when another process changed the rows since, decides on them re-read.

    def save(self, raw: Item, who: str, *, create: bool) -> Item:
        """Creates (`create`) or replaces one row. InventoryError: invalid; NotFound; Conflict."""
        item = core.normalised(raw)
        kind = core.kind_of(item)
        found = core.problems(item)
        if found:
            raise InventoryError("; ".join(found))
        before: Item | None = None

        def change(snap: Snapshot) -> None:
            nonlocal before
            before = snap.get(kind, item.id)
            if create and before is not None:
                raise Conflict(f"id: {SINGULAR[kind]} {item.id} exists (PUT replaces it)")
            if not create and before is None:
                raise NotFound(f"no {SINGULAR[kind]} {item.id!r}")
            reasons = core.conflicts(snap, item)
            if reasons:
                raise Conflict("; ".join(reasons))
            snap.put(item)

        self._commit(change)
        self._audit.record(who, f"net.{SINGULAR[kind]}.{'create' if create else 'update'}", item.id,
                           **_changes(before, item))
        return item

    def delete(self, kind: Kind, item_id: str, who: str) -> None:
        def change(snap: Snapshot) -> None:
            if snap.get(kind, item_id) is None:
                raise NotFound(f"no {SINGULAR[kind]} {item_id!r}")
            blockers = core.delete_blockers(snap, item_id) if kind == "sites" else []
            if blockers:
                raise Conflict(f"site {item_id} still has cells {', '.join(blockers)}: delete or move them first")
            snap.remove(kind, item_id)

        self._commit(change)
        self._audit.record(who, f"net.{SINGULAR[kind]}.delete", item_id)

    def import_rows(self, entries: list[tuple[str, Item | Refusal]], who: str, source: str,
                    screen: Callable[[Item], list[str]] = core.accept_all) -> Merge:
        """Merges a parsed file: the good rows are stored in one transaction, the bad ones come back refused."""
        result = Merge()

        def change(snap: Snapshot) -> None:
            nonlocal result
            result = core.merge(snap, entries, screen)
            for item in result.accepted:
                snap.put(item)

        self._commit(change)
        self._audit.record(who, "net.inventory.import", source, created=result.created, updated=result.updated,
                           unchanged=result.unchanged, refused=len(result.refused),
                           changed=[f"{core.kind_of(i)}/{i.id}" for i in result.accepted])
        return result

    def _commit(self, change: Callable[[Snapshot], None]) -> None:
        """`change` edits a copy of the rows (or raises: nothing changes); the difference goes to the store, then
        the copy becomes the rows (a store failure changes nothing either)."""
        with self._lock:
            with self._db.engine.begin() as conn:
                version = _bump(conn)
                if version != self._version + 1:
                    self._reload(conn, version - 1)
                snap = self._snap.copy()
                change(snap)
                for kind in core.KINDS:
                    _store(conn, kind, self._snap.of(kind), snap.of(kind))
            self._snap, self._version, self._checked = snap, version, self._clock.time()  # committed

    # Certificates

    def certificate(self, device: Device) -> dict[str, Any] | None:
        """The state of the device's certificate in the CA's index: valid, revoked, expired, or unknown (not
        issued by this CA, or no CA here)."""
        if device.certificate is None:
            return None
        record = self._pki.record(int(device.certificate, 16))
        if record is None:
            return {"serial": device.certificate, "state": "unknown", "subject": None, "not_after": None,
                    "revoked_at": None, "reason": None, "matches_unit": None}
        return {"serial": device.certificate, "state": record.state(self._clock.time()), "subject": record.subject,
                "not_after": record.not_after, "revoked_at": record.revoked_at, "reason": record.reason,
                "matches_unit": record.subject == device.unit_id}

    def row(self, item: Item) -> dict[str, Any]:
        out = asdict(item)
        if isinstance(item, Device):
            out["unit_id"] = item.unit_id
            out["certificate"] = self.certificate(item)
        return out


def _version(conn: sa.Connection) -> int:
    counter = net_inventory_version.c
    return int(conn.execute(sa.select(counter.version).where(counter.id == 1)).scalar_one())


def _bump(conn: sa.Connection) -> int:
    counter = net_inventory_version.c
    conn.execute(net_inventory_version.update().where(counter.id == 1).values(version=counter.version + 1))
    return _version(conn)


def _store(conn: sa.Connection, kind: Kind, old: Mapping[str, Item], new: Mapping[str, Item]) -> None:
    table = TABLES[kind]
    for item_id in old.keys() - new.keys():
        conn.execute(table.delete().where(table.c.id == item_id))
    for item_id, item in new.items():
        if item_id not in old:
            conn.execute(table.insert().values(**asdict(item)))
        elif old[item_id] != item:
            conn.execute(table.update().where(table.c.id == item_id).values(**asdict(item)))


def _by_id(rows: Mapping[str, T]) -> list[T]:
    return [rows[key] for key in sorted(rows)]


def _changes(before: Item | None, after: Item) -> dict[str, Any]:
    """The fields a change set, with their old values, for the audit record."""
    old = asdict(before) if before is not None else {}
    return {k: {"from": old.get(k), "to": v} for k, v in asdict(after).items() if old.get(k) != v}
