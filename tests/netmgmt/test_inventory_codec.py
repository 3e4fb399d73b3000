"""CSV and GeoJSON: what is written reads back as the same rows; a bad row is named by its line (or feature) with
its reason and the good rows around it are kept; the radio plan gives the simulator's sites and cells."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netmgmt.inventory import Cell, Device, InventoryError, Item, Kind, Site
from netmgmt.inventory_codec import from_csv, from_geojson, from_plan, to_csv, to_geojson

PLAN = Path(__file__).resolve().parents[2] / "simulator" / "data" / "belize-band14-plan.json"


def luhn_digit(payload: str) -> str:
    """The check digit, written out independently of the code under test: double every other digit from the
    right of the payload, subtract 9 from two-digit results, and complete the sum to a multiple of ten."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


ids = st.from_regex(r"\A[A-Za-z0-9_.\-]{1,64}\Z")
texts = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=100).filter(str.strip)
digits = st.text("0123456789", min_size=1, max_size=1)
imeis = st.text("0123456789", min_size=14, max_size=14).map(lambda p: p + luhn_digit(p))
iccids = st.text("0123456789", min_size=16, max_size=17).map(lambda p: "89" + p + luhn_digit("89" + p))
sites = st.builds(Site, ids, texts, st.floats(-90, 90), st.floats(-180, 180), st.sampled_from(["urban", "rural"]))
cells = st.builds(Cell, ids, ids, st.floats(-90, 90), st.floats(-180, 180), st.floats(0, 360), st.floats(-90, 90),
                  st.floats(0, 500), st.floats(0, 60), st.sampled_from(["LTE", "NR"]), texts)
devices = st.builds(Device, ids, st.sampled_from(["phone", "vehicle_modem", "body_cam", "drone", "fixed_camera"]),
                    ids, imeis, st.none() | ids, st.none() | st.text("0123456789", min_size=15, max_size=15),
                    st.none() | iccids, st.none() | st.from_regex(r"\A[0-9a-f]{1,40}\Z"))
STRATEGIES: dict[Kind, st.SearchStrategy[Any]] = {"sites": sites, "cells": cells, "devices": devices}
batches = st.sampled_from(list(STRATEGIES)).flatmap(
    lambda kind: st.tuples(st.just(kind), st.lists(STRATEGIES[kind], max_size=8, unique_by=lambda i: i.id)))


@given(batches)
def test_csv_round_trip_is_exact(batch: tuple[Kind, list[Item]]) -> None:
    kind, items = batch
    parsed = from_csv(kind, to_csv(kind, items))
    assert parsed.refused == []
    assert [row for _, row in parsed.rows] == items
    assert [at for at, _ in parsed.rows] == [f"line {n}" for n in range(2, len(items) + 2)]


@given(batches)
def test_geojson_round_trip_is_exact(batch: tuple[Kind, list[Item]]) -> None:
    kind, items = batch
    parsed = from_geojson(kind, json.loads(json.dumps(to_geojson(kind, items))))
    assert parsed.refused == []
    assert [row for _, row in parsed.rows] == items


SITES_CSV = (
    "id,name,lat,lon,environment\n"
    "ORG,Orange Walk,18.08,-88.56,rural\n"  # line 2
    "BAD,Somewhere,north,-88.5,rural\n"  # line 3
    '"MLT","Multi\nline",17.0,-88.0,rural\n'  # lines 4-5: kept (the newline is refused only as a name rule)
    "SHORT,Too few\n"  # line 6
    "\n"  # line 7: blank, skipped
    "COR,Corozal,18.39,,rural\n"  # line 8: lon missing
    "DEF,Defaults,17.1,-88.2,\n"  # line 9: the environment defaults to rural
)


def test_bad_csv_rows_are_named_and_the_good_ones_kept() -> None:
    parsed = from_csv("sites", SITES_CSV)
    assert parsed.rows == [
        ("line 2", Site("ORG", "Orange Walk", 18.08, -88.56, "rural")),
        ("line 4", Site("MLT", "Multi\nline", 17.0, -88.0, "rural")),
        ("line 9", Site("DEF", "Defaults", 17.1, -88.2, "rural")),
    ]
    assert [(r.at, r.id, r.reason) for r in parsed.refused] == [
        ("line 3", "BAD", "lat: 'north' is not a number"),
        ("line 6", "SHORT", "2 fields where the header names 5"),
        ("line 8", "COR", "lon: missing"),
    ]


@pytest.mark.parametrize("text", ["", "id,name,lat\n", "id,name,lat,lon,altitude\n", "id,id,name,lat,lon\n"])
def test_a_csv_without_the_kinds_columns_is_refused_whole(text: str) -> None:
    with pytest.raises(InventoryError):
        from_csv("sites", text)


