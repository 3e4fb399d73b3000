"""The shapes a request's fields may take, checked at the edge before any handler runs (a 422 names the field
and the rule), and the check that an agency named in a request is one of the deployment's."""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Path, Query
from pydantic import Field

from psn.server import Server
from telemetry.topics import NAME, NAME_PART

# The last second of the year 9999: the latest instant `datetime` (and so the audit log's readers) can show.
LATEST_EPOCH_S = 253_402_300_799
# Agencies, units, devices, incidents: the MQTT name pattern (1 to 64 of [A-Za-z0-9_.-]).
Name = Annotated[str, Field(pattern=NAME.pattern)]
UnitId = Annotated[str, Field(pattern=rf"^{NAME_PART}/{NAME_PART}$", description="agency/unit")]
NamePath = Annotated[str, Path(pattern=NAME.pattern)]
# NaN and infinities compare false with everything, and the audit log's strict JSON refuses them.
EpochQuery = Annotated[float | None, Query(ge=0, le=LATEST_EPOCH_S, allow_inf_nan=False,
                                           description="epoch seconds (finite, 1970 to 9999)")]
# Far above the units one incident or one agency has (the demo runs 36), far below what slows a request.
MAX_UNITS = 10_000
# More than any deployment has agencies (Belize: 5); each partner must be one of them anyway.
MAX_PARTNERS = 32


def registered(server: Server, agency: str, status: int = 404) -> str:
    """`agency` if the deployment has it; else an HTTP error (404 for a path, 422 for a field) naming them."""
    if agency not in server.settings.agencies:
        raise HTTPException(status, f"no agency {agency!r}: the agencies are {', '.join(server.settings.agencies)}")
    return agency
