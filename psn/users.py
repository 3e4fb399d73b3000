"""People: accounts per agency with roles, argon2id password hashes and lockout after repeated failures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from crypto.passwords import Passwords
from psn.access import Principal, Role
from psn.clock import Clock
from psn.store import Database
from psn.store.schema import users

NAME = re.compile(r"^[a-z0-9_.\-]{2,64}$")


class UserError(ValueError):
    pass


class LoginRefused(Exception):
    """Deliberately vague toward the client (no hint whether the name exists); `why` is for the log."""

    def __init__(self, why: str, locked: bool = False) -> None:
        super().__init__("wrong name or password, or the account is locked")
        self.why = why
        self.locked = locked


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    lock_s: float = 15 * 60


class Users:
    def __init__(self, db: Database, clock: Clock, passwords: Passwords | None = None,
                 policy: LockoutPolicy = LockoutPolicy()) -> None:
        self.db = db
        self.clock = clock
        self.passwords = passwords or Passwords()
        self.policy = policy
        self._dummy_hash: str | None = None

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.passwords.hash("no such user, no such password")
        return self._dummy_hash

    def add(self, name: str, agency: str, roles: list[str], password: str, agencies: tuple[str, ...]) -> None:
        if not NAME.fullmatch(name):
            raise UserError(f"user name must match {NAME.pattern}")
        if agency not in agencies:
            raise UserError(f"agency {agency!r} is not registered ({', '.join(agencies)})")
        unknown = sorted(set(roles) - {r.value for r in Role})
        if unknown or not roles:
            raise UserError(f"unknown roles {unknown}; roles are {', '.join(r.value for r in Role)}")
        if len(password) < 10:
            raise UserError("a password needs at least 10 characters")
        row = {"name": name, "agency": agency, "roles": ",".join(sorted(set(roles))),
               "password_hash": self.passwords.hash(password), "failed_logins": 0, "locked_until": 0.0,
               "disabled": False, "created": self.clock.time()}
        with self.db.engine.begin() as conn:
            if conn.execute(sa.select(users.c.name).where(users.c.name == name)).first():
                raise UserError(f"user {name!r} exists")
            conn.execute(users.insert().values(**row))

    def authenticate(self, name: str, password: str) -> Principal:
        now = self.clock.time()
        row = self._row(name)
        if row is None:
            self.passwords.verify(self._dummy(), password)  # same time whether or not the name exists
            raise LoginRefused(f"no user {name!r}")
        if row.disabled:
            raise LoginRefused(f"user {name!r} is disabled", locked=True)
        if row.locked_until > now:
            raise LoginRefused(f"user {name!r} locked for {row.locked_until - now:.0f} s more", locked=True)
        if not self.passwords.verify(row.password_hash, password):
            failures = row.failed_logins + 1
            locked = failures >= self.policy.max_failures
            self._update(name, failed_logins=0 if locked else failures,
                         locked_until=now + self.policy.lock_s if locked else row.locked_until)
            raise LoginRefused(f"wrong password for {name!r} ({failures} in a row)", locked=locked)
        if row.failed_logins:
            self._update(name, failed_logins=0)
        return _principal(row)

    def _row(self, name: str) -> sa.Row[Any] | None:
        with self.db.engine.connect() as conn:
            return conn.execute(sa.select(users).where(users.c.name == name)).first()

    def _update(self, name: str, **values: object) -> int:
        """Updates the account; returns how many rows changed (0: no such user)."""
        with self.db.engine.begin() as conn:
            return conn.execute(users.update().where(users.c.name == name).values(**values)).rowcount

    def get(self, name: str) -> Principal | None:
        row = self._row(name)
        return None if row is None or row.disabled else _principal(row)

    def set_disabled(self, name: str, disabled: bool) -> None:
        if not self._update(name, disabled=disabled):
            raise UserError(f"no user {name!r}")

    def listing(self) -> list[tuple[str, str, str, bool]]:
        """(name, agency, roles, disabled) of every account."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(users).order_by(users.c.agency, users.c.name)).all()
        return [(r.name, r.agency, r.roles, r.disabled) for r in rows]

    def exists(self) -> bool:
        with self.db.engine.connect() as conn:
            return conn.execute(sa.select(users.c.name).limit(1)).first() is not None


def _principal(row: sa.Row[Any]) -> Principal:
    return Principal(row.name, row.agency, frozenset(Role(r) for r in row.roles.split(",")))
