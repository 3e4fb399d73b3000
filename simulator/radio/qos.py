"""LTE QoS: standardised QCIs (TS 23.203 Table 6.1.7), ARP, GBR admission control and pre-emption."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class Qci:
    qci: int
    gbr: bool
    priority: float  # lower is served first
    delay_budget_ms: float
    loss_rate: float
    label: str


QCI_TABLE: dict[int, Qci] = {
    q.qci: q
    for q in (
        Qci(1, True, 2.0, 100, 1e-2, "conversational voice"),
        Qci(2, True, 4.0, 150, 1e-3, "conversational video"),
        Qci(5, False, 1.0, 100, 1e-6, "IMS signalling"),
        Qci(65, True, 0.7, 75, 1e-2, "MCPTT voice"),
        Qci(66, True, 2.0, 100, 1e-2, "non-MC push-to-talk voice"),
        Qci(67, True, 1.5, 100, 1e-3, "MC video"),
        Qci(69, False, 0.5, 60, 1e-6, "MC signalling"),
        Qci(70, False, 5.5, 200, 1e-6, "MC data"),
        Qci(8, False, 8.0, 300, 1e-6, "TCP, premium"),
        Qci(9, False, 9.0, 300, 1e-6, "default bearer"),
    )
}
UPLIFT_ARP = 1
UPLIFT_PRIORITY_BONUS = 0.05  # ahead of peers of the same QCI, never ahead of a more urgent QCI


class Admission(IntEnum):
    ADMITTED = 0
    REJECTED = 1
    PREEMPTED = 2
    NO_COVERAGE = 3  # the UE cannot reach the bearer's rate even with the whole cell


@dataclass(frozen=True)
class Bearers:
    """Struct of arrays, one entry per bearer; `seq` is the establishment epoch (equal = set up together)."""

    ue: IntArray
    qci: IntArray
    uplink: BoolArray
    rate_bps: FloatArray  # offered traffic (= GBR for GBR bearers)
    arp: IntArray  # 1 (highest) .. 15
    may_preempt: BoolArray
    preemptable: BoolArray
    seq: IntArray

    def __len__(self) -> int:
        return len(self.ue)

    def priority(self) -> FloatArray:
        return np.array([QCI_TABLE[int(q)].priority for q in self.qci]) if len(self) else np.zeros(0)

    def is_gbr(self) -> BoolArray:
        return np.array([QCI_TABLE[int(q)].gbr for q in self.qci], dtype=bool)

    def delay_budget_s(self) -> FloatArray:
        return np.array([QCI_TABLE[int(q)].delay_budget_ms / 1e3 for q in self.qci])

    def select(self, mask: BoolArray) -> Bearers:
        return Bearers(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


def uplift(b: Bearers, ues: IntArray) -> tuple[Bearers, FloatArray]:
    """Network-management priority uplift: ARP 1, may pre-empt, not pre-emptable, scheduled first in QCI."""
    up = np.isin(b.ue, ues)
    lifted = Bearers(
        b.ue, b.qci, b.uplink, b.rate_bps,
        np.where(up, UPLIFT_ARP, b.arp), b.may_preempt | up, b.preemptable & ~up, b.seq,
    )
    return lifted, b.priority() - UPLIFT_PRIORITY_BONUS * up


def admit(
    b: Bearers, cell: IntArray, prb_share: FloatArray, n_cells: int, threshold: float = 0.9
) -> NDArray[np.int64]:
    """GBR admission per cell: keep the highest-ARP bearers whose summed PRB share fits the threshold.

    Non-pre-emptable bearers go first in establishment order (nobody can displace them; ARP breaks
    ties within an epoch), then the pre-emptable ones by ARP and establishment order. A dropped bearer
    counts as
    PREEMPTED when a later, higher-ARP, pre-emption-capable bearer was admitted in its cell, else REJECTED.
    Non-GBR bearers are always admitted (they only get what is left).
    """
    gbr = b.is_gbr()
    servable = np.isfinite(prb_share)  # inf: the UE cannot reach the rate even with the whole cell
    first_key = np.where(b.preemptable, b.arp, b.seq)
    second_key = np.where(b.preemptable, b.seq, b.arp)
    order = np.lexsort((b.ue, second_key, first_key, b.preemptable, cell))
    share = np.where(gbr & servable, prb_share, 0.0)[order]
    c = cell[order]
    csum = np.cumsum(share)
    first = np.searchsorted(c, c, side="left")
    before = np.where(first > 0, csum[np.maximum(first - 1, 0)], 0.0)
    ok_sorted = (csum - before) <= threshold + 1e-12
    ok = np.empty_like(ok_sorted)
    ok[order] = ok_sorted
    ok = (ok & servable) | ~gbr
    status = np.where(ok, Admission.ADMITTED, Admission.REJECTED).astype(np.int64)
    # latest establishment among admitted pre-empting bearers, per cell and ARP level
    latest = np.full((n_cells, 17), -1, dtype=np.int64)
    pre = ok & b.may_preempt & gbr
    np.maximum.at(latest, (cell[pre], b.arp[pre]), b.seq[pre])
    better = np.maximum.accumulate(latest, axis=1)  # [:, a] = latest among ARP <= a
    preempted = ~ok & b.preemptable & (better[cell, np.clip(b.arp - 1, 0, 16)] > b.seq)
    status[preempted] = Admission.PREEMPTED
    status[gbr & ~servable] = Admission.NO_COVERAGE
    return status


def preemption_order(b: Bearers) -> IntArray:
    """Indices of pre-emptable GBR bearers in the order a newcomer would displace them (lowest ARP, newest)."""
    idx = np.flatnonzero(b.preemptable & b.is_gbr())
    return idx[np.lexsort((-b.seq[idx], -b.arp[idx]))]
