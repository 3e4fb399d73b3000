"""Who may see what: one pure module, called by every way out (REST, WebSocket, WHEP, exports).

A decision depends on the principal's agency and roles, the resource's owning agency, and sharing grants:
standing agreements between agencies (optionally only while an emergency is declared) and incident-level
grants (units assigned to a shared, open incident are visible to the partner agencies). Every decision
carries its reason so denials can be logged and explained.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


class Role(enum.StrEnum):
    DISPATCHER = "dispatcher"
    FIELD_OFFICER = "field_officer"
    TRAFFIC_MANAGER = "traffic_manager"
    TRAINER = "trainer"
    NETWORK_ADMIN = "network_admin"
    ADMIN = "admin"


class Resource(enum.StrEnum):
    UNIT = "unit"  # live position and status
    TRACK = "track"  # position history
    INCIDENT = "incident"
    VIDEO = "video"  # live feeds and recordings
    TRAFFIC = "traffic"  # congestion analytics (not agency data)
    NETWORK = "network"  # sites, cells, KPIs and alarms of the LTE network
    DEVICE = "device"  # an agency's devices on the network (IMEI, IMSI, ICCID, unit binding)
    QOS = "qos"  # the priority of an agency's units on the network (profiles in force, uplifts)
    SECURITY = "security"  # security events, audit log
    SHARING = "sharing"  # grants between agencies
    USERS = "users"
    SYSTEM = "system"  # server-wide counters (/api/v1/stats): every agency's traffic in one figure
    PROGRAMME = "programme"  # the programme dashboard's indicators and the training records that feed them
    SIMULATION = "simulation"  # faults injected into the simulated network (`psn sim network`) for drills


class Action(enum.StrEnum):
    VIEW = "view"
    MANAGE = "manage"
    PUBLISH = "publish"  # a unit sending its own telemetry or video


# What each role may do with its own agency's resources.
ROLE_RIGHTS: dict[Role, dict[Resource, frozenset[Action]]] = {
    Role.DISPATCHER: {
        Resource.UNIT: frozenset({Action.VIEW, Action.MANAGE}),  # its state on the board, its commands
        Resource.TRACK: frozenset({Action.VIEW}),
        Resource.INCIDENT: frozenset({Action.VIEW, Action.MANAGE}),
        Resource.VIDEO: frozenset({Action.VIEW}),
        Resource.TRAFFIC: frozenset({Action.VIEW}),
        Resource.QOS: frozenset({Action.VIEW, Action.MANAGE}),  # uplift its agency's units at an incident
    },
    Role.FIELD_OFFICER: {
        Resource.UNIT: frozenset({Action.VIEW}),
        Resource.INCIDENT: frozenset({Action.VIEW}),
        Resource.VIDEO: frozenset({Action.PUBLISH}),
    },
    Role.TRAFFIC_MANAGER: {Resource.TRAFFIC: frozenset({Action.VIEW, Action.MANAGE})},
    Role.TRAINER: {
        Resource.UNIT: frozenset({Action.VIEW}),
        Resource.TRAFFIC: frozenset({Action.VIEW}),
        Resource.PROGRAMME: frozenset({Action.VIEW, Action.MANAGE}),  # records officers' completed trainings
        Resource.SIMULATION: frozenset({Action.MANAGE}),  # runs drills: a cell or site down, a slow backhaul
    },
    Role.NETWORK_ADMIN: {
        Resource.NETWORK: frozenset({Action.VIEW, Action.MANAGE}),
        Resource.DEVICE: frozenset({Action.VIEW, Action.MANAGE}),
        Resource.QOS: frozenset({Action.VIEW}),
        Resource.SYSTEM: frozenset({Action.VIEW}),
        Resource.PROGRAMME: frozenset({Action.VIEW}),
        Resource.SIMULATION: frozenset({Action.MANAGE}),  # rehearses the network's failures with the NOC
    },
    Role.ADMIN: {
        Resource.UNIT: frozenset({Action.VIEW, Action.MANAGE}),
        Resource.TRACK: frozenset({Action.VIEW}),
        Resource.INCIDENT: frozenset({Action.VIEW, Action.MANAGE}),
        Resource.VIDEO: frozenset({Action.VIEW}),
        Resource.TRAFFIC: frozenset({Action.VIEW}),
        Resource.NETWORK: frozenset({Action.VIEW}),
        Resource.DEVICE: frozenset({Action.VIEW}),  # its agency's devices ("local control")
        Resource.QOS: frozenset({Action.VIEW, Action.MANAGE}),
        Resource.SECURITY: frozenset({Action.VIEW}),
        Resource.SHARING: frozenset({Action.VIEW, Action.MANAGE}),
        Resource.USERS: frozenset({Action.VIEW, Action.MANAGE}),
        Resource.SYSTEM: frozenset({Action.VIEW}),
        Resource.PROGRAMME: frozenset({Action.VIEW}),  # its agency's figures
    },
}
# Resources that belong to no agency: the role alone decides.
UNOWNED = frozenset({Resource.TRAFFIC, Resource.NETWORK, Resource.SYSTEM, Resource.SIMULATION})
# What a grant can open to another agency. Only viewing crosses agencies, never managing.
SHAREABLE = frozenset({Resource.UNIT, Resource.TRACK, Resource.INCIDENT, Resource.VIDEO})
# The network operator runs one national network: these rights of these roles hold for every agency's data.
# The national training academy trains every agency's officers and reports the programme nationally.
NATIONAL: dict[Role, frozenset[Resource]] = {
    Role.NETWORK_ADMIN: frozenset({Resource.DEVICE, Resource.QOS, Resource.PROGRAMME}),
    Role.TRAINER: frozenset({Resource.PROGRAMME}),
}
# The one exception to "only viewing crosses agencies": an agreement naming QOS lets the grantee's roles that
# may manage their own agency's QoS uplift the owner's units too (the "that agency's grant").
GRANTABLE_MANAGE = frozenset({Resource.QOS})
# What an incident grant opens for each assigned unit.
UNIT_DATA = frozenset({Resource.UNIT, Resource.TRACK, Resource.VIDEO})


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    agency: str
    roles: frozenset[Role]
    unit: str | None = None  # set for a device principal (a body cam, a vehicle gateway)

    @property
    def is_device(self) -> bool:
        return self.unit is not None


@dataclass(frozen=True, slots=True)
class Agreement:
    """A standing agreement: `grantee` may view `owner`'s `resources` (optionally only during emergencies)."""

    owner: str
    grantee: str
    resources: frozenset[Resource]
    only_during_emergency: bool = False


