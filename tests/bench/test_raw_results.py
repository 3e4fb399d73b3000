"""Raw JSON of a benchmark run: named by the UTC time, never overwriting, with the command and tree measured."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from pathlib import Path

import pytest

from bench import raw_results


@pytest.fixture
def six_hours_west(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A local clock 6 h behind UTC (Belize), so a file named by local time shows."""
    monkeypatch.setenv("TZ", "XST+6")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_a_run_is_named_by_its_utc_time_and_keeps_figures_command_and_tree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, six_hours_west: None) -> None:
    monkeypatch.setattr(sys, "argv", ["/somewhere/bench/telemetry.py", "--units", "5", "--db", "postgresql://a b"])
    before = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = raw_results.save("telemetry", {"ceiling_msgs_per_s": 9882, "per_round": [{"x": 1}]}, tmp_path)
    after = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    assert path.parent == tmp_path
    stamp = re.fullmatch(r"telemetry-(\d{8}T\d{6}Z)\.json", path.name)
    assert stamp is not None and before <= stamp[1] <= after
    record = json.loads(path.read_text())
    assert record["bench"] == "telemetry"
    assert record["command"] == "python -m bench.telemetry --units 5 --db 'postgresql://a b'"
    assert record["ceiling_msgs_per_s"] == 9882 and record["per_round"] == [{"x": 1}]
    assert re.fullmatch(r"[0-9a-f]{7,40}(-dirty)?", record["tree"])
    assert datetime.fromisoformat(record["utc"]) == datetime.strptime(stamp[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


class FixedClock(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> FixedClock:
        return cls(2026, 12, 1, 6, 3, 24, tzinfo=UTC)


def test_a_second_run_in_the_same_second_does_not_overwrite_the_first(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(raw_results, "datetime", FixedClock)
    first = raw_results.save("crypto_ingest", {"run": 1}, tmp_path)
    assert first.name == "crypto_ingest-20261201T060324Z.json"
    with pytest.raises(FileExistsError):
        raw_results.save("crypto_ingest", {"run": 2}, tmp_path)
    assert json.loads(first.read_text())["run"] == 1
