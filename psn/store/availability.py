"""Which database errors mean "the database is unavailable" (down, unreachable, restarting, the pool exhausted) as
opposed to a bug: the API answers them with 503 and a reason, sessions ride them out on their cached account.

psycopg reports a refused or dropped connection as `OperationalError`; SQLAlchemy wraps it in its own
`OperationalError` (seen in the outage drill, tests/psn/test_database_outage.py, for a refused connection and for
one dropped mid-session), and raises its `TimeoutError` when no pooled connection frees up in time. Anything else
(an integrity error, a bug in a query) is not an outage and stays the 500 it is."""

from __future__ import annotations

import sqlalchemy as sa

UNAVAILABLE: tuple[type[Exception], ...] = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)


def reason(exc: BaseException) -> str:
    """The driver's first line ("connection failed: … Connection refused"), without SQLAlchemy's SQL and links."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return (lines[0] if lines else type(original).__name__)[:200]
