"""The inventory's rules: identity numbers checked by hand-computed Luhn digits, field ranges, and how a batch of
rows merges (a cell needs its site, an IMEI belongs to one device, an id once per batch)."""

from __future__ import annotations

import pytest

from netmgmt import inventory as core
from netmgmt.inventory import Cell, Device, Refusal, Site, Snapshot

# 490154203237518 (the IMEI of ITU/GSMA examples): digits 4 9 0 1 5 4 2 0 3 2 3 7 5 1 | 8. Doubling every second
# digit from the left (9 1 4 0 2 7 1 → 18 2 8 0 4 14 2, digit sums 9 2 8 0 4 5 2 = 30) plus the others
# (4 0 5 2 3 3 5 = 22) gives 52: the check digit is 10 - 2 = 8.
IMEI = "490154203237518"
# 356938035643809: 3 5 6 9 3 8 0 3 5 6 4 3 8 0 | 9. Doubled 5 9 8 3 6 3 0 → 10 18 16 6 12 6 0, sums
# 1 9 7 6 3 6 0 = 32; others 3 6 3 0 5 4 8 = 29; 61 → check digit 9.
IMEI_2 = "356938035643809"
# 89014103211118510720 (20 digits): from the right, doubled (2nd, 4th, …) 2 0 5 1 1 2 0 4 0 8 → 4 0 1 2 2 4 0 8 0 7
# = 28; the others 0 7 1 8 1 1 3 1 1 9 = 32; 60 ends in 0: valid.
ICCID_20 = "89014103211118510720"
# 890126012345678901 + check: payload from the right 1 0 9 8 7 6 5 4 3 2 1 0 6 2 1 0 9 8, doubling the 1st, 3rd, …
# 1 9 7 5 3 1 6 1 9 → 2 9 5 1 6 2 3 2 9 = 39, the others 0 8 6 4 2 0 2 0 8 = 30; 69 → check digit 1.
ICCID_19 = "8901260123456789011"
IMSI = "702670123456789"  # MCC 702 (Belize), MNC 67, MSIN 0123456789

IMEIS = [
    (IMEI, True), (IMEI_2, True),
    ("490154203237517", False),  # check digit off by one
    ("49015420323751", False),  # 14 digits
    ("4901542032375180", False),  # 16 digits
    ("49015420323751X", False),
    ("４９０１５４２０３２３７５１８", False),  # full-width digits: str.isdigit says yes, an IMEI says no
    ("", False),
]
ICCIDS = [
    (ICCID_20, True), (ICCID_19, True),
    ("89014103211118510721", False),  # check digit
    ("8901260123456789012", False),  # check digit
    ("19014103211118510720", False),  # not 89
    ("890126012345678901", False),  # 18 digits
    ("890141032111185107201", False),  # 21 digits
    ("8901410321111851072O", False),  # a letter O
]
IMSIS = [(IMSI, True), ("001010000000001", True), ("70267012345678", False), ("7026701234567890", False),
         ("70267012345678a", False)]


@pytest.mark.parametrize(("number", "valid"), IMEIS)
def test_imei(number: str, valid: bool) -> None:
    assert (core.imei_problems(number) == []) is valid


@pytest.mark.parametrize(("number", "valid"), ICCIDS)
def test_iccid(number: str, valid: bool) -> None:
    assert (core.iccid_problems(number) == []) is valid


@pytest.mark.parametrize(("number", "valid"), IMSIS)
def test_imsi(number: str, valid: bool) -> None:
    assert (core.imsi_problems(number) == []) is valid


def test_reasons_name_the_rule() -> None:
    assert core.imei_problems("490154203237517") == ["imei: 490154203237517 fails its Luhn check digit"]
    assert core.iccid_problems("19014103211118510720") == [
        "iccid: 19014103211118510720 must start with 89 (the telecom industry identifier)"]
    assert core.imsi_problems("123") == ["imsi: '123' must be 15 digits"]


SITE = Site("BZE-PMD", "Belize City - Princess Margaret Drive", 17.5135, -88.1868, "urban")
CELL = Cell("BZE-PMD-1", "BZE-PMD", 17.5135, -88.1868, 0.0, 6.0, 35.0, 46.0, "LTE", "LTE Band 14")
DEVICE = Device("BC-0042", "body_cam", "police", IMEI, "P-101", IMSI, ICCID_20, "3f9a")

BAD = [
    (Site("a b", "x", 0, 0), "id"), (Site("s", " ", 0, 0), "name"), (Site("s", "a\x00b", 0, 0), "name"),
    (Site("s", "x" * 101, 0, 0), "name"), (Site("s", "x", 90.5, 0), "lat"), (Site("s", "x", 0, -180.1), "lon"),
    (Site("s", "x", float("nan"), 0), "lat"), (Site("s", "x", 0, 0, "suburban"), "environment"),
    (Cell("c", "s", 0, 0, 360.5), "azimuth_deg"), (Cell("c", "s", 0, 0, -0.1), "azimuth_deg"),
    (Cell("c", "s", 0, 0, 10, tilt_deg=-90.5), "tilt_deg"), (Cell("c", "s", 0, 0, 10, tilt_deg=91), "tilt_deg"),
    (Cell("c", "s", 0, 0, 10, height_m=-1), "height_m"), (Cell("c", "s", 0, 0, 10, power_dbm=61), "power_dbm"),
    (Cell("c", "s", 0, 0, 10, technology="GSM"), "technology"), (Cell("c", "s", 0, 0, 10, band=""), "band"),
    (Cell("c", "s/1", 0, 0, 10), "site"), (Cell("c", "s", 0, 0, float("inf")), "azimuth_deg"),
    (Device("d", "pager", "police", IMEI), "kind"), (Device("d", "phone", "po lice", IMEI), "agency"),
    (Device("d", "phone", "police", IMEI, unit="P 1"), "unit"),
    (Device("d", "phone", "police", IMEI, certificate="xyz"), "certificate"),
    (Device("d", "phone", "police", IMEI, imsi="1"), "imsi"), (Device("d", "phone", "police", IMEI[:-1]), "imei"),
]


