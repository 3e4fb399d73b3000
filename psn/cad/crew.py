"""Who crews which unit this shift: a field officer signs on to a unit of their agency from the phone view, and
from then on their browser's positions, status buttons, emergency button and acknowledgements are that unit's,
and the unit's commands reach their phone. In memory: the phone signs on again whenever it (re)connects."""

from __future__ import annotations

import threading


class Crew:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._unit_of: dict[str, str] = {}  # user name → "agency/unit"

    def sign_on(self, user: str, unit: str) -> str | None:
        """`user` crews `unit` from now on; returns the unit they crewed before, if another."""
        with self._lock:
            before = self._unit_of.get(user)
            self._unit_of[user] = unit
        return before if before != unit else None

    def sign_off(self, user: str) -> str | None:
        with self._lock:
            return self._unit_of.pop(user, None)

    def unit_of(self, user: str) -> str | None:
        with self._lock:
            return self._unit_of.get(user)

    def users_of(self, unit: str) -> frozenset[str]:
        with self._lock:
            return frozenset(user for user, crewed in self._unit_of.items() if crewed == unit)

    def crewed(self) -> dict[str, str]:
        """user name → the "agency/unit" they crew, for everyone signed on now."""
        with self._lock:
            return dict(self._unit_of)
