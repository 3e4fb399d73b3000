"""The map matcher in a process of its own, behind the calls the service makes (`push_packed`: `push_many`
packed; `forget`, `active`).

Why: map matching is Python that holds the GIL, and in psn's process it starved the live map's WebSocket: with
2,000 units moving, a well-behaved live client's updates arrived up to 7.6 s late (tests/psn/test_live_slow_client.py,
against at most 0.7 s with the traffic service off; resting the matcher half the time still left 3.8 s). In a
child process the service's thread only waits on a pipe, which releases the GIL. The child (a forkserver child,
not a fork of the threaded server) holds every vehicle's trace; the speeds, history and detector stay in psn.
A child that dies costs the batch in flight (the bus counts the error) and the traces: the next call starts a
new one. What a batch decided comes back as arrays (`psn.traffic.packed`: pickled objects cost the GIL).
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from psn.traffic.packed import Packed, pack
from traffic.graph import FloatArray, RoadGraph
from traffic.matching import Matcher
from traffic.samples import SpeedSample

T = TypeVar("T")
_matcher: Matcher | None = None  # in the child: the one matcher


def _start(graph: RoadGraph) -> None:
    global _matcher
    # Ctrl-C in psn demo's terminal reaches the whole process group: the child printed a KeyboardInterrupt
    # traceback under the demo's last words. psn stops it (the pool's shutdown) or its pipe closing does.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _matcher = Matcher(graph)


def _push_many(vehicles: Sequence[str], ts: FloatArray, xy: FloatArray, speed_mps: FloatArray,
               heading_deg: FloatArray) -> tuple[Packed, int]:
    assert _matcher is not None
    return pack(_matcher.push_many(vehicles, ts, xy, speed_mps, heading_deg)), _matcher.active


def _active() -> tuple[None, int]:
    assert _matcher is not None
    return None, _matcher.active


def _forget(silent_since: float) -> tuple[list[SpeedSample], int]:
    assert _matcher is not None
    return _matcher.forget(silent_since), _matcher.active


class MatcherProcess:
    def __init__(self, graph: RoadGraph) -> None:
        self.graph = graph
        self.active = 0  # vehicles the child holds a trace of, as of the last call
        self.restarts = 0
        self._pool = self._new_pool()

    def start(self) -> None:
        """Starts the child and its matcher now (the pool starts them on the first call otherwise)."""
        self._call(_active)

    def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        return ProcessPoolExecutor(1, mp_context=context, initializer=_start, initargs=(self.graph,))

    def _call(self, function: Callable[..., tuple[T, int]], *args: Any) -> T:
        try:
            result, active = self._pool.submit(function, *args).result()
        except BrokenProcessPool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool, self.active = self._new_pool(), 0
            self.restarts += 1
            raise
        self.active = active
        return result

    def push_packed(self, vehicles: Sequence[str], ts: FloatArray, xy: FloatArray, speed_mps: FloatArray,
                    heading_deg: FloatArray) -> Packed:
        """`Matcher.push_many` in the child, its outcomes and samples packed (`psn.traffic.packed`)."""
        return self._call(_push_many, list(vehicles), ts, xy, speed_mps, heading_deg)

    def forget(self, silent_since: float) -> list[SpeedSample]:
        return self._call(_forget, silent_since)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
