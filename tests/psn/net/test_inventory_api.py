"""The inventory over real HTTP: the network admin creates, edits and deletes; field officers and dispatchers are
refused; an agency admin sees its own agency's devices only; every change is in the audit log."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psn.access import Role
from psn.api.net import inventory as inventory_api
from tests.support import RunningServer

BASE = "/api/v1/net/inventory"
PLAN = Path(__file__).resolve().parents[3] / "simulator" / "data" / "belize-band14-plan.json"
SITE = {"id": "ORG", "name": "Orange Walk", "lat": 18.08, "lon": -88.56, "environment": "rural"}
CELL = {"id": "ORG-1", "site": "ORG", "lat": 18.08, "lon": -88.56, "azimuth_deg": 0.0, "tilt_deg": 3.0,
        "height_m": 40.0, "power_dbm": 46.0, "technology": "LTE", "band": "LTE Band 14"}
# IMEIs with hand-computed Luhn digits (tests/netmgmt/test_inventory.py shows the sums).
DEVICE = {"id": "BC-0042", "kind": "body_cam", "agency": "police", "imei": "490154203237518", "unit": "P-101",
          "imsi": "702670123456789", "iccid": "89014103211118510720", "certificate": None}
FIRE_DEVICE = {"id": "FM-7", "kind": "vehicle_modem", "agency": "fire", "imei": "356938035643809", "unit": None,
               "imsi": None, "iccid": None, "certificate": None}


def call(server: RunningServer, method: str, path: str, token: str, body: Any = None,
         content: str | bytes | None = None, **params: str) -> httpx.Response:
    return httpx.request(method, server.base_url + BASE + path, json=body, content=content, params=params,
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_the_network_admin_creates_edits_and_deletes(psn_server: RunningServer) -> None:
    admin = psn_server.token("police", Role.NETWORK_ADMIN)
    assert call(psn_server, "POST", "/cells", admin, CELL).json()["detail"] == \
        "site: no site 'ORG' (create the site first)"
    assert call(psn_server, "POST", "/sites", admin, SITE).status_code == 201
    assert call(psn_server, "POST", "/sites", admin, SITE).status_code == 409
    created = call(psn_server, "POST", "/cells", admin, CELL)
    assert (created.status_code, created.json()) == (201, CELL)
    assert call(psn_server, "GET", "/cells/ORG-1", admin).json() == CELL
    assert call(psn_server, "GET", "/cells", admin).json() == {"cells": [CELL]}

    tilted = call(psn_server, "PUT", "/cells/ORG-1", admin, {**CELL, "tilt_deg": 5.5})
    assert (tilted.status_code, tilted.json()["tilt_deg"]) == (200, 5.5)
    assert call(psn_server, "PUT", "/cells/ORG-1", admin, {**CELL, "id": "ORG-2"}).status_code == 422
    assert call(psn_server, "PUT", "/cells/ORG-9", admin, {**CELL, "id": "ORG-9"}).status_code == 404
    refused = call(psn_server, "DELETE", "/sites/ORG", admin)
    assert (refused.status_code, refused.json()["detail"]) == (
        409, "site ORG still has cells ORG-1: delete or move them first")

    device = call(psn_server, "POST", "/devices", admin, DEVICE)
    assert device.status_code == 201, device.text
    assert device.json() == {**DEVICE, "unit_id": "police/P-101"}
    twin = call(psn_server, "POST", "/devices", admin, {**FIRE_DEVICE, "imei": DEVICE["imei"]})
    assert (twin.status_code, twin.json()["detail"]) == (409, "imei: 490154203237518 already belongs to device BC-0042")
    unbound = call(psn_server, "PUT", "/devices/BC-0042", admin, {**DEVICE, "unit": None})
    assert unbound.json()["unit_id"] is None

    for kind, item_id in (("devices", "BC-0042"), ("cells", "ORG-1"), ("sites", "ORG")):
        assert call(psn_server, "DELETE", f"/{kind}/{item_id}", admin).json() == {"deleted": item_id, "kind": kind}
        assert call(psn_server, "GET", f"/{kind}/{item_id}", admin).status_code == 404
    audit = [json.loads(line)["entry"] for line in psn_server.server.audit.file.path.read_text().splitlines()
             if "entry" in json.loads(line)]
    actions = [(e.get("action"), e.get("target")) for e in audit if str(e.get("action", "")).startswith("net.")]
    assert actions == [("net.site.create", "ORG"), ("net.cell.create", "ORG-1"), ("net.cell.update", "ORG-1"),
                       ("net.device.create", "BC-0042"), ("net.device.update", "BC-0042"),
                       ("net.device.delete", "BC-0042"), ("net.cell.delete", "ORG-1"), ("net.site.delete", "ORG")]
    update = next(e for e in audit if e.get("action") == "net.cell.update")
    assert update["detail"] == {"tilt_deg": {"from": 3.0, "to": 5.5}}


def test_bad_bodies_are_named(psn_server: RunningServer) -> None:
    admin = psn_server.token("police", Role.NETWORK_ADMIN)
    assert call(psn_server, "POST", "/sites", admin, SITE).status_code == 201
    cases = [
        ("/sites", {**SITE, "id": "S2", "lat": 91}, "lat: 91.0 is outside -90..90"),
        ("/sites", {**SITE, "id": "S2", "altitude": 3}, "unknown fields altitude"),
        ("/sites", {**SITE, "id": "S2", "lat": "north"}, "lat: "),
        ("/cells", {**CELL, "azimuth_deg": 400}, "azimuth_deg: 400.0 is outside 0..360"),
        ("/devices", {**DEVICE, "imei": "490154203237517"}, "imei: 490154203237517 fails its Luhn check digit"),
        ("/devices", {**DEVICE, "iccid": "19014103211118510720"}, "iccid: 19014103211118510720 must start with 89"),
        ("/devices", {**DEVICE, "agency": "navy"}, "agency: 'navy' is not one of bdf, ems, fire, nemo, police"),
        ("/devices", {**DEVICE, "kind": "pager"}, "kind: 'pager' is not one of phone"),
        ("/devices", {**DEVICE, "imei": 490154203237518}, "imei: "),
    ]
    for path, body, reason in cases:
        response = call(psn_server, "POST", path, admin, body)
        assert response.status_code == 422 and reason in str(response.json()["detail"]), (body, response.text)
    assert call(psn_server, "GET", "/sites", admin).json() == {"sites": [SITE]}


def test_field_officers_and_dispatchers_may_not_see_the_inventory(psn_server: RunningServer) -> None:
    for role in (Role.FIELD_OFFICER, Role.DISPATCHER):
        token = psn_server.token("police", role)
        for method, path, params in (("GET", "/sites", {}), ("GET", "/cells", {}), ("GET", "/devices", {}),
                                     ("GET", "/export", {"kind": "cells"}), ("POST", "/sites", {}),
                                     ("POST", "/import", {"format": "plan"}), ("DELETE", "/sites/ORG", {})):
            response = call(psn_server, method, path, token, SITE if method == "POST" else None, **params)
            assert response.status_code == 403, (role, method, path, response.text)
            assert "not allowed: no role of" in response.json()["detail"]


def test_an_agency_admin_sees_its_own_devices_only(psn_server: RunningServer) -> None:
    operator = psn_server.token("police", Role.NETWORK_ADMIN)
    for body in (DEVICE, FIRE_DEVICE):
        assert call(psn_server, "POST", "/devices", operator, body).status_code == 201
    assert [d["id"] for d in call(psn_server, "GET", "/devices", operator).json()["devices"]] == ["BC-0042", "FM-7"]

    police_admin = psn_server.token("police", Role.ADMIN)
    assert [d["id"] for d in call(psn_server, "GET", "/devices", police_admin).json()["devices"]] == ["BC-0042"]
    assert call(psn_server, "GET", "/devices/BC-0042", police_admin).status_code == 200
    # Another agency's device reads as an unknown one: neither its existence nor its agency leaks.
    for device_id in ("FM-7", "NO-SUCH"):
        refused = call(psn_server, "GET", f"/devices/{device_id}", police_admin)
        assert (refused.status_code, refused.json()) == (404, {"detail": f"no device {device_id!r}"})
    exported = call(psn_server, "GET", "/export", police_admin, kind="devices", format="csv").text
    assert [line.split(",")[0] for line in exported.splitlines()] == ["id", "BC-0042"]
    # Viewing is all an agency admin may do with devices, its own included.
    assert call(psn_server, "PUT", "/devices/BC-0042", police_admin, DEVICE).status_code == 403
    assert call(psn_server, "DELETE", "/devices/BC-0042", police_admin).status_code == 403
    fire_admin = psn_server.token("fire", Role.ADMIN)
    assert [d["id"] for d in call(psn_server, "GET", "/devices", fire_admin).json()["devices"]] == ["FM-7"]
    assert call(psn_server, "GET", "/sites", fire_admin).status_code == 200  # the network itself is unowned


def test_import_the_plan_then_a_csv_with_bad_rows(psn_server: RunningServer) -> None:
    admin = psn_server.token("police", Role.NETWORK_ADMIN)
    first = call(psn_server, "POST", "/import", admin, content=PLAN.read_text(), format="plan")
    # 55 sites and 165 sectors: counted with grep in tests/netmgmt/test_inventory_codec.py.
    assert first.json() == {"format": "plan", "refused": [],
                            "imported": {"cells": {"created": 165, "updated": 0, "unchanged": 0},
                                         "sites": {"created": 55, "updated": 0, "unchanged": 0}}}
    again = call(psn_server, "POST", "/import", admin, content=PLAN.read_text(), format="plan").json()
    assert again["imported"]["cells"] == {"created": 0, "updated": 0, "unchanged": 165}
    assert len(call(psn_server, "GET", "/cells", admin).json()["cells"]) == 165
    assert psn_server.server.inventory.cell("BZE-PMD-1") is not None  # the seam the live cells view reads

    csv = ("id,site,lat,lon,azimuth_deg\n"
           "BZE-PMD-4,BZE-PMD,17.5135,-88.1868,300\n"
           "BZE-PMD-5,BZE-XXX,17.5135,-88.1868,60\n"
           "BZE-PMD-6,BZE-PMD,17.5135,-88.1868,east\n"
           "BZE-PMD-1,BZE-PMD,17.5135,-88.1868,10\n")
    report = call(psn_server, "POST", "/import", admin, content=csv, format="csv", kind="cells").json()
    assert report == {"format": "csv",
                      "imported": {"cells": {"created": 1, "updated": 1, "unchanged": 0}},
                      "refused": [
                          {"at": "line 3", "id": "BZE-PMD-5",
                           "reason": "site: no site 'BZE-XXX' (create the site first)"},
                          {"at": "line 4", "id": "BZE-PMD-6", "reason": "azimuth_deg: 'east' is not a number"},
                      ]}
    assert call(psn_server, "GET", "/cells/BZE-PMD-4", admin).json()["tilt_deg"] == 3.0  # the default
    assert call(psn_server, "GET", "/cells/BZE-PMD-1", admin).json()["azimuth_deg"] == 10.0
    for body, params in (("id,name\n", {"kind": "sites", "format": "csv"}), ("{", {"format": "plan"}),
                         ('{"type": "Feature"}', {"kind": "sites", "format": "geojson"}),
                         ("x", {"format": "csv"})):
        assert call(psn_server, "POST", "/import", admin, content=body, **params).status_code == 422
    bad_bytes = httpx.post(psn_server.base_url + BASE + "/import", params={"format": "csv", "kind": "sites"},
                           content=b"id,name,lat,lon\n\xff\n", headers={"Authorization": f"Bearer {admin}"})
    assert bad_bytes.status_code == 422 and "not UTF-8" in bad_bytes.json()["detail"]
    audit = psn_server.server.audit.file.path.read_text()
    assert audit.count('"net.inventory.import"') == 3


def test_exports_read_back_as_they_were(psn_server: RunningServer) -> None:
    admin = psn_server.token("police", Role.NETWORK_ADMIN)
    call(psn_server, "POST", "/import", admin, content=PLAN.read_text(), format="plan")
    for fmt in ("csv", "geojson"):
        exported = call(psn_server, "GET", "/export", admin, kind="cells", format=fmt)
        assert exported.headers["content-disposition"] == f'attachment; filename="psn-cells.{fmt}"'
        again = call(psn_server, "POST", "/import", admin, content=exported.text, format=fmt, kind="cells").json()
        assert again["imported"]["cells"] == {"created": 0, "updated": 0, "unchanged": 165}
    layer = call(psn_server, "GET", "/export", admin, kind="sites", format="geojson").json()
    pmd = next(f for f in layer["features"] if f["id"] == "BZE-PMD")
    assert pmd["geometry"] == {"type": "Point", "coordinates": [-88.1868, 17.5135]}


HEADER = ["id", "kind", "agency", "imei", "unit", "imsi", "iccid", "certificate"]
good_rows = st.tuples(st.from_regex(r"\A[A-Z]{2}-[0-9]{1,4}\Z"),
                      st.sampled_from(["phone", "body_cam", "drone"]), st.sampled_from(["police", "fire"]),
                      st.text("0123456789", min_size=14, max_size=14).map(lambda p: p + luhn_digit(p)))
# Wrong field counts (one line each: no line breaks in a field), or eight fields with an IMEI of the wrong length:
# always refused.
bad_rows = st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=5),
                    max_size=4) | st.tuples(
    st.from_regex(r"\A[A-Z]{2}-[0-9]{1,4}\Z"), st.just("phone"), st.sampled_from(["police", "navy"]),
    st.sampled_from([13, 14, 16]).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n)),
).map(lambda r: [*r, "", "", "", ""])


def luhn_digit(payload: str) -> str:
    """Written out apart from psn's: double every other digit from the right of the payload, digit sums, and
    complete to a multiple of ten."""
    total = sum(sum(divmod(int(ch) * (2 - i % 2), 10)) for i, ch in enumerate(reversed(payload)))
    return str(-total % 10)


def test_fuzzed_device_imports_keep_the_good_rows_as_sent(psn_server: RunningServer) -> None:
    admin = psn_server.token("police", Role.NETWORK_ADMIN)
    inventory = psn_server.server.inventory

    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.one_of(good_rows.map(lambda r: ("good", r)), bad_rows.map(lambda r: ("bad", r))),
                    max_size=6))
    def check(mixed: list[tuple[str, Any]]) -> None:
        for device in inventory.devices():
            inventory.delete("devices", device.id, "test")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        for what, row in mixed:
            writer.writerow([*row, "", "", "", ""] if what == "good" else row)
        response = call(psn_server, "POST", "/import", admin, content=out.getvalue(), format="csv", kind="devices")
        assert response.status_code == 200, response.text
        refused = {r["at"]: r["reason"] for r in response.json()["refused"]}
        sent: dict[str, dict[str, Any]] = {}
        imeis: set[str] = set()
        for line, (what, row) in enumerate(mixed, start=2):
            at = f"line {line}"
            if what == "bad":
                assert at in refused or not row, (row, refused)  # an empty row is a blank line, skipped
            elif row[0] in sent:
                assert "was given already" in refused[at]
            elif row[3] in imeis:
                assert "already belongs to device" in refused[at]
            else:
                assert at not in refused, refused[at]
                sent[row[0]] = dict(zip(HEADER[:4], row, strict=True))
                imeis.add(row[3])
        stored = {d["id"]: {k: d[k] for k in HEADER[:4]}
                  for d in call(psn_server, "GET", "/devices", admin).json()["devices"]}
        assert stored == sent

    check()


def test_any_bytes_get_an_answer_with_reasons(psn_server: RunningServer) -> None:
    """Never a 5xx; a 4xx names its reason and stores nothing; a 200 stores what it counts."""
    admin = psn_server.token("police", Role.NETWORK_ADMIN)
    inventory = psn_server.server.inventory

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: ("id,name,lat,lon\n" + t).encode()),
           st.sampled_from(["csv", "geojson", "plan"]))
    def check(body: bytes, fmt: str) -> None:
        before = len(inventory.sites())
        response = call(psn_server, "POST", "/import", admin, content=body,
                        format=fmt, **({"kind": "sites"} if fmt != "plan" else {}))
        assert response.status_code in (200, 422), response.text
        if response.status_code == 422:
            assert response.json()["detail"] and len(inventory.sites()) == before
        else:
            created = response.json()["imported"].get("sites", {"created": 0})["created"]
            assert len(inventory.sites()) == before + created

    check()


@pytest.mark.parametrize(("fmt", "kind"), [("plan", None), ("geojson", "sites")])
def test_json_nested_too_deep_is_refused_with_its_reason(psn_server: RunningServer, fmt: str, kind: str | None) -> None:
    admin = psn_server.token("police", Role.NETWORK_ADMIN)
    response = call(psn_server, "POST", "/import", admin, content=b"[" * 100_000, format=fmt,
                    **({"kind": kind} if kind else {}))
    assert (response.status_code, response.json()["detail"]) == (422, "not JSON: nested too deeply")


def test_an_oversized_file_is_refused_unread(psn_server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inventory_api, "MAX_IMPORT_BYTES", 4096)  # the shipped plan is about 9 kB
    admin = psn_server.token("police", Role.NETWORK_ADMIN)
    response = call(psn_server, "POST", "/import", admin, content=PLAN.read_text(), format="plan")
    assert (response.status_code, response.json()["detail"]) == (
        413, "the file is over 4096 bytes, the most taken at once")
    assert psn_server.server.inventory.sites() == []
