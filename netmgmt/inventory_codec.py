"""Inventory rows in and out: CSV and GeoJSON (written so that reading them back gives the same rows), and the
radio plan document (`simulator/data/belize-band14-plan.json`'s format) read into sites and cells.

Reading never stops at a bad row: each row that cannot be taken becomes a `Refusal` naming where it is ("line
7" of a CSV file, "feature 3" of a GeoJSON collection, "sites[2]" of a plan) and why; the others are kept. Only a
document that cannot be read at all (not CSV with the kind's columns, not a FeatureCollection, no site list)
raises `InventoryError`.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from netmgmt.inventory import KINDS, Cell, InventoryError, Item, Kind, Refusal, Site


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    number: bool  # a float; else text
    optional: bool  # may be None
    default: Any  # MISSING when the row must give it


def columns(kind: Kind) -> tuple[Column, ...]:
    return tuple(Column(f.name, f.type == "float", "None" in str(f.type), f.default) for f in fields(KINDS[kind]))


@dataclass
class Parsed:
    entries: list[tuple[str, Item | Refusal]] = field(default_factory=list)  # (where, row) in document order

    @property
    def rows(self) -> list[tuple[str, Item]]:
        return [(at, row) for at, row in self.entries if not isinstance(row, Refusal)]

    @property
    def refused(self) -> list[Refusal]:
        return [row for _, row in self.entries if isinstance(row, Refusal)]

    def refuse(self, at: str, row_id: str | None, reason: str) -> None:
        self.entries.append((at, Refusal(at, row_id, reason)))


def _build(kind: Kind, values: dict[str, Any], at: str, parsed: Parsed) -> None:
    """Fills defaults, checks presence; appends the row or its refusal."""
    missing = [c.name for c in columns(kind)
               if values.get(c.name) is None and not c.optional and c.default is MISSING]
    given_id = values.get("id")
    row_id = given_id if isinstance(given_id, str) else None
    if missing:
        parsed.refuse(at, row_id, "; ".join(f"{name}: missing" for name in missing))
        return
    for c in columns(kind):
        if values.get(c.name) is None and not c.optional:
            values[c.name] = c.default
    parsed.entries.append((at, KINDS[kind](**values)))


# CSV


def to_csv(kind: Kind, items: Iterable[Item]) -> str:
    names = [c.name for c in columns(kind)]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for item in items:
        # repr of a float reads back as the same float; None is an empty cell.
        writer.writerow(["" if getattr(item, n) is None else getattr(item, n) for n in names])
    return out.getvalue()


def _csv_value(column: Column, text: str) -> Any:
    if text == "":
        return None
    if not column.number:
        return text
    try:
        return float(text)
    except ValueError:
        raise InventoryError(f"{column.name}: {text!r} is not a number") from None


def from_csv(kind: Kind, text: str) -> Parsed:
    known = {c.name: c for c in columns(kind)}
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InventoryError("the file is empty: expected a header line naming the columns") from None
    except csv.Error as exc:
        raise InventoryError(f"line 1: {exc}") from None
    unknown = [name for name in header if name not in known]
    required = [c.name for c in known.values() if c.default is MISSING and not c.optional]
    if unknown or len(set(header)) != len(header) or not set(required) <= set(header):
        raise InventoryError(f"header: {kind} columns are {', '.join(known)} (required: {', '.join(required)}); "
                             f"got {', '.join(header) or 'none'}")
    parsed = Parsed()
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # the rest of the file is not CSV: what came before is kept
            parsed.refuse(f"line {reader.line_num}", None, str(exc))
            break
        at = f"line {line + 1}"
        line = reader.line_num
        if not cells:
            continue
        _csv_row(kind, known, header, cells, at, parsed)
    return parsed


def _csv_row(kind: Kind, known: dict[str, Column], header: list[str], cells: list[str], at: str,
             parsed: Parsed) -> None:
    if len(cells) != len(header):
        parsed.refuse(at, cells[0] if cells else None,
                                      f"{len(cells)} fields where the header names {len(header)}")
        return
    values: dict[str, Any] = {}
    reasons = []
    for name, text in zip(header, cells, strict=True):
        try:
            values[name] = _csv_value(known[name], text)
        except InventoryError as exc:
            reasons.append(str(exc))
    if reasons:
        parsed.refuse(at, values.get("id"), "; ".join(reasons))
        return
    _build(kind, values, at, parsed)


# GeoJSON


def to_geojson(kind: Kind, items: Iterable[Item]) -> dict[str, Any]:
    features = []
    for item in items:
        props = {c.name: getattr(item, c.name) for c in columns(kind) if c.name not in ("lat", "lon")}
        geometry = ({"type": "Point", "coordinates": [item.lon, item.lat]} if isinstance(item, Site | Cell)
                    else None)
        features.append({"type": "Feature", "id": item.id, "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features}


def _json_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.number:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InventoryError(f"{column.name}: {value!r} is not a number")
        return float(value)
    if not isinstance(value, str):
        raise InventoryError(f"{column.name}: {value!r} is not a string")
    return value


def _point(geometry: Any) -> tuple[Any, Any]:
    if (not isinstance(geometry, dict) or geometry.get("type") != "Point"
            or not isinstance(geometry.get("coordinates"), list) or len(geometry["coordinates"]) not in (2, 3)):
        raise InventoryError("geometry: must be a Point [lon, lat]")
    lon, lat = geometry["coordinates"][:2]
    return lat, lon


def from_geojson(kind: Kind, doc: Any) -> Parsed:
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"),
                                                                                          list):
        raise InventoryError("expected a GeoJSON FeatureCollection with a 'features' list")
    known = {c.name: c for c in columns(kind)}
    positioned = "lat" in known
    parsed = Parsed()
    for i, feature in enumerate(doc["features"]):
        at = f"feature {i}"
        try:
            if not isinstance(feature, dict) or not isinstance(feature.get("properties"), dict):
                raise InventoryError("not a Feature with properties")
            props = dict(feature["properties"])
            props.setdefault("id", feature.get("id"))
            unknown = sorted(k for k in props if k not in known or k in ("lat", "lon"))
            if unknown:
                raise InventoryError(f"unknown properties {', '.join(unknown)}")
            values = {k: _json_value(known[k], v) for k, v in props.items()}
            if positioned:
                lat, lon = _point(feature.get("geometry"))
                values["lat"], values["lon"] = _json_value(known["lat"], lat), _json_value(known["lon"], lon)
        except InventoryError as exc:
            ident = feature.get("id") if isinstance(feature, dict) else None
            parsed.refuse(at, ident if isinstance(ident, str) else None, str(exc))
            continue
        _build(kind, values, at, parsed)
    return parsed


# The radio plan document

# The simulator's defaults where neither the site, its sector nor the plan's "defaults" give a value.
PLAN_DEFAULTS = {"height_m": 30.0, "tilt_deg": 3.0, "power_dbm": 46.0, "environment": "rma"}
ENVIRONMENT_NAMES = {"uma": "urban", "rma": "rural"}
DEFAULT_SECTORS = [{"azimuth_deg": 0.0}, {"azimuth_deg": 120.0}, {"azimuth_deg": 240.0}]


def _plan_number(obj: dict[str, Any], key: str, *fallbacks: dict[str, Any]) -> float:
    for source in (obj, *fallbacks):
        if key in source:
            value = source[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise InventoryError(f"{key}: {value!r} is not a number")
            return float(value)
    raise InventoryError(f"{key}: missing")


def _plan_text(obj: dict[str, Any], key: str, default: str | None = None) -> str:
    value = obj.get(key, default)
    if not isinstance(value, str):
        raise InventoryError(f"{key}: must be a string")
    return value


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InventoryError(f"{where}: expected an object")
    return value


def json_document(text: str) -> Any:
    """The JSON value of an imported file, or InventoryError saying why it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InventoryError(f"not JSON: {exc}") from None
    except RecursionError:  # e.g. 100,000 "[": the parser's stack ends first
        raise InventoryError("not JSON: nested too deeply") from None


