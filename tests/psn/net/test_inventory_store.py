"""The inventory's store on PostgreSQL (rows survive a reload, the database's own uniqueness holds), a device's
certificate state read from the CA's index, and `psn net import-plan`."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography import x509

from crypto.pki import init_ca
from netmgmt.inventory import Cell, Device, Site
from psn.audit import AuditLog
from psn.cli import main
from psn.clock import Clock, ManualClock, SystemClock
from psn.mqtt.certs import ca_dir
from psn.net.inventory import REFRESH_S, Conflict, Inventory
from psn.store import Database
from psn.store.net_inventory_schema import net_devices

IMEI = "490154203237518"  # Luhn digit worked by hand in tests/netmgmt/test_inventory.py
SITE = Site("ORG", "Orange Walk", 18.08, -88.56)
CELL = Cell("ORG-1", "ORG", 18.08, -88.56, 0.0)
DEVICE = Device("BC-0042", "body_cam", "police", IMEI, "P-101", "702670123456789", "89014103211118510720")


def inventory(url: str, data_dir: Path, clock: Clock | None = None) -> tuple[Inventory, Database]:
    db = Database(url)
    db.migrate()
    clock = clock or SystemClock()
    store = Inventory(db, AuditLog(data_dir / "audit.jsonl", data_dir / "keys", clock), clock, data_dir)
    store.load()
    return store, db


def test_rows_survive_a_reload_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    store, db = inventory(pg_url, tmp_path)
    for item in (SITE, CELL, DEVICE):
        store.save(item, "netops", create=True)
    moved = Cell("ORG-1", "ORG", 18.08, -88.56, 45.0, 4.0, 35.0, 43.0, "NR", "n14")
    store.save(moved, "netops", create=False)
    with pytest.raises(Conflict):
        store.delete("sites", "ORG", "netops")
    again, _ = inventory(pg_url, tmp_path)
    assert (again.sites(), again.cells(), again.devices()) == ([SITE], [moved], [DEVICE])
    assert again.cell("ORG-1") == moved and again.cell("ORG-9") is None
    with db.engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):  # the database holds the rule too
        conn.execute(net_devices.insert().values(id="other", kind="phone", agency="fire", imei=IMEI))
    db.close()


def test_two_processes_on_one_postgresql_see_each_others_changes(pg_url: str, tmp_path: Path) -> None:
    """`psn net import-plan` while psn runs, or two psn instances: each decides its changes on the rows the store
    holds, and its look-ups follow the other's changes within REFRESH_S."""
    clock = ManualClock()
    server, server_db = inventory(pg_url, tmp_path / "a", clock)
    command, command_db = inventory(pg_url, tmp_path / "b")
    command.save(SITE, "cli", create=True)
    assert server.sites() == []  # not asked again yet
    clock.advance(REFRESH_S)
    assert server.sites() == [SITE]
    command.save(CELL, "cli", create=True)
    with pytest.raises(Conflict, match="exists"):  # decided on the store's rows, not on its own stale ones
        server.save(CELL, "netops", create=True)
    server.save(DEVICE, "netops", create=True)
    with pytest.raises(Conflict, match="imei: 490154203237518 already belongs to device BC-0042"):
        command.save(Device("BC-0099", "phone", "fire", IMEI), "cli", create=True)
    assert (server.cells(), command.devices()) == ([CELL], [DEVICE])
    server_db.close()
    command_db.close()


def test_a_device_shows_its_certificate_state(tmp_path: Path) -> None:
    now = time.time()
    ca = init_ca(ca_dir(tmp_path), "Test CA", now=now)
    valid = ca.issue_unit("police", "P-101", now=now).serial
    revoked = ca.issue_unit("police", "P-102", now=now).serial
    ca.revoke(revoked, now=now, reason=x509.ReasonFlags.key_compromise)
    expired = ca.issue_unit("police", "P-103", now=now - 3 * 86400, days=1).serial
    store, db = inventory(f"sqlite:///{tmp_path / 'psn.db'}", tmp_path)
    states = {}
    for serial, unit in ((valid, "P-101"), (revoked, "P-102"), (expired, "P-103"), (0xDEAD, "P-104"),
                         (valid, "P-105")):
        device = Device(f"D-{unit}", "phone", "police", IMEI, unit, certificate=f"{serial:x}")
        row = store.row(device)["certificate"]
        states[unit] = (row["state"], row["subject"], row["matches_unit"])
    assert states == {"P-101": ("valid", "police/P-101", True), "P-102": ("revoked", "police/P-102", True),
                      "P-103": ("expired", "police/P-103", True), "P-104": ("unknown", None, None),
                      "P-105": ("valid", "police/P-101", False)}  # someone else's certificate
    assert store.row(Device("D-0", "phone", "police", IMEI))["certificate"] is None
    db.close()


def test_without_a_ca_every_certificate_is_unknown(tmp_path: Path) -> None:
    store, db = inventory(f"sqlite:///{tmp_path / 'psn.db'}", tmp_path)
    assert store.row(Device("D-1", "phone", "police", IMEI, certificate="ab"))["certificate"]["state"] == "unknown"
    db.close()


def test_the_import_plan_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path)]
    assert main(["net", "import-plan", *data]) == 0
    # 55 sites and 165 sectors in the shipped plan (grep counts in tests/netmgmt/test_inventory_codec.py).
    assert capsys.readouterr().out.splitlines() == ["sites: 55 created, 0 updated, 0 unchanged",
                                                    "cells: 165 created, 0 updated, 0 unchanged"]
    assert main(["net", "import-plan", *data]) == 0
    assert capsys.readouterr().out.splitlines() == ["sites: 0 created, 0 updated, 55 unchanged",
                                                    "cells: 0 created, 0 updated, 165 unchanged"]
    plan = tmp_path / "plan.json"
    plan.write_text('{"sites": [{"id": "A", "lat": 17.0, "lon": -88.0}, {"id": "B", "lon": -88.0}]}')
    assert main(["net", "import-plan", str(plan), *data]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "refused sites[1] (B): lat: missing"
    plan.write_text("{")
    assert main(["net", "import-plan", str(plan), *data]) == 2
    assert "not JSON" in capsys.readouterr().err
    plan.write_text("[" * 100_000)
    assert main(["net", "import-plan", str(plan), *data]) == 2
    assert "not JSON: nested too deeply" in capsys.readouterr().err
    assert '"net.inventory.import"' in (tmp_path / "audit" / "audit.jsonl").read_text()
