"""An incident as the REST contract and the live `incident` event show it."""

from __future__ import annotations

from typing import Any

from dispatch import Incident


def incident_json(incident: Incident, *, timeline: bool = False) -> dict[str, Any]:
    """The incident's JSON; with `timeline` (GET of one incident only) its entries too."""
    found: dict[str, Any] = {
        "id": incident.id, "type": incident.type.value, "priority": incident.priority,
        "lat": incident.location.lat, "lon": incident.location.lon, "address": incident.address,
        "place": incident.place, "notes": incident.notes, "owner": incident.owner,
        "partners": sorted(incident.partners), "state": incident.state.value, "units": sorted(incident.units),
        "opened": incident.opened, "updated": incident.timeline[-1].ts}
    if timeline:
        found["timeline"] = [{"ts": e.ts, "actor": e.actor, "what": e.what.value, "details": dict(e.details)}
                             for e in incident.timeline]
    return found
