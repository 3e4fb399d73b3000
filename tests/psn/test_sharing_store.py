"""The sharing store itself keeps an incident id with the agency that shared it first: the check is inside the
transaction, so neither a race between two requests nor a second psn instance (its own snapshot) can take it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from psn.access import IncidentShare
from psn.clock import ManualClock
from psn.sharing import SharingStore
from psn.store import Database
from tests.support import postgres_database


def test_another_agency_cannot_take_over_an_incident_id(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'psn.db'}"
    first, second = Database(url), Database(url)  # two instances on one database
    first.migrate()
    police, nemo = SharingStore(first, ManualClock()), SharingStore(second, ManualClock())
    assert police.share_incident(IncidentShare("INC-9", "police", frozenset({"fire"}), frozenset(), True))
    # nemo's instance has not reloaded: its snapshot knows nothing of INC-9, the store does.
    assert not nemo.share_incident(IncidentShare("INC-9", "nemo", frozenset({"bdf"}), frozenset(), True))
    police.reload()
    assert [(s.incident, s.owner, s.partners) for s in police.snapshot.incidents] == [
        ("INC-9", "police", frozenset({"fire"}))]
    # The owner may change its own share.
    assert police.share_incident(IncidentShare("INC-9", "police", frozenset({"nemo"}), frozenset(), False))
    police.reload()
    assert [(s.owner, s.partners, s.open) for s in police.snapshot.incidents] == [
        ("police", frozenset({"nemo"}), False)]
    first.close()
    second.close()


def test_a_share_read_back_for_another_instance_never_undoes_a_change_made_here_meanwhile() -> None:
    """The listener reads incident INC-1's share as another instance left it (fire a partner); before it puts that
    read in place, this instance removes fire and reloads. The older read must not win: fire would keep viewing
    the incident here. The interleaving is made exact with a hook after the listener's read (PostgreSQL: its
    rows are in hand once the statement ran); the local change runs on a thread, given up to 2 s to finish before
    the read is used (it finishes at once unless the reload waits for the listener's)."""
    with postgres_database() as url:
        here_db, there_db = Database(url), Database(url)
        here_db.migrate()
        here, there = SharingStore(here_db, ManualClock()), SharingStore(there_db, ManualClock())
        assert there.share_incident(IncidentShare("INC-1", "police", frozenset({"fire"}), frozenset(), True))
        local = threading.Thread(target=here.share_incident,
                                 args=(IncidentShare("INC-1", "police", frozenset(), frozenset(), True),))
        hooked = [False]

        def after_read(_conn: Any, clause: Any, *_args: Any) -> None:
            if not hooked[0] and "incident_shares" in str(clause):
                hooked[0] = True
                local.start()
                local.join(timeout=2)

        sa.event.listen(here_db.engine, "after_execute", after_read)
        here.reload_share("INC-1")
        sa.event.remove(here_db.engine, "after_execute", after_read)
        local.join()
        assert [(s.incident, s.partners) for s in here.snapshot.incidents] == [("INC-1", frozenset())]
        here_db.close()
        there_db.close()
