"""Which live units a principal sees, as a fast predicate built from the access rules."""

from __future__ import annotations

from collections.abc import Callable

from psn.access import Principal, Resource, Sharing, unit_ids_shared_with, visible_agencies
from psn.sharing import SharingStore
from psn.state import UnitState


def unit_filter(who: Principal, sharing: Sharing) -> Callable[[UnitState], bool]:
    agencies = visible_agencies(who, Resource.UNIT, sharing)
    units = unit_ids_shared_with(who, sharing)
    if agencies is None:
        return lambda _unit: True
    return lambda unit: unit.agency in agencies or unit.id in units


class LiveUnitFilter:
    """`unit_filter`, rebuilt whenever a grant changes (an emergency declared mid-shift applies at once)."""

    def __init__(self, who: Principal, store: SharingStore) -> None:
        self.who = who
        self.store = store
        self._version = -1
        self._check: Callable[[UnitState], bool] = lambda _unit: False

    def __call__(self, unit: UnitState) -> bool:
        if self._version != self.store.version:
            self._version = self.store.version
            self._check = unit_filter(self.who, self.store.snapshot)
        return self._check(unit)
