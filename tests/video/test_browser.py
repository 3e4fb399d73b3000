"""Headless chromium publishes by WHIP (fake camera) on one page and watches by WHEP on the video wall of another."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from tests.browser import FAKE_CAMERA_ARGS, VIDEO_SAMPLE, chromium
from tests.video.conftest import fake_authorize
from video import STATIC_DIR, StreamHub, build_router

pytestmark = pytest.mark.browser



class ThreadedServer:
    """uvicorn with the video router on a free port, in its own thread and event loop."""

    def __init__(self) -> None:
        self.hub = StreamHub()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]

        @contextlib.asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            yield
            await self.hub.close()

        app = FastAPI(lifespan=lifespan)
        app.include_router(build_router(self.hub, fake_authorize))
        app.mount("/static", StaticFiles(directory=STATIC_DIR))
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def peer_connections(self) -> int:
        return self.hub.peer_connection_count


@pytest.fixture
def server() -> Iterator[ThreadedServer]:
    with ThreadedServer() as running:
        yield running




def test_browser_publishes_and_views(server: ThreadedServer) -> None:
    base = f"http://127.0.0.1:{server.port}/static"
    with chromium(*FAKE_CAMERA_ARGS) as browser:
        publisher = browser.new_page()
        publisher.goto(f"{base}/publish.html?stream=cam1&token=unit7")
        publisher.wait_for_function("document.getElementById('status').textContent !== 'starting'", timeout=20000)
        assert publisher.inner_text("#status") == "publishing"

        viewer = browser.new_page()
        viewer.goto(f"{base}/wall.html?streams=cam1&token=dispatcher")
        playing = "document.querySelector('video') && document.querySelector('video').currentTime > 0.5"
        viewer.wait_for_function(playing, timeout=20000)
        first = viewer.evaluate(VIDEO_SAMPLE, "")
        viewer.wait_for_timeout(1500)
        second = viewer.evaluate(VIDEO_SAMPLE, "")
        assert second["t"] > first["t"] + 0.5, "playback advances"
        assert first["w"] == 640
        changed = sum(abs(a - b) for a, b in zip(first["px"], second["px"], strict=True))
        assert changed > 1000, "decoded pixels change (the fake camera animates)"
        viewer.wait_for_function("document.querySelector('.psn-stats').textContent.includes('fps')", timeout=5000)
        stats = viewer.inner_text(".psn-stats")
        assert "kbit/s" in stats and "loss" in stats

        viewer.click(".psn-close")  # closing the tile DELETEs the WHEP session
        deadline = time.monotonic() + 10
        while server.peer_connections() != 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.peer_connections() == 1
        publisher.evaluate("window.publication.stop()")
        deadline = time.monotonic() + 10
        while server.peer_connections() != 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.peer_connections() == 0


