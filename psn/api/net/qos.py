"""QoS profiles (GET: network or QoS viewers; PUT: network managers) and priority uplifts: request one for named
units or for the units assigned to an incident now, list, read and cancel them.

An uplift needs QOS manage on the agency of EVERY unit in it (a dispatcher or admin for its own agency; another
agency's units only under that agency's agreement naming QOS): one refused unit refuses the request whole, 403
naming the refused units. Every request and its outcome goes in the audit log (`QosService`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from netmgmt.qos import (
    DEFAULT_DURATION_S,
    MAX_UPLIFT_UNITS,
    QCIS,
    UPLIFT_ARP,
    UPLIFT_LEVELS,
    UPLIFT_PCI,
    UPLIFT_PVI,
    Profile,
    Profiles,
    QosError,
    Uplift,
    agencies_of,
    check_profiles,
    check_uplift,
)
from psn.access import Action, Principal, Resource, Target, decide
from psn.api.deps import PrincipalDep, ServerDep, authorize, require_role_right
from psn.api.fields import MAX_PARTNERS, EpochQuery, Name, UnitId, registered
from psn.net.uplift import UpliftsFull
from psn.server import Server

router = APIRouter(prefix="/api/v1/net", tags=["network"])

UpliftPath = Annotated[str, Path(pattern=r"^UP-[0-9]{1,9}$", description="an uplift id, UP-n")]


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    qci: StrictInt = Field(description="default bearer: 69 or 70 (non-GBR)")
    video_qci: StrictInt = Field(description="live video bearer: GBR (67)")
    voice_qci: StrictInt = Field(description="push-to-talk voice bearer: GBR (65 or 66)")
    arp: StrictInt = Field(description="3–15 (1–2 are kept for uplifts)")
    pci: StrictBool = Field(description="pre-emption capability")
    pvi: StrictBool = Field(description="pre-emption vulnerability")

    def profile(self) -> Profile:
        return Profile(self.qci, self.video_qci, self.voice_qci, self.arp, self.pci, self.pvi)


class ProfilesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agencies: dict[Name, ProfileIn] = Field(max_length=MAX_PARTNERS)
    default: ProfileIn


class UpliftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    units: list[UnitId] | None = Field(None, max_length=MAX_UPLIFT_UNITS, description="agency/unit ids")
    incident: Name | None = Field(None, description="instead of units: those assigned to this incident now")
    reason: str = Field(min_length=1, max_length=500, pattern=r"^[^\x00]*$")
    duration_s: float = Field(DEFAULT_DURATION_S, allow_inf_nan=False, description="60 s (qos_uplift_min_s) to 12 h")


def profiles_json(server: Server) -> dict[str, Any]:
    return {**server.qos.profiles.to_json(), "qcis": [q.to_json() for q in QCIS.values()],
            "uplift": {"arp": UPLIFT_ARP, "pci": UPLIFT_PCI, "pvi": UPLIFT_PVI}, "reserved_arp": sorted(UPLIFT_LEVELS)}


def _require_viewer(server: Server, who: Principal) -> None:
    """Network operators, and whoever may view its own agency's QoS (dispatchers, admins)."""
    if not decide(who, Action.VIEW, Target(Resource.NETWORK)):
        require_role_right(server, who, Action.VIEW, Resource.QOS)


