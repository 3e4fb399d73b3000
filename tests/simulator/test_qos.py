import numpy as np

from simulator.radio.qos import QCI_TABLE, Admission, Bearers, admit, preemption_order, uplift


def bearers(arp, preemptable, may_preempt=None, qci=None) -> Bearers:
    n = len(arp)
    return Bearers(
        ue=np.arange(n), qci=np.array(qci or [67] * n), uplink=np.ones(n, bool), rate_bps=np.full(n, 1e6),
        arp=np.array(arp), may_preempt=np.array(may_preempt or [a <= 5 for a in arp]),
        preemptable=np.array(preemptable), seq=np.arange(n),
    )


def test_public_safety_qcis() -> None:
    assert (QCI_TABLE[65].gbr, QCI_TABLE[65].priority, QCI_TABLE[65].delay_budget_ms) == (True, 0.7, 75)
    assert (QCI_TABLE[67].gbr, QCI_TABLE[67].priority, QCI_TABLE[67].delay_budget_ms) == (True, 1.5, 100)
    assert (QCI_TABLE[69].gbr, QCI_TABLE[69].priority, QCI_TABLE[69].delay_budget_ms) == (False, 0.5, 60)
    assert (QCI_TABLE[9].gbr, QCI_TABLE[9].priority) == (False, 9.0)


def test_higher_arp_newcomer_preempts_the_older_low_priority_bearer() -> None:
    # three bearers of 40 % each in one cell: only two fit under 90 %
    b = bearers(arp=[9, 5, 2], preemptable=[True, True, False])
    status = admit(b, np.zeros(3, np.int64), np.full(3, 0.4), 1, 0.9)
    assert status.tolist() == [Admission.PREEMPTED, Admission.ADMITTED, Admission.ADMITTED]


def test_non_preemptable_bearer_keeps_its_resources_and_newcomer_is_rejected() -> None:
    b = bearers(arp=[9, 2], preemptable=[False, False])
    status = admit(b, np.zeros(2, np.int64), np.full(2, 0.6), 1, 0.9)
    assert status.tolist() == [Admission.ADMITTED, Admission.REJECTED]


def test_cells_are_independent_and_unreachable_rate_is_no_coverage() -> None:
    b = bearers(arp=[5, 5, 5], preemptable=[True] * 3)
    status = admit(b, np.array([0, 1, 1]), np.array([0.8, 0.8, np.inf]), 2, 0.9)
    assert status.tolist() == [Admission.ADMITTED, Admission.ADMITTED, Admission.NO_COVERAGE]


def test_non_gbr_is_always_admitted() -> None:
    b = bearers(arp=[9, 9], preemptable=[True, True], qci=[9, 9])
    assert admit(b, np.zeros(2, np.int64), np.full(2, 5.0), 1).tolist() == [Admission.ADMITTED] * 2


def test_uplift_raises_arp_and_scheduling_priority_of_chosen_ues() -> None:
    b = bearers(arp=[9, 9], preemptable=[True, True])
    lifted, prio = uplift(b, np.array([1]))
    assert lifted.arp.tolist() == [9, 1] and lifted.preemptable.tolist() == [True, False]
    assert prio[1] < prio[0] and prio[1] > QCI_TABLE[65].priority


def test_preemption_order_is_lowest_arp_then_newest() -> None:
    b = bearers(arp=[9, 9, 7, 2], preemptable=[True, True, True, False])
    assert preemption_order(b).tolist() == [1, 0, 2]


def test_bearers_set_up_together_are_admitted_by_arp_and_not_counted_as_preempted() -> None:
    b = bearers(arp=[3, 2, 3, 2], preemptable=[False] * 4)
    b = Bearers(b.ue, b.qci, b.uplink, b.rate_bps, b.arp, b.may_preempt, b.preemptable, np.zeros(4, np.int64))
    status = admit(b, np.zeros(4, np.int64), np.array([0.4, 0.05, 0.4, 0.05]), 1, 0.6)
    assert status.tolist() == [Admission.ADMITTED, Admission.ADMITTED, Admission.REJECTED, Admission.ADMITTED]
