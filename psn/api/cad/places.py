"""Belize place names for the location box: `GET /api/v1/places?q=`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from psn.api.deps import PrincipalDep
from psn.cad import places

router = APIRouter(prefix="/api/v1/places", tags=["places"])


@router.get("")
def find_places(who: PrincipalDep, q: Annotated[str, Query(min_length=1, max_length=100)]) -> dict[str, Any]:
    """Case- and accent-insensitive: names starting with `q` first, then names containing it; at most 20."""
    return {"places": [p.to_json() for p in places.search(q)]}
