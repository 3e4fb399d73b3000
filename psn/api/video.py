"""The video service inside psn: WHIP/WHEP and recordings behind psn's tokens, access rules and audit.

Stream ids name their unit: `{agency}:{unit}` or `{agency}:{unit}:{camera}` (a dash cam and a body cam of one
car). Only that unit's device token may publish to it; viewing follows the sharing rules for video.
"""

from __future__ import annotations

import re

from fastapi import APIRouter

from crypto.tokens import TokenError
from psn.access import Action, Principal, Resource, Target, decide
from psn.api.deps import bearer_token
from psn.security_events import Kind
from psn.server import Server
from telemetry.topics import NAME_PART
from video import Placement, build_router

STREAM_ID = re.compile(rf"^(?P<agency>{NAME_PART}):(?P<unit>{NAME_PART})(?::{NAME_PART})?$")


def stream_owner(stream_id: str) -> tuple[str, str]:
    """(agency, unit id) of a stream; PermissionError for ids outside the naming scheme."""
    match = STREAM_ID.fullmatch(stream_id)
    if match is None:
        raise PermissionError(f"stream ids are '{{agency}}:{{unit}}[:{{camera}}]', not {stream_id!r}")
    return match["agency"], f"{match['agency']}/{match['unit']}"


def video_router(server: Server) -> APIRouter:
    def authorize(token: str | None, stream_id: str | None, action: str) -> Principal:
        if not token:
            raise LookupError("no bearer token or session cookie")
        try:
            who = server.auth.principal(token)
        except TokenError as exc:
            server.security.report(Kind.BAD_TOKEN, "video", reason=str(exc), stream=stream_id)
            raise LookupError(str(exc)) from None
        if stream_id is None:  # credentials alone: the caller answers 404 whatever this principal may see
            return who
        agency, unit_id = stream_owner(stream_id)
        wanted = Action.PUBLISH if action == "publish" else Action.VIEW
        decision = decide(who, wanted, Target(Resource.VIDEO, agency, unit_id), server.sharing.snapshot)
        if not decision:
            if agency != who.agency or who.is_device:
                server.security.report(Kind.ACCESS_DENIED, who.name, action=wanted.value, resource="video",
                                       agency=agency, unit=unit_id, stream=stream_id, reason=decision.reason)
            raise PermissionError(decision.reason)
        server.audit.record(who.name, f"video.{action}", stream_id, grant=decision.reason)
        return who

    settings = server.settings
    return build_router(server.video, authorize, recordings=server.recordings, opener=server.keys,
                        token_of=bearer_token,
                        placement=Placement(settings.instance, settings.own_url, server.locations.elsewhere))
