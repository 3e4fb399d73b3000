"""The network inventory psn keeps (sites, cells, devices): held in memory for the other parts' look-ups
(`cell(id)` for the live cells view, `cells()` for the radio and programme parts), written through to the store,
every change audited. A device names its certificate by serial; its state is read from the CA's index
(`{data dir}/pki/ca/index.json`, followed as `psn pki` changes it).

Single and batch changes go through the pure rules of `netmgmt.inventory`; a batch (a file import) keeps its good
rows and names the bad ones.
"""

from __future__ import annotations

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
from psn.store.net_inventory_schema import TABLES

T = TypeVar("T")
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

    def load(self) -> None:
        snap = Snapshot()
        with self._db.engine.connect() as conn:
            for kind, make in core.KINDS.items():
                for row in conn.execute(sa.select(TABLES[kind])).mappings():
                    snap.put(make(**row))
        with self._lock:
            self._snap = snap

    # Look-ups (the contract's seam for the other parts)

    def cell(self, cell_id: str) -> Cell | None:
        return self._snap.cells.get(cell_id)

    def cells(self) -> list[Cell]:
        return _by_id(self._snap.cells)

    def sites(self) -> list[Site]:
        return _by_id(self._snap.sites)

    def devices(self) -> list[Device]:
        return _by_id(self._snap.devices)

    def get(self, kind: Kind, item_id: str) -> Item | None:
        return self._snap.get(kind, item_id)

    def rows(self, kind: Kind) -> list[Item]:
        return _by_id(self._snap.of(kind))

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snap.copy()

    # Changes

    def save(self, raw: Item, who: str, *, create: bool) -> Item:
        """Creates (`create`) or replaces one row. InventoryError: invalid; NotFound; Conflict."""
        item = core.normalised(raw)
        kind = core.kind_of(item)
        found = core.problems(item)
        if found:
            raise InventoryError("; ".join(found))
        with self._lock:
            before = self._snap.get(kind, item.id)
            if create and before is not None:
                raise Conflict(f"id: {SINGULAR[kind]} {item.id} exists (PUT replaces it)")
            if not create and before is None:
                raise NotFound(f"no {SINGULAR[kind]} {item.id!r}")
            found = core.conflicts(self._snap, item)
            if found:
                raise Conflict("; ".join(found))
            self._write([item])
        self._audit.record(who, f"net.{SINGULAR[kind]}.{'create' if create else 'update'}", item.id,
                           **_changes(before, item))
        return item

    def delete(self, kind: Kind, item_id: str, who: str) -> Item:
        with self._lock:
            item = self._snap.get(kind, item_id)
            if item is None:
                raise NotFound(f"no {SINGULAR[kind]} {item_id!r}")
            blockers = core.delete_blockers(self._snap, item_id) if kind == "sites" else []
            if blockers:
                raise Conflict(f"site {item_id} still has cells {', '.join(blockers)}: delete or move them first")
            with self._db.engine.begin() as conn:
                conn.execute(TABLES[kind].delete().where(TABLES[kind].c.id == item_id))
            snap = self._snap.copy()
            snap.remove(kind, item_id)
            self._snap = snap
        self._audit.record(who, f"net.{SINGULAR[kind]}.delete", item_id)
        return item

    def import_rows(self, entries: list[tuple[str, Item | Refusal]], who: str, source: str,
                    screen: Callable[[Item], list[str]]) -> Merge:
        """Merges a parsed file: the good rows are stored in one transaction, the bad ones come back refused."""
        with self._lock:
            result = core.merge(self._snap, entries, screen)
            self._write(result.accepted)
        self._audit.record(who, "net.inventory.import", source, created=result.created, updated=result.updated,
                           unchanged=result.unchanged, refused=len(result.refused),
                           changed=[f"{core.kind_of(i)}/{i.id}" for i in result.accepted])
        return result

    def _write(self, items: list[Item]) -> None:
        """Under the lock: store first, then the in-memory picture (a store failure changes nothing)."""
        snap = self._snap.copy()
        with self._db.engine.begin() as conn:
            for item in items:
                kind = core.kind_of(item)
                table, values = TABLES[kind], asdict(item)
                if snap.get(kind, item.id) is None:
                    conn.execute(table.insert().values(**values))
                else:
                    conn.execute(table.update().where(table.c.id == item.id).values(**values))
                snap.put(item)
        self._snap = snap

    # Certificates

    def certificate(self, device: Device) -> dict[str, Any] | None:
        """The state of the device's certificate in the CA's index: valid, revoked, expired, or unknown (not
        issued by this CA, or no CA here)."""
        if device.certificate is None:
            return None
        record = self._pki.record(int(device.certificate, 16))
        if record is None:
            return {"serial": device.certificate, "state": "unknown", "subject": None, "not_after": None,
                    "matches_unit": None}
        return {"serial": device.certificate, "state": record.state(self._clock.time()), "subject": record.subject,
                "not_after": record.not_after, "revoked_at": record.revoked_at, "reason": record.reason,
                "matches_unit": record.subject == device.unit_id}

    def row(self, item: Item) -> dict[str, Any]:
        out = asdict(item)
        if isinstance(item, Device):
            out["unit_id"] = item.unit_id
            out["certificate"] = self.certificate(item)
        return out


def _by_id(rows: Mapping[str, T]) -> list[T]:
    return [rows[key] for key in sorted(rows)]


def _changes(before: Item | None, after: Item) -> dict[str, Any]:
    """The fields a change set, with their old values, for the audit record."""
    old = asdict(before) if before is not None else {}
    return {k: {"from": old.get(k), "to": v} for k, v in asdict(after).items() if old.get(k) != v}
