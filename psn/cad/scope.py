"""The rows of units a caller may view, as a SQL condition: a list with a limit (commands, recent alerts) takes
the newest of those, not the newest of every agency (which busy police would fill) filtered afterwards. The
condition is the access model's coarse cut (whole agencies, units of shared incidents); `decide` still checks
each row that comes back."""

from __future__ import annotations

import sqlalchemy as sa

from psn.access import Principal, Resource, Sharing, unit_ids_shared_with, visible_agencies


def visible_units(who: Principal, sharing: Sharing, agency: sa.ColumnElement[str],
                  unit: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """True for rows whose unit (`agency`, `unit` "agency/unit" columns) `who` may view."""
    agencies = visible_agencies(who, Resource.UNIT, sharing)
    if agencies is None:
        return sa.true()
    return sa.or_(agency.in_(sorted(agencies)), unit.in_(sorted(unit_ids_shared_with(who, sharing))))
