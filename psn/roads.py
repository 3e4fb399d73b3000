"""`RoadModel`: the one road graph and router a server's dispatch ETAs and traffic analytics share.

The graph is `Settings.roads_file` (an `.npz` written by `psn roads import` or `RoadGraph.arrays()`), or the shipped
Belize network when that is None. Built lazily, on first use: a server that never routes nor sees a fix (most
tests) never pays it. The shipped graph and its router are built once per process (1.6 s on the 2-core CI box,
docs/benchmarks.md) and shared by every server in it, since tests start many.
"""

from __future__ import annotations

import logging
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from traffic.graph import RoadGraph
from traffic.loader import load_roads
from traffic.router import Router

log = logging.getLogger(__name__)
_SHIPPED: Router | None = None
_SHIPPED_LOCK = threading.Lock()


def _shipped() -> Router:
    global _SHIPPED
    with _SHIPPED_LOCK:
        if _SHIPPED is None:
            _SHIPPED = _timed(lambda: Router(load_roads().graph()), "the shipped roads")
        return _SHIPPED


def _timed(build: Callable[[], Router], what: str) -> Router:
    started = time.perf_counter()
    router = build()
    log.info("road router for %s built in %.2f s (%d edges)", what, time.perf_counter() - started,
             router.graph.edges)
    return router


def read_graph(path: Path) -> RoadGraph:
    """The graph of an `.npz` road file; ValueError with the reason if it is not one."""
    try:
        with np.load(path, allow_pickle=False) as arrays:
            return RoadGraph.from_arrays(dict(arrays))
    except (OSError, ValueError, zipfile.BadZipFile) as exc:  # missing, not an .npz, not a road graph's arrays
        raise ValueError(f"{path}: cannot read a road graph ({exc})") from None


class RoadModel:
    def __init__(self, roads_file: Path | None = None) -> None:
        self.roads_file = roads_file
        self._router: Router | None = None
        self._lock = threading.Lock()

    def router(self) -> Router:
        """The free-flow router (its graph is `graph`); built on first use."""
        with self._lock:
            if self._router is None:
                if self.roads_file is None:
                    self._router = _shipped()
                else:
                    path = self.roads_file
                    self._router = _timed(lambda: Router(read_graph(path)), str(path))
            return self._router

    @property
    def graph(self) -> RoadGraph:
        return self.router().graph

    @property
    def built(self) -> bool:
        return self._router is not None
