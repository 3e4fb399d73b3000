"""The demo processes' stop: SIGTERM or SIGINT sets the event their loops wait on."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from simulator.stopping import stop_on_signals


@pytest.fixture
def handlers() -> Iterator[None]:
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_sets_the_stop(handlers: None, signum: signal.Signals) -> None:
    stopped = stop_on_signals()
    assert not stopped.is_set()
    os.kill(os.getpid(), signum)
    assert stopped.wait(5)