def test_valid_rows_have_no_problems() -> None:
    assert core.problems(SITE) == core.problems(CELL) == core.problems(DEVICE) == []
    for edge in (Cell("c", "s", 90, 180, 360, -90, 0, 0), Cell("c", "s", -90, -180, 0, 90, 500, 60)):
        assert core.problems(edge) == []


@pytest.mark.parametrize(("item", "field"), BAD, ids=[f"{type(i).__name__}.{f}" for i, f in BAD])
def test_a_bad_field_is_named(item: Site | Cell | Device, field: str) -> None:
    found = core.problems(item)
    assert len(found) == 1 and found[0].startswith(f"{field}: "), found


def test_merge_counts_and_refuses_with_reasons() -> None:
    known = Snapshot({SITE.id: SITE}, {}, {DEVICE.id: DEVICE})
    moved = Site(SITE.id, SITE.name, 17.6, -88.1868, "urban")
    rows = [
        ("line 2", DEVICE),  # unchanged
        ("line 3", moved),  # updated
        ("line 4", Site("ORG", "Orange Walk", 18.08, -88.56)),  # created
        ("line 5", CELL),  # created: its site is known
        ("line 6", Cell("ORG-1", "ORG", 18.08, -88.56, 0.0)),  # created: its site came earlier in the batch
        ("line 7", Cell("NOPE-1", "NOPE", 18.0, -88.0, 0.0)),
        ("line 8", Site("ORG", "Orange Walk again", 18.08, -88.56)),
        ("line 9", Device("BC-0043", "body_cam", "police", IMEI)),  # BC-0042's IMEI
        ("line 10", Device("PH-1", "phone", "fire", IMEI_2, certificate="ABC")),  # serial kept in lower case
        ("line 11", Device("PH-2", "phone", "bdf", IMEI, imsi="1")),
        ("line 12", Refusal("line 12", None, "3 fields where the header names 10")),
    ]
    result = core.merge(known, rows,
                        screen=lambda item: ["agency: bdf refused"] if getattr(item, "agency", "") == "bdf" else [])
    assert (result.created, result.updated, result.unchanged) == (
        {"sites": 1, "cells": 2, "devices": 1}, {"sites": 1, "cells": 0, "devices": 0},
        {"sites": 0, "cells": 0, "devices": 1})
    assert [i.id for i in result.accepted] == ["BZE-PMD", "ORG", "BZE-PMD-1", "ORG-1", "PH-1"]
    assert result.accepted[-1] == Device("PH-1", "phone", "fire", IMEI_2, certificate="abc")
    assert [(r.at, r.id, r.reason) for r in result.refused] == [
        ("line 7", "NOPE-1", "site: no site 'NOPE' (create the site first)"),
        ("line 8", "ORG", "id: ORG was given already (line 4)"),
        ("line 9", "BC-0043", f"imei: {IMEI} already belongs to device BC-0042"),
        ("line 11", "PH-2", "imsi: '1' must be 15 digits"),
        ("line 12", None, "3 fields where the header names 10"),
    ]
    assert known.sites == {SITE.id: SITE}  # the caller's snapshot is left as it was


def test_the_screen_refuses_a_valid_row() -> None:
    row = Device("PH-2", "phone", "bdf", IMEI)
    result = core.merge(Snapshot(), [("feature 0", row)], screen=lambda _: ["agency: bdf refused"])
    assert (result.accepted, [r.reason for r in result.refused]) == ([], ["agency: bdf refused"])


def test_a_site_with_cells_cannot_go() -> None:
    snap = Snapshot({SITE.id: SITE}, {CELL.id: CELL, "BZE-PMD-2": Cell("BZE-PMD-2", SITE.id, 0, 0, 120)}, {})
    assert core.delete_blockers(snap, SITE.id) == ["BZE-PMD-1", "BZE-PMD-2"]
    assert core.delete_blockers(snap, "ORG") == []


def test_an_identity_number_is_free_again_once_its_device_lets_it_go() -> None:
    snap = Snapshot({}, {}, {DEVICE.id: DEVICE})
    renumbered = Device(DEVICE.id, "body_cam", "police", IMEI_2, "P-101")  # IMEI, IMSI and ICCID all change
    newcomer = Device("BC-0043", "body_cam", "police", IMEI, imsi=IMSI, iccid=ICCID_20)  # takes BC-0042's old ones
    result = core.merge(snap, [("line 2", renumbered), ("line 3", newcomer)])
    assert (result.accepted, result.refused) == ([renumbered, newcomer], [])
    snap.put(renumbered)
    assert core.conflicts(snap, newcomer) == []
    assert core.conflicts(snap, Device("X", "phone", "fire", IMEI_2)) == [
        f"imei: {IMEI_2} already belongs to device BC-0042"]
    snap.remove("devices", DEVICE.id)
    assert core.conflicts(snap, Device("X", "phone", "fire", IMEI_2)) == []
