"""The access matrix: every role × agency × resource × action × owner × sharing state, plus properties of the rules.

The expectations come from the tables written out by hand below, never from psn/access.py's ROLE_RIGHTS,
SHAREABLE or UNOWNED: widening or narrowing any right there turns cases of this matrix red."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psn.access import (
    Action,
    Agreement,
    IncidentShare,
    Principal,
    Resource,
    Role,
    Sharing,
    Target,
    decide,
    unit_ids_shared_with,
    visible_agencies,
)

# What each role may do with its own agency's resources: V view, M manage, P publish, - nothing.
RIGHTS_TABLE = """
role            unit track incident video traffic network device qos security sharing users system programme simulation
dispatcher      VM   V     VM       V     V       -       -      VM  -        -       -     -      -         -
field_officer   V    -     V        P     -       -       -      -   -        -       -     -      -         -
traffic_manager -    -     -        -     VM      -       -      -   -        -       -     -      -         -
trainer         V    -     -        -     V       -       -      -   -        -       -     -      VM        M
network_admin   -    -     -        -     -       VM      VM     V   -        -       -     V      V         M
admin           VM   V     VM       V     V       V       V      VM  V        VM      VM    V      V         -
"""
# The national network operator: these rights of the role hold for every agency's data, not only its own.
NATIONAL_BY_HAND = {"network_admin": frozenset({"device", "qos", "programme"}),
                    "trainer": frozenset({"programme"})}
# An agreement naming these opens them to the grantee for viewing and managing (uplift of a partner's units).
GRANTABLE_MANAGE_BY_HAND = frozenset({"qos"})
# Belong to no agency: the role alone decides, whoever the owner named in the request.
UNOWNED_BY_HAND = frozenset({"traffic", "network", "system", "simulation"})
# A grant may open these to another agency, for viewing only.
SHAREABLE_BY_HAND = frozenset({"unit", "track", "incident", "video"})
# Owned and never shared, whatever a grant names.
PRIVATE_BY_HAND = frozenset({"security", "sharing", "users", "device", "programme"})
# Owned, and crossing agencies only by an agreement that names it.
GRANT_ONLY_BY_HAND = GRANTABLE_MANAGE_BY_HAND
# What an open incident shares of each unit assigned to it (plus the incident itself).
INCIDENT_UNIT_DATA_BY_HAND = frozenset({"unit", "track", "video"})

LETTERS = {"V": Action.VIEW, "M": Action.MANAGE, "P": Action.PUBLISH}


def parse_rights(table: str) -> dict[Role, dict[Resource, frozenset[Action]]]:
    header, *rows = (line.split() for line in table.strip().splitlines())
    resources = [Resource(name) for name in header[1:]]
    return {Role(row[0]): {resource: frozenset(LETTERS[c] for c in cell if c != "-")
                           for resource, cell in zip(resources, row[1:], strict=True)}
            for row in rows}


RIGHTS = parse_rights(RIGHTS_TABLE)

AGENCIES = ("police", "nemo", "fire")
STANDING = Agreement("police", "nemo", frozenset({Resource.UNIT, Resource.TRACK}), only_during_emergency=True)
INCIDENT = IncidentShare("INC-1", "police", frozenset({"fire"}), frozenset({"police/P-1"}))
SHARING_STATES = {
    "none": Sharing(),
    "agreement_no_emergency": Sharing(agreements=(STANDING,)),
    "agreement_emergency": Sharing(agreements=(STANDING,), emergency=True),
    # A grant naming every resource (the API refuses one, a corrupted store might hold it): only the
    # shareable ones may cross, and only for viewing.
    "agreement_everything": Sharing(agreements=(Agreement("police", "nemo", frozenset(Resource)),)),
    "incident_open": Sharing(incidents=(INCIDENT,)),
    "incident_closed": Sharing(incidents=(IncidentShare("INC-1", "police", frozenset({"fire"}),
                                                        frozenset({"police/P-1"}), open=False),)),
}


def expected(role: Role, agency: str, resource: Resource, action: Action, owner: str, state: str) -> bool:
    """The rules restated over the hand-written tables, independently of the implementation's control flow."""
    if action not in RIGHTS[role][resource]:
        return False
    if resource.value in UNOWNED_BY_HAND or owner == agency:
        return True
    if resource.value in NATIONAL_BY_HAND.get(role.value, frozenset()):
        return True
    if resource.value in GRANTABLE_MANAGE_BY_HAND:
        # Only an agreement in force that names it: the "everything" one (police → nemo) does; STANDING does not.
        return state == "agreement_everything" and owner == "police" and agency == "nemo"
    if action is not Action.VIEW or resource.value not in SHAREABLE_BY_HAND:
        return False
    if state == "agreement_emergency":
        return owner == "police" and agency == "nemo" and resource.value in {"unit", "track"}
    if state == "agreement_everything":
        return owner == "police" and agency == "nemo"
    if state == "incident_open":
        # The matrix asks for unit police/P-1 of incident INC-1 (the owner's unit only when owner is police).
        return owner == "police" and agency == "fire" and resource.value in INCIDENT_UNIT_DATA_BY_HAND | {"incident"}
    return False


