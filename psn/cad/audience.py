"""Who a live event about a unit goes to, decided with `psn.access` at delivery time (grants may change)."""

from __future__ import annotations

from psn.access import Action, Principal, Resource, Role, Target, decide
from psn.cad.crew import Crew
from psn.live import Audience
from psn.sharing import SharingStore

# The console's seats: the roles that manage units (the board, commands); others only view.
DESKS = frozenset({Role.DISPATCHER, Role.ADMIN})


def may_view(who: Principal, unit: str, sharing: SharingStore) -> bool:
    agency = unit.split("/", 1)[0]
    return decide(who, Action.VIEW, Target(Resource.UNIT, agency, unit), sharing.snapshot).allowed


def viewers_of(unit: str, sharing: SharingStore) -> Audience:
    """Everyone who may view the unit (its own agency, and others through agreements or shared incidents)."""
    return lambda who: may_view(who, unit, sharing)


def dispatchers_of(unit: str, sharing: SharingStore) -> Audience:
    """The dispatchers (and admins) who may view the unit: who answers its refusals, acks and silences."""
    return lambda who: bool(DESKS & who.roles) and may_view(who, unit, sharing)


def crew_of(unit: str, crew: Crew) -> Audience:
    """The phones of the officers crewing the unit this shift (of its agency)."""
    agency = unit.split("/", 1)[0]
    users = crew.users_of(unit)
    return lambda who: who.name in users and who.agency == agency
