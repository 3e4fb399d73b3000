"""Sessions through a database outage: a signed-in user stays signed in on the account's last good answer, for a
bounded time and a bounded number of accounts; once the database answers again, what it says applies (a disabled
account ends its sessions)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from crypto.tokens import TokenError
from psn import auth as auth_module
from psn.access import Principal
from psn.auth import ACCOUNT_CACHE_S, Auth
from psn.clock import ManualClock
from psn.store.availability import NoAnswer
from psn.store.schema import users as user_rows
from psn.users import Users
from tests.psn.test_auth import auth_with
from tests.support import wait_for

GRACE_S = 600.0
NAMES = ("maria.chi", "jorge.coc", "ana.bol")


class FlakyUsers(Users):
    """Real accounts in SQLite; `down` makes every lookup fail the way psycopg does when PostgreSQL is gone,
    `frozen` makes it wait until released, as against a PostgreSQL stopped by SIGSTOP."""

    down = False
    lookups = 0
    frozen = threading.Event()
    released = threading.Event()

    def get(self, name: str) -> Principal | None:
        self.lookups += 1
        if self.frozen.is_set():
            self.released.wait(30)
        if self.down:
            raise sa.exc.OperationalError("SELECT users", {}, ConnectionRefusedError("connection refused"))
        return super().get(name)


@pytest.fixture
def auth(tmp_path: Path) -> Auth:
    FlakyUsers.frozen, FlakyUsers.released = threading.Event(), threading.Event()
    made = auth_with(tmp_path, FlakyUsers, (), ttl_s=12 * 3600, outage_grace_s=GRACE_S, db_timeout_s=0.2)
    # Accounts without a usable password: these tests sign in by token (argon2 for each took 1 s a test).
    with made.users.db.engine.begin() as conn:
        conn.execute(user_rows.insert(), [
            {"name": name, "agency": "police", "roles": "dispatcher", "password_hash": "!", "failed_logins": 0,
             "locked_until": 0.0, "disabled": False, "created": 0.0} for name in NAMES])
    return made


def sign_in(auth: Auth, name: str) -> str:
    return auth.issue_user(Principal(name, "police", frozenset())).token


def users_of(auth: Auth) -> FlakyUsers:
    assert isinstance(auth.users, FlakyUsers)
    return auth.users


def clock_of(auth: Auth) -> ManualClock:
    assert isinstance(auth.clock, ManualClock)
    return auth.clock


def test_a_signed_in_user_rides_out_an_outage_for_the_grace_time(auth: Auth) -> None:
    token = sign_in(auth, "maria.chi")
    assert auth.principal(token).name == "maria.chi"  # looked up while the database answers
    users, clock = users_of(auth), clock_of(auth)
    users.down = True
    clock.advance(ACCOUNT_CACHE_S + 1)
    before = users.lookups
    for _ in range(50):
        assert auth.principal(token).name == "maria.chi"
    assert users.lookups == before + 1  # asked once, not on every request of the outage
    clock.advance(GRACE_S - ACCOUNT_CACHE_S - 2)
    assert auth.principal(token).name == "maria.chi"
    clock.advance(2)  # the last good answer is now older than the grace
    with pytest.raises(sa.exc.OperationalError):
        auth.principal(token)


def test_nobody_without_a_good_answer_gets_in_during_an_outage(auth: Auth) -> None:
    token = sign_in(auth, "jorge.coc")
    users_of(auth).down = True
    with pytest.raises(sa.exc.OperationalError):
        auth.principal(token)


def test_an_account_disabled_meanwhile_ends_its_sessions_once_the_database_answers(auth: Auth) -> None:
    token = sign_in(auth, "maria.chi")
    auth.principal(token)
    users, clock = users_of(auth), clock_of(auth)
    users.set_disabled("maria.chi", True)  # e.g. by another psn instance that could still reach the database
    users.down = True
    clock.advance(ACCOUNT_CACHE_S + 1)
    assert auth.principal(token).name == "maria.chi"  # what this instance last knew
    users.down = False
    clock.advance(ACCOUNT_CACHE_S + 1)
    with pytest.raises(TokenError, match="disabled"):
        auth.principal(token)


def test_the_outage_cache_holds_a_bounded_number_of_accounts(auth: Auth, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth_module, "OUTAGE_CACHE_ACCOUNTS", 2)
    tokens = {name: sign_in(auth, name) for name in NAMES}
    for name in NAMES:  # maria.chi, the least recently looked up, makes room for ana.bol
        auth.principal(tokens[name])
    users_of(auth).down = True
    clock_of(auth).advance(ACCOUNT_CACHE_S + 1)
    assert [auth.principal(tokens[name]).name for name in NAMES[1:]] == list(NAMES[1:])
    with pytest.raises(sa.exc.OperationalError):
        auth.principal(tokens["maria.chi"])


def test_a_database_that_does_not_answer_is_waited_for_a_bounded_time(auth: Auth) -> None:
    tokens = {name: sign_in(auth, name) for name in NAMES}
    auth.principal(tokens["maria.chi"])
    users, clock = users_of(auth), clock_of(auth)
    users.frozen.set()
    clock.advance(ACCOUNT_CACHE_S + 1)
    assert auth.principal(tokens["maria.chi"]).name == "maria.chi"  # after 0.2 s, on the last good answer
    with pytest.raises(NoAnswer, match=r"no answer within 0\.2 s"):
        auth.principal(tokens["jorge.coc"])  # never looked up: nothing to ride out the hang on
    for _ in range(2):  # four lookups hang now: maria.chi's, jorge.coc's and these two
        with pytest.raises(NoAnswer, match="no answer"):
            auth.principal(tokens["ana.bol"])
    threads = threading.active_count()
    with pytest.raises(NoAnswer, match="still waiting"):  # after waiting for a slot within 0.2 s, no fifth thread
        auth.principal(tokens["ana.bol"])
    assert threading.active_count() == threads
    users.frozen.clear()
    users.released.set()
    wait_for(lambda: threading.active_count() == threads - 4)  # the hung lookups come back, their slots free
    clock.advance(ACCOUNT_CACHE_S + 1)
    assert auth.principal(tokens["ana.bol"]).name == "ana.bol"