def test_the_tables_cover_every_role_and_resource() -> None:
    assert set(RIGHTS) == set(Role)
    assert all(set(rights) == set(Resource) for rights in RIGHTS.values())
    classes = (UNOWNED_BY_HAND, SHAREABLE_BY_HAND, PRIVATE_BY_HAND, GRANT_ONLY_BY_HAND)
    assert sorted(itertools.chain(*classes)) == sorted(r.value for r in Resource)  # a partition: each once


MATRIX = list(itertools.product(Role, AGENCIES, Resource, Action, AGENCIES, SHARING_STATES))


@pytest.mark.parametrize(("role", "agency", "resource", "action", "owner", "state"), MATRIX)
def test_access_matrix(role: Role, agency: str, resource: Resource, action: Action, owner: str, state: str) -> None:
    principal = Principal(f"{agency}.{role}", agency, frozenset({role}))
    target = Target(resource, owner, unit_id=f"{owner}/P-1", incident="INC-1")
    decision = decide(principal, action, target, SHARING_STATES[state])
    assert decision.allowed is expected(role, agency, resource, action, owner, state), decision.reason
    assert decision.reason


def test_devices_publish_only_as_themselves() -> None:
    cam = Principal("police/P-1", "police", frozenset(), unit="P-1")
    assert decide(cam, Action.PUBLISH, Target(Resource.VIDEO, "police", "police/P-1"))
    assert not decide(cam, Action.PUBLISH, Target(Resource.VIDEO, "police", "police/P-2"))
    assert not decide(cam, Action.VIEW, Target(Resource.VIDEO, "police", "police/P-1"))
    assert not decide(cam, Action.PUBLISH, Target(Resource.VIDEO, "nemo", "nemo/P-1"))


def test_visible_agencies_and_incident_units() -> None:
    nemo = Principal("n", "nemo", frozenset({Role.DISPATCHER}))
    fire = Principal("f", "fire", frozenset({Role.DISPATCHER}))
    assert visible_agencies(nemo, Resource.UNIT, SHARING_STATES["agreement_no_emergency"]) == {"nemo"}
    assert visible_agencies(nemo, Resource.UNIT, SHARING_STATES["agreement_emergency"]) == {"nemo", "police"}
    assert visible_agencies(nemo, Resource.TRAFFIC, Sharing()) is None
    assert unit_ids_shared_with(fire, SHARING_STATES["incident_open"]) == {"police/P-1"}
    assert unit_ids_shared_with(fire, SHARING_STATES["incident_closed"]) == frozenset()
    traffic = Principal("t", "fire", frozenset({Role.TRAFFIC_MANAGER}))
    assert visible_agencies(traffic, Resource.UNIT, SHARING_STATES["agreement_emergency"]) == frozenset()


names = st.sampled_from(AGENCIES)
agreements = st.builds(Agreement, names, names, st.frozensets(st.sampled_from(Resource)), st.booleans())
incidents = st.builds(IncidentShare, st.text(max_size=4), names, st.frozensets(names),
                      st.frozensets(st.sampled_from(["police/P-1", "nemo/N-1", "fire/F-1"])), st.booleans())
sharings = st.builds(Sharing, st.tuples(agreements) | st.just(()), st.tuples(incidents) | st.just(()), st.booleans())
principals = st.builds(Principal, st.text(max_size=5), names, st.frozensets(st.sampled_from(Role)))
unit_ids = st.sampled_from(["police/P-1", "nemo/N-1", "fire/F-1"])
targets = st.builds(Target, st.sampled_from(Resource), names | st.none(), unit_ids | st.none(),
                    st.text(max_size=4) | st.none())


@given(principals, st.sampled_from(Action), targets, sharings)
def test_sharing_never_grants_management_and_never_more_than_roles(
    principal: Principal, action: Action, target: Target, sharing: Sharing
) -> None:
    decision = decide(principal, action, target, sharing)
    rights = set().union(*(RIGHTS[r][target.resource] for r in principal.roles))
    if decision.allowed:
        assert action in rights
    if decision.cross_agency:
        national = set().union(*(NATIONAL_BY_HAND.get(r.value, frozenset()) for r in principal.roles))
        assert ((action is Action.VIEW and target.resource.value in SHAREABLE_BY_HAND)
                or target.resource.value in GRANTABLE_MANAGE_BY_HAND | national)


@given(principals, st.sampled_from(Action), targets, sharings)
def test_adding_grants_only_widens(principal: Principal, action: Action, target: Target, sharing: Sharing) -> None:
    without = decide(principal, action, target, Sharing())
    with_grants = decide(principal, action, target, sharing)
    if without.allowed:
        assert with_grants.allowed
