"""Sessions follow the account: disabling it, or changing its agency, ends live sessions within seconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from crypto.tokens import TokenError
from psn.access import Role
from psn.auth import ACCOUNT_CACHE_S, Auth
from psn.clock import ManualClock
from psn.store import Database
from psn.users import UserError, Users


def auth_with(tmp_path: Path, kind: type[Users] = Users,
              accounts: tuple[tuple[str, str], ...] = (("maria.chi", "nemo"),), **options: float) -> Auth:
    """An `Auth` over real accounts in SQLite (dispatchers, password "long-enough-pw") on a manual clock."""
    db = Database(f"sqlite:///{tmp_path / 'psn.db'}")
    db.migrate()
    clock = ManualClock()
    users = kind(db, clock)
    for name, agency in accounts:
        users.add(name, agency, ["dispatcher"], "long-enough-pw", ("nemo", "police"))
    return Auth(tmp_path / "tokens", users, clock, **options)


@pytest.fixture
def auth(tmp_path: Path) -> Auth:
    return auth_with(tmp_path)


def test_disabled_account_loses_its_live_sessions(auth: Auth) -> None:
    token = auth.login("maria.chi", "long-enough-pw").token
    assert auth.principal(token).roles == {Role.DISPATCHER}
    auth.users.set_disabled("maria.chi", True)
    assert isinstance(auth.clock, ManualClock)
    auth.clock.advance(ACCOUNT_CACHE_S + 1)
    with pytest.raises(TokenError, match="disabled or no longer exists"):
        auth.principal(token)
    auth.users.set_disabled("maria.chi", False)
    auth.clock.advance(ACCOUNT_CACHE_S + 1)
    assert auth.principal(token).name == "maria.chi"
    with pytest.raises(UserError, match="no user"):
        auth.users.set_disabled("nobody", True)


def test_device_tokens_need_no_account(auth: Auth) -> None:
    who = auth.principal(auth.issue_device("police", "P-1", 60).token)
    assert who.unit == "P-1" and who.is_device
