from hypothesis import given
from hypothesis import strategies as st

from psn.replay import ReplayGuard


def test_same_unit_same_stamp_is_a_replay() -> None:
    guard = ReplayGuard(window=3)
    assert not guard.seen("police/P-1", 1.0)
    assert guard.seen("police/P-1", 1.0)
    assert not guard.seen("police/P-2", 1.0)
    for ts in (2.0, 3.0, 4.0):
        guard.seen("police/P-1", ts)
    assert not guard.seen("police/P-1", 1.0)  # forgotten beyond the window


@given(st.lists(st.floats(allow_nan=False), max_size=200))
def test_memory_stays_bounded(stamps: list[float]) -> None:
    guard = ReplayGuard(window=8)
    for ts in stamps:
        guard.seen("u", ts)
    order, remembered = guard._recent.get("u", ([], set()))
    assert len(order) <= 8 and len(remembered) <= 8
