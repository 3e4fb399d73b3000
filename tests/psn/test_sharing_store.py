"""The sharing store itself keeps an incident id with the agency that shared it first: the check is inside the
transaction, so neither a race between two requests nor a second psn instance (its own snapshot) can take it."""

from __future__ import annotations

from pathlib import Path

from psn.access import IncidentShare
from psn.clock import ManualClock
from psn.sharing import SharingStore
from psn.store import Database


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
