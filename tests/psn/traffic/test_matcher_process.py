"""The map matcher in its own process (`psn.traffic.matcher_process`): it answers what the matcher in this process
answers for the same positions, and a child that dies costs the batch in flight, not the ones after it."""

from __future__ import annotations

import os
import signal
from concurrent.futures.process import BrokenProcessPool
from dataclasses import fields

import numpy as np
import pytest

from psn.traffic.matcher_process import MatcherProcess
from psn.traffic.packed import Packed
from tests.psn.traffic import standins
from traffic.matching import OUTCOMES, Matcher
from traffic.samples import SpeedSample
from traffic.utm import to_utm

T0 = 1_764_000_000.0


def drive(vehicle: str, start_s: int, count: int) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One vehicle at 15 m/s east along the stand-in road, a fix a second."""
    lonlat = np.array([standins.along(200.0, 15.0, 1.0, i) for i in range(start_s, start_s + count)])
    xy = np.asarray(to_utm(lonlat[:, 0], lonlat[:, 1]))
    return ([vehicle] * count, T0 + np.arange(start_s, start_s + count, dtype=float), xy, np.full(count, 15.0),
            np.full(count, 90.0))


def test_the_process_answers_as_the_matcher_does_and_survives_its_child() -> None:
    graph = standins.road()
    here, there = Matcher(graph), MatcherProcess(graph)
    try:
        batch = drive("P-1", 0, 30)
        expected, got = here.push_many(*batch), there.push_packed(*batch)
        assert [OUTCOMES[code] for code in got.outcome] == [p.outcome for p in expected]
        samples = zip(got.sample_of.tolist(), got.edge.tolist(), got.ts.tolist(), got.speed_mps.tolist(),
                      got.spot.tolist(), got.pos_m.tolist(), got.token.tolist(), strict=True)
        crossed = [(i, e, t, v, bool(spot), pos if pos == pos else None, token)  # NaN (whole edge): None
                   for i, e, t, v, spot, pos, token in samples]
        assert crossed == [(i, s.edge, s.ts, s.speed_mps, s.spot, s.pos_m if s.pos_m == s.pos_m else None, s.token)
                           for i, p in enumerate(expected) for s in p.samples]
        tokens = {token for *_, token in crossed}
        assert len(tokens) == 1 and min(tokens) >= 0  # the one vehicle's anonymous token, known
        assert any(pos is not None for *_, pos, _ in crossed)  # spot samples know where along the edge
        assert len(got.ts) >= 29 and there.active == here.active == 1
        next(iter(there._pool._processes.values())).kill()  # the child dies (OOM, a signal)
        with pytest.raises(BrokenProcessPool):
            there.push_packed(*drive("P-1", 30, 5))
        assert (there.restarts, there.active) == (1, 0)
        again = there.push_packed(*drive("P-1", 35, 10))  # a new child, the trace begun anew
        assert there.active == 1 and len(again.ts) > 0
    finally:
        there.close()


def test_ctrl_c_in_the_terminal_leaves_the_child_to_psn() -> None:
    # Ctrl-C reaches every process of the terminal's group; the child used to die of it with a traceback on the
    # demo's console. It keeps its traces and answers until psn closes it.
    there = MatcherProcess(standins.road())
    try:
        there.push_packed(*drive("P-1", 0, 5))
        child = next(iter(there._pool._processes.values()))
        os.kill(child.pid, signal.SIGINT)
        there.push_packed(*drive("P-1", 5, 5))
        assert (there.restarts, there.active, child.is_alive()) == (0, 1, True)
    finally:
        there.close()
    assert not child.is_alive()


def test_every_field_of_a_sample_has_a_column_across_the_boundary() -> None:
    # A field packed by hand was left out once (the position along the edge and the vehicle token the drop
    # detector needs): a new SpeedSample field must get its Packed column of the same name.
    assert {f.name for f in fields(SpeedSample)} <= {f.name for f in fields(Packed)}
