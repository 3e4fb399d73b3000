"""The path parameter of the ids psn.cad generates for alerts and geofences (uuid4 hex: 32 lower-case hex
digits), so anything else is a 422 at the edge."""

from typing import Annotated

from fastapi import Path

HexId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="an id psn generated (32 hex digits)")]
