"""The network inventory: sites, cells and devices, what makes each valid, and how a batch of rows merges into
what is known (a cell needs its site; a device's IMEI, IMSI and ICCID belong to one device only).

Identity numbers: an IMEI is 15 digits whose last is the Luhn check digit over the first 14 (3GPP TS 23.003
§6.2.1); an IMSI is 15 digits, MCC (3) + MNC (2 or 3) + MSIN; an ICCID is 19 or 20 digits starting with the
telecom industry prefix 89, the last being the Luhn check digit (ITU-T E.118).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from telemetry.topics import NAME

ENVIRONMENTS = ("urban", "rural")
TECHNOLOGIES = ("LTE", "NR")
DEVICE_KINDS = ("phone", "vehicle_modem", "body_cam", "drone", "fixed_camera")
SERIAL = re.compile(r"^[0-9a-f]{1,40}$")  # a certificate serial as `psn pki list` prints it (≤ 159 bits)
MAX_TEXT = 100


@dataclass(frozen=True, slots=True)
class Site:
    id: str
    name: str
    lat: float
    lon: float
    environment: str = "rural"  # urban | rural: the clutter the radio planning assumed


@dataclass(frozen=True, slots=True)
class Cell:
    id: str
    site: str
    lat: float
    lon: float
    azimuth_deg: float
    tilt_deg: float = 3.0
    height_m: float = 30.0
    power_dbm: float = 46.0
    technology: str = "LTE"
    band: str = "LTE Band 14"


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    kind: str
    agency: str
    imei: str
    unit: str | None = None  # the unit it is bound to, within `agency`
    imsi: str | None = None
    iccid: str | None = None
    certificate: str | None = None  # serial (hex) of its device certificate from `psn pki issue-unit`

    @property
    def unit_id(self) -> str | None:
        return None if self.unit is None else f"{self.agency}/{self.unit}"


Item = Site | Cell | Device
Kind = Literal["sites", "cells", "devices"]
KINDS: dict[Kind, type[Site] | type[Cell] | type[Device]] = {"sites": Site, "cells": Cell, "devices": Device}


class InventoryError(ValueError):
    """A row or a document that cannot be taken; the message says which field and why."""


def luhn_valid(digits: str) -> bool:
    """True when the last digit is the Luhn check digit of the ones before it."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _digits(value: str, name: str, lengths: tuple[int, ...]) -> list[str]:
    if not (value.isascii() and value.isdigit()) or len(value) not in lengths:
        size = " or ".join(map(str, lengths))
        return [f"{name}: {value!r} must be {size} digits"]
    return []


def imei_problems(imei: str) -> list[str]:
    return _digits(imei, "imei", (15,)) or ([] if luhn_valid(imei) else
                                             [f"imei: {imei} fails its Luhn check digit"])


def imsi_problems(imsi: str) -> list[str]:
    return _digits(imsi, "imsi", (15,))


def iccid_problems(iccid: str) -> list[str]:
    found = _digits(iccid, "iccid", (19, 20))
    if found:
        return found
    if not iccid.startswith("89"):
        return [f"iccid: {iccid} must start with 89 (the telecom industry identifier)"]
    return [] if luhn_valid(iccid) else [f"iccid: {iccid} fails its Luhn check digit"]


def _text(value: str, name: str) -> list[str]:
    if not value.strip() or len(value) > MAX_TEXT:
        return [f"{name}: must hold 1 to {MAX_TEXT} characters, not only white space"]
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return [f"{name}: control characters are not allowed"]
    return []


def _name(value: str | None, name: str) -> list[str]:
    return [] if value is not None and NAME.fullmatch(value) else [f"{name}: {value!r} must match {NAME.pattern}"]


def _number(value: float, name: str, lo: float, hi: float) -> list[str]:
    if not math.isfinite(value) or not lo <= value <= hi:
        return [f"{name}: {value} is outside {lo:g}..{hi:g}"]
    return []


def _choice(value: str, name: str, choices: tuple[str, ...]) -> list[str]:
    return [] if value in choices else [f"{name}: {value!r} is not one of {', '.join(choices)}"]


def _position(item: Site | Cell) -> list[str]:
    return _number(item.lat, "lat", -90, 90) + _number(item.lon, "lon", -180, 180)


def problems(item: Item) -> list[str]:
    """Everything wrong with one row on its own (cross-row rules are `conflicts`)."""
    found = _name(item.id, "id")
    if isinstance(item, Site):
        return found + _text(item.name, "name") + _position(item) + _choice(item.environment, "environment",
                                                                             ENVIRONMENTS)
    if isinstance(item, Cell):
        return (found + _name(item.site, "site") + _position(item)
                + _number(item.azimuth_deg, "azimuth_deg", 0, 360) + _number(item.tilt_deg, "tilt_deg", -90, 90)
                + _number(item.height_m, "height_m", 0, 500) + _number(item.power_dbm, "power_dbm", 0, 60)
                + _choice(item.technology, "technology", TECHNOLOGIES) + _text(item.band, "band"))
    found += _choice(item.kind, "kind", DEVICE_KINDS) + _name(item.agency, "agency") + imei_problems(item.imei)
    if item.unit is not None:
        found += _name(item.unit, "unit")
    if item.imsi is not None:
        found += imsi_problems(item.imsi)
    if item.iccid is not None:
        found += iccid_problems(item.iccid)
    if item.certificate is not None and not SERIAL.fullmatch(item.certificate):
        found.append(f"certificate: {item.certificate!r} must be a serial in hex (as `psn pki list` shows)")
    return found