def test_bad_features_are_named() -> None:
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-88.56, 18.08]},
         "properties": {"id": "ORG", "name": "Orange Walk"}},
        {"type": "Feature", "geometry": None, "properties": {"id": "NOWHERE", "name": "x"}},
        {"type": "Feature", "id": "STR", "geometry": {"type": "Point", "coordinates": ["-88", 18]},
         "properties": {"name": "x"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-88.0, 18.0]},
         "properties": {"id": "EXTRA", "name": "x", "colour": "red"}},
        "not a feature",
        {"type": "Feature", "id": "POLE", "geometry": {"type": "Point", "coordinates": [0.0, 90.0]},
         "properties": {"name": "North pole", "environment": "rural"}},
    ]}
    parsed = from_geojson("sites", doc)
    assert parsed.rows == [("feature 0", Site("ORG", "Orange Walk", 18.08, -88.56)),
                           ("feature 5", Site("POLE", "North pole", 90.0, 0.0))]
    assert [(r.at, r.id, r.reason) for r in parsed.refused] == [
        ("feature 1", None, "geometry: must be a Point [lon, lat]"),
        ("feature 2", "STR", "lon: '-88' is not a number"),
        ("feature 3", None, "unknown properties colour"),
        ("feature 4", None, "not a Feature with properties"),
    ]
    with pytest.raises(InventoryError):
        from_geojson("sites", {"type": "Feature"})


def test_the_shipped_plan_gives_the_simulators_cells() -> None:
    parsed = from_plan(json.loads(PLAN.read_text()))
    assert parsed.refused == []
    sites = [row for _, row in parsed.rows if isinstance(row, Site)]
    cells = [row for _, row in parsed.rows if isinstance(row, Cell)]
    # Counted independently: `grep -c '"id"' simulator/data/belize-band14-plan.json` → 55 (sites only carry ids);
    # `grep -c '"azimuth_deg"'` → 165 (one per sector); `grep -c '"uma"'` → 4 urban sites.
    assert (len(sites), len(cells), sum(s.environment == "urban" for s in sites)) == (55, 165, 4)
    assert sites[0] == Site("BZE-PMD", "Belize City - Princess Margaret Drive", 17.5135, -88.1868, "urban")
    # The plan gives BZE-PMD's height (35) and tilt (6); power comes from its defaults (46 dBm).
    assert cells[0] == Cell("BZE-PMD-1", "BZE-PMD", 17.5135, -88.1868, 0.0, 6.0, 35.0, 46.0, "LTE", "LTE Band 14")
    # CAYECA's second sector gives only its azimuth: tilt 3 from the plan's defaults, its site's height 40.
    assert next(c for c in cells if c.id == "CAYECA-2") == Cell(
        "CAYECA-2", "CAYECA", 17.73659, -88.02761, 120.0, 3.0, 40.0, 46.0, "LTE", "LTE Band 14")
    assert {c.id.rsplit("-", 1)[1] for c in cells} == {"1", "2", "3"}


def test_a_bad_plan_site_is_refused_and_the_rest_kept() -> None:
    doc = {"defaults": {"height_m": 50}, "sites": [
        {"id": "A", "lat": 17.0, "lon": -88.0},  # three default sectors, height from the defaults
        {"id": "B", "lat": "17", "lon": -88.0},
        {"id": "C", "lat": 17.0, "lon": -88.0, "sectors": [{"tilt_deg": 2}]},
        {"id": "D", "lat": 17.0, "lon": -88.0, "environment": "suburban"},
        ["not", "a", "site"],
    ]}
    parsed = from_plan(doc)
    assert [(at, row.id) for at, row in parsed.rows] == [
        ("sites[0]", "A"), ("sites[0].sectors[0]", "A-1"), ("sites[0].sectors[1]", "A-2"),
        ("sites[0].sectors[2]", "A-3")]
    assert parsed.rows[2][1] == Cell("A-2", "A", 17.0, -88.0, 120.0, 3.0, 50.0, 46.0, "LTE", "LTE Band 14")
    assert [(r.at, r.id, r.reason) for r in parsed.refused] == [
        ("sites[1]", "B", "lat: '17' is not a number"),
        ("sites[2]", "C", "azimuth_deg: missing"),
        ("sites[3]", "D", "environment: 'suburban' is not one of uma, rma"),
        ("sites[4]", None, "site: expected an object"),
    ]
    with pytest.raises(InventoryError):
        from_plan({"sites": {}})


GARBAGE = st.sampled_from([["x"], ["", "", ""], ["id-only"]]) | st.lists(st.text(max_size=6), min_size=11,
                                                                          max_size=12)


@given(st.lists(st.one_of(devices.map(lambda d: ("good", d)), GARBAGE.map(lambda g: ("bad", g))), max_size=8))
def test_fuzzed_device_files_keep_every_good_row_and_name_every_bad_one(mixed: list[tuple[str, Any]]) -> None:
    """Good rows (written by csv.writer, not by the code under test) come out as they went in; every row with the
    wrong number of fields is refused at its own line; no row is lost or invented."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    header = ["id", "kind", "agency", "imei", "unit", "imsi", "iccid", "certificate"]
    writer.writerow(header)
    expected_good, expected_bad = [], []
    for line, (what, row) in enumerate(mixed, start=2):
        if what == "good":
            writer.writerow(["" if getattr(row, h) is None else getattr(row, h) for h in header])
            expected_good.append((f"line {line}", row))
        else:
            writer.writerow([cell.replace("\n", " ").replace("\r", " ") for cell in row])
            expected_bad.append(f"line {line}")
    parsed = from_csv("devices", out.getvalue())
    assert parsed.rows == expected_good
    assert [r.at for r in parsed.refused] == expected_bad
