"""The access matrix: every role × agency × resource × sharing state, plus properties of the rules."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psn.access import (
    ROLE_RIGHTS,
    SHAREABLE,
    UNOWNED,
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

AGENCIES = ("police", "nemo", "fire")
STANDING = Agreement("police", "nemo", frozenset({Resource.UNIT, Resource.TRACK}), only_during_emergency=True)
INCIDENT = IncidentShare("INC-1", "police", frozenset({"fire"}), frozenset({"police/P-1"}))
SHARING_STATES = {
    "none": Sharing(),
    "agreement_no_emergency": Sharing(agreements=(STANDING,)),
    "agreement_emergency": Sharing(agreements=(STANDING,), emergency=True),
    "incident_open": Sharing(incidents=(INCIDENT,)),
    "incident_closed": Sharing(incidents=(IncidentShare("INC-1", "police", frozenset({"fire"}),
                                                        frozenset({"police/P-1"}), open=False),)),
}


def expected(role: Role, agency: str, resource: Resource, action: Action, owner: str, state: str) -> bool:
    """The rules restated as a table lookup, independently of the implementation's control flow."""
    if action not in ROLE_RIGHTS[role].get(resource, frozenset()):
        return False
    if resource in UNOWNED or owner == agency:
        return True
    if action is not Action.VIEW or resource not in SHAREABLE:
        return False
    if state == "agreement_emergency":
        return owner == "police" and agency == "nemo" and resource in (Resource.UNIT, Resource.TRACK)
    if state == "incident_open":
        return owner == "police" and agency == "fire" and resource in (Resource.UNIT, Resource.TRACK, Resource.VIDEO)
    return False


MATRIX = list(itertools.product(Role, AGENCIES, Resource, Action, AGENCIES, SHARING_STATES))


@pytest.mark.parametrize(("role", "agency", "resource", "action", "owner", "state"), MATRIX)
def test_access_matrix(role: Role, agency: str, resource: Resource, action: Action, owner: str, state: str) -> None:
    principal = Principal(f"{agency}.{role}", agency, frozenset({role}))
    target = Target(resource, owner, unit_id=f"{owner}/P-1")
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
    rights = set().union(*(ROLE_RIGHTS[r].get(target.resource, frozenset()) for r in principal.roles))
    if decision.allowed:
        assert action in rights
    if decision.cross_agency:
        assert action is Action.VIEW and target.resource in SHAREABLE


@given(principals, st.sampled_from(Action), targets, sharings)
def test_adding_grants_only_widens(principal: Principal, action: Action, target: Target, sharing: Sharing) -> None:
    without = decide(principal, action, target, Sharing())
    with_grants = decide(principal, action, target, sharing)
    if without.allowed:
        assert with_grants.allowed
