"""Which live video streams other psn instances hold (docs/video.md, "Where a stream lives").

A stream lives in the process that took its publisher's WHIP offer. Another instance learns of it from the
`StreamStarted`/`StreamEnded` events the peer channel delivers with `origin` set to the holder's name, and of the
holder's URL from the instance directory in the database; the stream list names it, and a WHEP offer for it is
answered with where to go."""

from __future__ import annotations

import threading

from psn.events import StreamEnded, StreamStarted
from psn.store.instances import InstanceDirectory


class StreamLocations:
    def __init__(self, directory: InstanceDirectory) -> None:
        self.directory = directory
        self._held: dict[str, tuple[str, str]] = {}  # stream id -> (the other instance that holds it, its unit)
        self._lock = threading.Lock()

    def on_stream(self, event: StreamStarted | StreamEnded) -> None:
        if event.origin is None:  # this instance's own: its video hub knows them
            return
        with self._lock:
            if isinstance(event, StreamStarted):
                self._held[event.stream] = (event.origin, event.unit)
            # An end from the instance holding it now, not a late one from where it lived before.
            elif self._held.get(event.stream, ("",))[0] == event.origin:
                del self._held[event.stream]

    def elsewhere(self) -> dict[str, dict[str, str]]:
        """Stream id -> its entry in the stream list (`instance`, `url`, `unit`, `agency`) for every live stream
        another instance holds (and has registered its URL for)."""
        with self._lock:
            held = dict(self._held)
        if not held:
            return {}
        urls = self.directory.urls()
        return {stream: {"instance": instance, "url": urls[instance], "unit": unit, "agency": unit.split("/")[0]}
                for stream, (instance, unit) in held.items() if instance in urls}