@router.get("/qos/profiles")
def get_profiles(server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    _require_viewer(server, who)
    return profiles_json(server)


@router.put("/qos/profiles")
def put_profiles(body: ProfilesIn, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    require_role_right(server, who, Action.MANAGE, Resource.NETWORK)
    profiles = Profiles({name: p.profile() for name, p in body.agencies.items()}, body.default.profile())
    try:
        check_profiles(profiles, server.settings.agencies)
    except QosError as exc:
        raise HTTPException(422, str(exc)) from None
    server.qos.set_profiles(profiles, who)
    return profiles_json(server)


@router.get("/uplifts")
def list_uplifts(server: ServerDep, who: PrincipalDep, state: Literal["active", "all"] = "active",
                 since: EpochQuery = None) -> dict[str, Any]:
    _require_viewer(server, who)
    now = server.clock.time()
    return {"now": now,  # psn's clock: the page counts down to each `until` on it, whatever the browser's says
            "uplifts": [server.qos.seen_json(u, now, who) for u in server.qos.uplifts(state == "active", since, who)]}


@router.get("/uplifts/{uplift_id}")
def get_uplift(uplift_id: UpliftPath, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    return server.qos.seen_json(_viewable(server, who, uplift_id), server.clock.time(), who)


@router.post("/uplifts", status_code=201)
def request_uplift(body: UpliftIn, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    if (body.units is None) == (body.incident is None):
        raise HTTPException(422, "units, incident: name either the units or the incident whose units to uplift")
    server.qos.requested(who, body.units or (), body.incident, body.reason, body.duration_s)
    try:
        uplift = _start(server, who, body)
    except HTTPException as exc:
        server.qos.refused(who, body.units or (), body.incident, str(exc.detail))
        raise
    return uplift.to_json(server.clock.time())


@router.delete("/uplifts/{uplift_id}")
def cancel_uplift(uplift_id: UpliftPath, server: ServerDep, who: PrincipalDep) -> dict[str, Any]:
    uplift = _viewable(server, who, uplift_id)
    refused = _not_manageable(server, who, uplift.units)
    if refused:
        why = f"not allowed to cancel {uplift_id}: it uplifts {', '.join(refused)}"
        server.qos.cancel_refused(who, uplift, why)
        raise HTTPException(403, why)
    done = server.qos.cancel(uplift, who)
    if done is None:
        raise HTTPException(409, f"{uplift_id} has ended already")
    return done.to_json(server.clock.time())


def _start(server: Server, who: Principal, body: UpliftIn) -> Uplift:
    """The uplift started, or the HTTP refusal: 404/409 for the incident, 422 for a field or a unit psn does not
    know, 403 naming the units the caller may not uplift, 409 when `qos_max_uplifts` are in force."""
    units = body.units if body.units is not None else _assigned(server, who, body.incident or "")
    try:
        checked = check_uplift(units, body.reason, body.duration_s, server.settings.qos_uplift_min_s)
    except QosError as exc:
        raise HTTPException(422, str(exc)) from None
    for agency in sorted(agencies_of(checked)):
        registered(server, agency, 422)
    refused = _not_manageable(server, who, checked)
    if refused:
        raise HTTPException(403, f"not allowed to uplift {', '.join(refused)}: "
                                 + "; ".join(sorted(set(refused.values()))))
    unknown = _unknown(server, checked)  # after the rights: whether another agency's unit exists does not leak
    if unknown:
        raise HTTPException(422, f"units: psn does not know {', '.join(unknown)} (no fix, status or link report "
                                 "from it, and no device bound to it)")
    try:
        return server.qos.start_uplift(who, checked, body.incident, body.reason.strip(), body.duration_s)
    except UpliftsFull as exc:
        raise HTTPException(409, str(exc)) from None


def _unknown(server: Server, units: tuple[str, ...]) -> list[str]:
    """The units psn has never heard of: known are those with a fix or a status (live, or stored before a restart),
    a link report from the network, or a device bound to them (a tracker's binding, an inventory device)."""
    bound = {who.id for who in server.db.device_bindings().values()}
    bound |= {device.unit_id for device in server.inventory.devices() if device.unit_id is not None}
    return [unit for unit in units if server.state.get(unit) is None and server.net_kpis.latest_link(unit) is None
            and unit not in bound]


def _viewable(server: Server, who: Principal, uplift_id: str) -> Uplift:
    """The uplift, or 404 alike for an unknown id and one the caller may not view (ids do not leak)."""
    _require_viewer(server, who)
    uplift = server.qos.get(uplift_id)
    if uplift is None or not server.qos.may_view(who, uplift):
        raise HTTPException(404, f"no uplift {uplift_id!r} that you may view")
    return uplift


def _not_manageable(server: Server, who: Principal, units: tuple[str, ...]) -> dict[str, str]:
    """unit -> why the caller may not manage its agency's QoS (denials logged as `authorize` does)."""
    why: dict[str, str] = {}
    for agency in sorted(agencies_of(units)):
        try:
            authorize(server, who, Action.MANAGE, Target(Resource.QOS, agency))
        except HTTPException as exc:
            reason = str(exc.detail).removeprefix("not allowed: ")
            why.update({unit: reason for unit in units if unit.startswith(f"{agency}/")})
    return why


def _assigned(server: Server, who: Principal, incident_id: str) -> list[str]:
    """The units on the incident now (dispatched, en route or on scene); 404 for an incident the caller may not
    view (as an unknown one), 409 when it has no unit."""
    incident = server.cad.incidents.get(incident_id)
    if incident is None or not server.cad.incidents.may_view(who, incident):
        raise HTTPException(404, f"no incident {incident_id!r} that you may view")
    units = sorted(entry.unit for entry in server.cad.board.snapshot() if entry.incident == incident.id)
    if not units:
        raise HTTPException(409, f"incident {incident_id}: no unit is assigned to it now")
    return units