@dataclass(frozen=True, slots=True)
class IncidentShare:
    """While `open`, partners see the units assigned to the incident (and their tracks and video)."""

    incident: str
    owner: str
    partners: frozenset[str]
    units: frozenset[str]  # unit ids "agency/unit"
    open: bool = True


@dataclass(frozen=True, slots=True)
class Target:
    """The thing asked for: its kind, owning agency and, for unit data, the unit id."""

    resource: Resource
    agency: str | None = None
    unit_id: str | None = None
    incident: str | None = None


@dataclass(frozen=True, slots=True)
class Sharing:
    agreements: tuple[Agreement, ...] = ()
    incidents: tuple[IncidentShare, ...] = ()
    emergency: bool = False  # a declared national emergency (hurricane, flood)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str
    cross_agency: bool = False

    def __bool__(self) -> bool:
        return self.allowed


def decide(principal: Principal, action: Action, target: Target, sharing: Sharing = Sharing()) -> Decision:
    if principal.is_device:
        return _device(principal, action, target)
    rights = _rights(principal.roles, target.resource)
    if action not in rights:
        return Decision(False, f"no role of {principal.name} may {action} {target.resource}")
    if target.resource in UNOWNED or (target.agency is None and target.resource not in SHAREABLE):
        return Decision(True, f"{action} {target.resource} by role")
    if target.agency == principal.agency:
        return Decision(True, f"own agency ({principal.agency})")
    national = [role for role in principal.roles if target.resource in NATIONAL.get(role, frozenset())]
    if action in _rights(national, target.resource):
        return Decision(True, f"{target.resource} of every agency by role {national[0]}", cross_agency=True)
    if target.resource in GRANTABLE_MANAGE:
        return _shared(principal, target, sharing)
    if action is not Action.VIEW or target.resource not in SHAREABLE:
        return Decision(False, f"{target.resource} of {target.agency} is not shareable for {action}")
    return _shared(principal, target, sharing)