def normalised(item: Item) -> Item:
    """A certificate serial is kept in lower case, as the PKI writes it."""
    if isinstance(item, Device) and item.certificate is not None:
        return replace(item, certificate=item.certificate.lower())
    return item


IDENTITIES = ("imei", "imsi", "iccid")


@dataclass
class Snapshot:
    """What the inventory holds, by id, and which device holds each identity number."""

    sites: dict[str, Site] = field(default_factory=dict)
    cells: dict[str, Cell] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)
    _owners: dict[tuple[str, str], str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for device in self.devices.values():
            self._own(device, device.id)

    def of(self, kind: Kind) -> Mapping[str, Item]:
        return self.sites if kind == "sites" else self.cells if kind == "cells" else self.devices

    def get(self, kind: Kind, item_id: str) -> Item | None:
        return self.of(kind).get(item_id)

    def owner(self, identity: str, value: str) -> str | None:
        """The id of the device whose `identity` ("imei", "imsi", "iccid") is `value`."""
        return self._owners.get((identity, value))

    def remove(self, kind: Kind, item_id: str) -> None:
        if kind == "sites":
            del self.sites[item_id]
        elif kind == "cells":
            del self.cells[item_id]
        else:
            self._own(self.devices.pop(item_id), None)

    def put(self, item: Item) -> None:
        if isinstance(item, Site):
            self.sites[item.id] = item
        elif isinstance(item, Cell):
            self.cells[item.id] = item
        else:
            before = self.devices.get(item.id)
            if before is not None:
                self._own(before, None)
            self.devices[item.id] = item
            self._own(item, item.id)

    def _own(self, device: Device, owner: str | None) -> None:
        for name in IDENTITIES:
            value = getattr(device, name)
            if value is None:
                continue
            if owner is None:
                self._owners.pop((name, value), None)
            else:
                self._owners[name, value] = owner

    def copy(self) -> Snapshot:
        return Snapshot(dict(self.sites), dict(self.cells), dict(self.devices))


def conflicts(snapshot: Snapshot, item: Item) -> list[str]:
    """What `item` would break among the rows already there (a row of the same id is the one it replaces)."""
    if isinstance(item, Cell):
        return [] if item.site in snapshot.sites else [f"site: no site {item.site!r} (create the site first)"]
    if isinstance(item, Device):
        found = []
        for name in IDENTITIES:
            value = getattr(item, name)
            owner = None if value is None else snapshot.owner(name, value)
            if owner is not None and owner != item.id:
                found.append(f"{name}: {value} already belongs to device {owner}")
        return found
    return []


def delete_blockers(snapshot: Snapshot, site_id: str) -> list[str]:
    """A site cannot go while cells name it."""
    return sorted(c.id for c in snapshot.cells.values() if c.site == site_id)


@dataclass(frozen=True, slots=True)
class Refusal:
    at: str  # "line 7", "feature 3", "sites[2]"
    id: str | None
    reason: str


@dataclass
class Merge:
    """The outcome of merging rows: what changed, by kind, and the rows refused with their reasons."""

    accepted: list[Item] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    refused: list[Refusal] = field(default_factory=list)


def kind_of(item: Item) -> Kind:
    return "sites" if isinstance(item, Site) else "cells" if isinstance(item, Cell) else "devices"


def accept_all(_item: Item) -> list[str]:
    """The screen of a batch the caller has no reason of its own to refuse rows of."""
    return []


def merge(snapshot: Snapshot, entries: list[tuple[str, Item | Refusal]],
          screen: Callable[[Item], list[str]] = accept_all) -> Merge:
    """Takes each valid row in order (a file's sites before its cells see each other), replacing a row of the
    same id; a row naming an id an earlier row of the batch gave, breaking a rule, or refused by `screen` (the
    caller's reasons: who may change it, which agencies exist) is refused with `at`. Refusals already made
    (rows that could not be read) stay in their place: the refused list follows the document."""
    work = snapshot.copy()
    out = Merge()
    seen: dict[tuple[Kind, str], str] = {}
    for at, raw in entries:
        if isinstance(raw, Refusal):
            out.refused.append(raw)
            continue
        item = normalised(raw)
        kind = kind_of(item)
        for counts in (out.created, out.updated, out.unchanged):
            counts.setdefault(kind, 0)
        reasons = problems(item) or screen(item) or conflicts(work, item)
        if (kind, item.id) in seen:
            reasons = [f"id: {item.id} was given already ({seen[kind, item.id]})", *reasons]
        if reasons:
            out.refused.append(Refusal(at, item.id, "; ".join(reasons)))
            continue
        seen[kind, item.id] = at
        before = work.get(kind, item.id)
        counts = out.created if before is None else out.unchanged if before == item else out.updated
        counts[kind] += 1
        if before != item:
            work.put(item)
            out.accepted.append(item)
    return out
