"""Which database errors mean "the database is unavailable" (down, unreachable, restarting, the pool exhausted) as
opposed to a bug: the API answers them with 503 and a reason, sessions ride them out on their cached account.

psycopg reports a refused or dropped connection as `OperationalError`; SQLAlchemy wraps it in its own
`OperationalError` (seen in the outage drill, tests/psn/test_database_outage.py, for a refused connection and for
one dropped mid-session), and raises its `TimeoutError` when no pooled connection frees up in time; `NoAnswer` is
psn's own, for a database that takes too long to answer at all. Anything else
(an integrity error, a bug in a query) is not an outage and stays the 500 it is."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa

T = TypeVar("T")


def reason(exc: BaseException) -> str:
    """The driver's first line ("connection failed: … Connection refused"), without SQLAlchemy's SQL and links."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return (lines[0] if lines else type(original).__name__)[:200]


class NoAnswer(Exception):
    """The database took longer than psn waits: a server that accepts connections and never answers (frozen,
    swapping, a half-open network path). Measured with the private cluster stopped by SIGSTOP: a request whose
    account lookup went to the database hung past a 20 s client timeout, until the cluster was resumed."""


class Deadline:
    """Runs database calls on their own daemon threads and waits at most `timeout_s` for each, raising `NoAnswer`
    after. At most `concurrent` run at once; a further call waits for one of them to finish, within the same
    `timeout_s`, so a hung database holds that many threads, never one per request (daemon threads: a hung one
    never holds up the process's exit), while a burst against a healthy database only queues for milliseconds
    (eight sign-ins at once used to be refused half: tests/psn/cad/test_incidents_http.py)."""

    def __init__(self, timeout_s: float, concurrent: int = 4) -> None:
        self.timeout_s = timeout_s
        self._slots = threading.BoundedSemaphore(concurrent)

    def call(self, fn: Callable[[], T]) -> T:
        start = time.monotonic()
        if not self._slots.acquire(timeout=self.timeout_s):
            raise NoAnswer(f"earlier calls are still waiting for the database after {self.timeout_s:g} s")
        result: list[T] = []
        failure: list[BaseException] = []
        done = threading.Event()

        def run() -> None:
            try:
                result.append(fn())
            except BaseException as exc:  # handed to the caller below
                failure.append(exc)
            finally:
                self._slots.release()
                done.set()

        threading.Thread(target=run, name="psn-db-deadline", daemon=True).start()
        if not done.wait(max(0.0, self.timeout_s - (time.monotonic() - start))):
            raise NoAnswer(f"no answer within {self.timeout_s:g} s")
        if failure:
            raise failure[0]
        return result[0]


UNAVAILABLE: tuple[type[Exception], ...] = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError,
                                            NoAnswer)
