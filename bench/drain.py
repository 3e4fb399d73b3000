"""When a burst has drained through psn, and how fast: pure arithmetic on samples of psn's `/api/v1/stats`.

A fix is processed once its row is committed, not when ingest accepts it: sealing (AES-GCM at rest) and the
database commit happen afterwards on the store's writer thread. So a burst has drained when every message of it
has been accepted, every accepted record is committed (`stored`) and the store's backlog is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sample:
    """One poll of /api/v1/stats, counters taken relative to their values before the burst."""

    t: float  # seconds, any clock that only goes forward
    accepted: int
    stored: int  # records committed to the database
    backlog: int  # records waiting for the writer


@dataclass(frozen=True, slots=True)
class Drain:
    committed_msgs_per_s: float  # from the first sample inside the drain to the first with the burst committed
    accepted_msgs_per_s: float  # the same start, to the first sample with the burst accepted (the old figure)
    seconds: float  # first sample inside the drain to the burst committed


def drained(sample: Sample, burst: int) -> bool:
    return sample.accepted >= burst and sample.stored >= sample.accepted and sample.backlog == 0


def drain_figures(samples: Sequence[Sample], burst: int) -> Drain:
    """Rates over the part of the drain the samples saw: the messages accepted after the first sample that shows
    any (those before it may have arrived at any time since the previous poll) over the time from that sample.
    Raises ValueError when the samples never show the burst drained, or show no sample inside the drain."""
    start = next((s for s in samples if s.accepted > 0), None)
    if start is None:
        raise ValueError(f"no message of the burst of {burst} was accepted")
    if start.accepted >= burst:
        raise ValueError(f"the burst of {burst} was accepted between two polls: nothing to time (make it larger)")
    accepted = next((s for s in samples if s.accepted >= burst), None)
    committed = next((s for s in samples if drained(s, burst)), None)
    if accepted is None or committed is None:
        last = samples[-1]
        raise ValueError(f"the burst of {burst} did not drain: accepted {last.accepted}, committed {last.stored}, "
                         f"backlog {last.backlog}")
    return Drain(
        committed_msgs_per_s=(committed.accepted - start.accepted) / (committed.t - start.t),
        accepted_msgs_per_s=(accepted.accepted - start.accepted) / (accepted.t - start.t),
        seconds=committed.t - start.t,
    )
