"""Training records on both engines, as migration 0011 makes the table: stored as given (text, float seconds),
read back in the order recorded, the same record twice refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from netmgmt.programme import Training
from psn.net.programme import DuplicateTraining, TrainingStore
from psn.store import Database

RECORDS = [Training("pc-101", "police", "Primeros auxilios — nivel 2", 1_764_000_000.125),
           Training("ff-7", "fire", "Body-worn cameras", 1_763_000_000.0),
           Training("pc-101", "police", "Body-worn cameras", 1_764_000_000.125)]


def test_trainings_stored_as_given_and_a_repeat_refused(db: Database) -> None:
    store = TrainingStore(db)
    for record in RECORDS:
        store.add(record, "academy.trainer", 1_764_000_100.0)
    with pytest.raises(DuplicateTraining, match="recorded already"):
        store.add(RECORDS[0], "other.trainer", 1_764_000_200.0)
    assert store.all() == RECORDS
    with db.engine.connect() as conn:
        recorders = conn.execute(sa.text("SELECT recorded_by, recorded FROM programme_trainings")).all()
    assert sorted(recorders) == [("academy.trainer", 1_764_000_100.0)] * 3


def test_a_failing_provider_costs_only_its_own_figures(db: Database, tmp_path: Path) -> None:
    from netmgmt.programme import NETWORK_SPECS, Figure
    from psn.audit import AuditLog
    from psn.clock import ManualClock
    from psn.net.programme import Programme

    def broken(_scope: object) -> list[Figure]:
        raise RuntimeError("the KPI store is down")

    def cells(_scope: object) -> list[Figure]:
        return [Figure(NETWORK_SPECS[0], 164.0)]

    clock = ManualClock(1_764_000_000.0)
    programme = Programme(db, clock, AuditLog(tmp_path / "audit.jsonl", tmp_path / "keys", clock), ("police",),
                          [broken, cells])
    by_id = {f.spec.id: f for f in programme.figures(None)}
    assert by_id["cells_up"].value == 164.0  # the provider after the broken one still counts
    assert by_id["alarms_active"].value is None and by_id["uplifts_active"].value is None