def _rights(roles: Iterable[Role], resource: Resource) -> frozenset[Action]:
    return frozenset().union(*(ROLE_RIGHTS.get(role, {}).get(resource, frozenset()) for role in roles))


def _device(principal: Principal, action: Action, target: Target) -> Decision:
    own = target.agency == principal.agency and target.unit_id == f"{principal.agency}/{principal.unit}"
    if action is Action.PUBLISH and own and target.resource in (Resource.VIDEO, Resource.UNIT):
        return Decision(True, f"device {principal.name} publishes as itself")
    return Decision(False, f"device {principal.name} may only publish as {principal.agency}/{principal.unit}")


def _agreements_in_force(grantee: str, resource: Resource, sharing: Sharing) -> Iterator[Agreement]:
    """Agreements that open `resource` of their owner to `grantee` now (emergency-only ones while declared)."""
    for agreement in sharing.agreements:
        if (agreement.grantee == grantee and resource in agreement.resources
                and (sharing.emergency or not agreement.only_during_emergency)):
            yield agreement


def _incidents_shared_with(agency: str, sharing: Sharing) -> Iterator[IncidentShare]:
    """Open incidents of other agencies that name `agency` as a partner."""
    for share in sharing.incidents:
        if share.open and agency in share.partners and share.owner != agency:
            yield share


def _shared(principal: Principal, target: Target, sharing: Sharing) -> Decision:
    for agreement in _agreements_in_force(principal.agency, target.resource, sharing):
        if agreement.owner == target.agency:
            when = " during the declared emergency" if agreement.only_during_emergency else ""
            return Decision(True, f"agreement {agreement.owner}→{agreement.grantee}{when}", cross_agency=True)
    for share in _incidents_shared_with(principal.agency, sharing):
        if share.owner != target.agency:  # an incident id names an incident of its owner only
            continue
        if target.resource in UNIT_DATA and target.unit_id is not None and target.unit_id in share.units:
            return Decision(True, f"unit assigned to shared incident {share.incident}", cross_agency=True)
        if target.resource is Resource.INCIDENT and target.incident == share.incident:
            return Decision(True, f"incident {share.incident} is shared", cross_agency=True)
    return Decision(False, f"{target.resource} of {target.agency} is not shared with {principal.agency}")


def visible_agencies(principal: Principal, resource: Resource, sharing: Sharing) -> frozenset[str] | None:
    """Agencies whose whole `resource` the principal sees (None: all, e.g. unowned data); incident grants
    add single units on top, checked with `decide`."""
    if resource in UNOWNED:
        return None
    national = [role for role in principal.roles if resource in NATIONAL.get(role, frozenset())]
    if Action.VIEW in _rights(national, resource):
        return None
    agencies = {principal.agency} if Action.VIEW in _rights(principal.roles, resource) else set()
    if agencies:
        agencies.update(a.owner for a in _agreements_in_force(principal.agency, resource, sharing))
    return frozenset(agencies)


def unit_ids_shared_with(principal: Principal, sharing: Sharing) -> frozenset[str]:
    """Units visible to the principal through open shared incidents (on top of `visible_agencies`)."""
    if Action.VIEW not in _rights(principal.roles, Resource.UNIT):
        return frozenset()
    return frozenset(unit for share in _incidents_shared_with(principal.agency, sharing) for unit in share.units)


__all__ = [
    "Action", "Agreement", "Decision", "IncidentShare", "Principal", "Resource", "Role", "Sharing", "Target",
    "decide", "unit_ids_shared_with", "visible_agencies",
]
