"""Fixtures of the psn tests: `db`, a migrated database on each engine (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from psn.config import Settings
from psn.store import Database
from tests.support import postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'psn.db'}")
        database.migrate()
        yield database
        database.close()
    else:
        with postgres_database() as url:
            database = Database(Settings(db_url=url).database_url)
            database.migrate()
            yield database
            database.close()