def from_plan(doc: Any) -> Parsed:
    """Sites and their cells `{site}-{k}` (k from 1, the simulator's names), with the plan's defaults applied."""
    plan = _object(doc, "plan")
    defaults = _object(plan.get("defaults", {}), "defaults")
    band = _object(plan.get("band", {}), "band")
    sites = plan.get("sites")
    if not isinstance(sites, list):
        raise InventoryError("plan: 'sites' must be a list")
    parsed = Parsed()
    technology, band_name = _plan_text(band, "rat", "LTE"), _plan_text(band, "name", "LTE Band 14")
    for i, raw in enumerate(sites):
        at = f"sites[{i}]"
        try:
            rows = _plan_site(_object(raw, "site"), defaults, technology, band_name, at)
        except InventoryError as exc:
            ident = raw.get("id") if isinstance(raw, dict) else None
            parsed.refuse(at, ident if isinstance(ident, str) else None, str(exc))
            continue
        parsed.entries += rows
    return parsed


def _plan_site(raw: dict[str, Any], defaults: dict[str, Any], technology: str, band: str,
               at: str) -> list[tuple[str, Item | Refusal]]:
    site_id = _plan_text(raw, "id")
    env = raw.get("environment", defaults.get("environment", PLAN_DEFAULTS["environment"]))
    if env not in ENVIRONMENT_NAMES:
        raise InventoryError(f"environment: {env!r} is not one of {', '.join(ENVIRONMENT_NAMES)}")
    lat, lon = _plan_number(raw, "lat"), _plan_number(raw, "lon")
    site = Site(site_id, _plan_text(raw, "name", site_id), lat, lon, ENVIRONMENT_NAMES[env])
    height = _plan_number(raw, "height_m", defaults, PLAN_DEFAULTS)
    sectors = raw.get("sectors", DEFAULT_SECTORS)
    if not isinstance(sectors, list) or not sectors:
        raise InventoryError("sectors: must be a non-empty list")
    rows: list[tuple[str, Item | Refusal]] = [(at, site)]
    for k, sector in enumerate(sectors):
        s = _object(sector, f"sectors[{k}]")
        rows.append((f"{at}.sectors[{k}]", Cell(
            f"{site_id}-{k + 1}", site_id, lat, lon, _plan_number(s, "azimuth_deg"),
            _plan_number(s, "tilt_deg", defaults, PLAN_DEFAULTS), height,
            _plan_number(s, "power_dbm", defaults, PLAN_DEFAULTS), technology, band)))
    return rows

