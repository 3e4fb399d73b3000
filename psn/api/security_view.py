"""What an agency admin's security feed shows: every event, but a unit of another agency that is not shared
with the admin's agency appears as `{agency}/…` (its name is that agency's data). The security team's MQTT
feed (`psn/v1/_security/…`) and the audit log keep the events whole."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from psn.access import Action, Principal, Resource, Sharing, Target, decide
from telemetry.topics import NAME_PART

HIDDEN = "…"


def unit_redactor(who: Principal, agencies: tuple[str, ...], sharing: Sharing) -> Callable[[Any], Any]:
    """A function that blanks, in any JSON value, the unit names `who` may not view (as `agency/unit`,
    `agency:unit` stream ids, or inside MQTT topics)."""
    others = [a for a in agencies if a != who.agency]
    if not others:
        return lambda value: value
    # An agency name standing alone (not the tail of a longer name), then the unit after "/" or ":".
    pattern = re.compile(rf"(?<![A-Za-z0-9_.\-])({'|'.join(map(re.escape, others))})([/:])({NAME_PART})")

    def blank(match: re.Match[str]) -> str:
        agency, unit = match[1], match[3]
        if decide(who, Action.VIEW, Target(Resource.UNIT, agency, f"{agency}/{unit}"), sharing):
            return match[0]
        return f"{agency}{match[2]}{HIDDEN}"

    def redact(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(blank, value)
        if isinstance(value, dict):
            return {key: redact(item) for key, item in value.items()}
        if isinstance(value, list):
            return [redact(item) for item in value]
        return value

    return redact
