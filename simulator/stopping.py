"""How the demo's long-running processes (fleet, calls) stop: SIGTERM from `psn serve --demo` or Ctrl-C sets one
event that their loops test and wait on, so a stop ends the current sleep at once."""

from __future__ import annotations

import signal
import threading


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT (installed now, for the rest of the process)."""
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    return stopped
