"""A demo body camera: publishes a synthetic live picture to psn by WHIP, as a unit's camera would.

A client of the server (it never imports psn): the picture is a drawn street scene that moves, with the stream
id and a running clock burnt in, so whoever watches can tell it is live and whose camera it is.

    python -m simulator.bodycam --base http://127.0.0.1:8000 --stream police:P-101 --token TOKEN

Runs until SIGTERM/SIGINT and then ends its WHIP session (DELETE). A refused publish (401/403/404/409 …) is
printed as one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import signal
import sys
import time
from datetime import datetime
from urllib.parse import quote, urljoin

import av
import cv2
import httpx
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from numpy.typing import NDArray

from video.aiortc_compat import offer_host_addresses

CLOCK_RATE = 90_000  # RTP video clock


class Refused(Exception):
    """The server (or the network) would not take the stream: one line for the operator."""


class SceneTrack(MediaStreamTrack):
    """A road running towards the horizon with dashes streaming past, the stream id and a clock on top."""

    kind = "video"

    def __init__(self, label: str, width: int = 640, height: int = 360, fps: float = 15.0) -> None:
        super().__init__()
        self.label, self.width, self.height, self.fps = label, width, height, fps
        self._background = self._draw_background()
        self._start: float | None = None
        self._count = 0

    def _draw_background(self) -> NDArray[np.uint8]:
        w, h = self.width, self.height
        horizon = int(h * 0.45)
        image = np.empty((h, w, 3), np.uint8)
        sky = np.linspace(0, 1, horizon)[:, None]  # BGR: deep blue fading to pale at the horizon
        image[:horizon] = (np.array([120, 70, 30]) + sky * np.array([110, 130, 150])).astype(np.uint8)[:, None, :]
        image[horizon:] = (40, 95, 55)  # verges
        road = np.array([[w * 0.47, horizon], [w * 0.53, horizon], [w * 0.95, h], [w * 0.05, h]], np.int32)
        cv2.fillPoly(image, [road], (70, 70, 70))
        return image

    def draw(self, t: float) -> NDArray[np.uint8]:
        """The picture at `t` seconds after the start; every frame differs from the last."""
        w, h = self.width, self.height
        image = self._background.copy()
        horizon = h * 0.45
        # Dashes move towards the viewer, spaced evenly in depth: d in (0, 1] is near (1) to far (0).
        for k in range(8):
            d0 = ((k + t * 0.9) % 8) / 8
            d1 = min(1.0, d0 + 0.05)
            y0, y1 = horizon + (h - horizon) * d0**2, horizon + (h - horizon) * d1**2
            half0, half1 = w * 0.004 * (0.2 + d0 * 3), w * 0.004 * (0.2 + d1 * 3)
            dash = np.array([[w / 2 - half0, y0], [w / 2 + half0, y0], [w / 2 + half1, y1], [w / 2 - half1, y1]])
            cv2.fillPoly(image, [dash.astype(np.int32)], (235, 235, 235))
        # A patrol light sweeping across the sky.
        x = int(w * (0.5 + 0.4 * np.sin(t * 1.3)))
        cv2.circle(image, (x, int(horizon * 0.35)), max(4, h // 30), (60, 200, 255), -1, cv2.LINE_AA)
        scale = h / 360
        self._text(image, self.label, (int(12 * scale), int(34 * scale)), 0.9 * scale)
        wall = datetime.now()
        clock = wall.strftime("%H:%M:%S.") + str(wall.microsecond // 100_000)
        self._text(image, f"{clock}  #{self._count}", (int(12 * scale), h - int(14 * scale)), 0.8 * scale)
        if int(t * 2) % 2 == 0:  # a blinking LIVE mark, as on a real camera
            cv2.circle(image, (w - int(78 * scale), int(26 * scale)), int(8 * scale), (40, 40, 230), -1, cv2.LINE_AA)
        self._text(image, "LIVE", (w - int(64 * scale), int(34 * scale)), 0.8 * scale)
        return image

    @staticmethod
    def _text(image: NDArray[np.uint8], text: str, at: tuple[int, int], scale: float) -> None:
        thickness = max(1, round(2 * scale))
        cv2.putText(image, text, at, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thickness + 3, cv2.LINE_AA)
        cv2.putText(image, text, at, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thickness, cv2.LINE_AA)

    async def recv(self) -> av.VideoFrame:
        # Paced at our own frame rate (VideoStreamTrack's is fixed at 30 fps).
        now = time.monotonic()
        if self._start is None:
            self._start = now
        else:
            self._count += 1
            await asyncio.sleep(max(0.0, self._start + self._count / self.fps - now))
        frame = av.VideoFrame.from_ndarray(self.draw(self._count / self.fps), format="bgr24")
        frame.pts = round(self._count * CLOCK_RATE / self.fps)
        frame.time_base = fractions.Fraction(1, CLOCK_RATE)
        return frame


async def publish(http: httpx.AsyncClient, stream: str, track: MediaStreamTrack) -> tuple[RTCPeerConnection, str]:
    """Sends the WHIP offer; returns the connection and the session URL to DELETE at the end."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver(track, direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())  # aiortc gathers every candidate first
    url = f"/whip/{quote(stream, safe=':')}"
    try:
        response = await http.post(url, content=pc.localDescription.sdp, headers={"Content-Type": "application/sdp"})
        if response.status_code != 201:
            detail = response.text.strip().replace("\n", " ")[:200]
            raise Refused(f"POST {url}: HTTP {response.status_code} {detail}")
        await pc.setRemoteDescription(RTCSessionDescription(response.text, "answer"))
    except BaseException:
        await pc.close()
        raise
    return pc, urljoin(str(response.url), response.headers["location"])


async def run(args: argparse.Namespace) -> int:
    track = SceneTrack(args.stream, args.width, args.height, args.fps)
    headers = {"Authorization": f"Bearer {args.token}"}
    async with httpx.AsyncClient(base_url=args.base, headers=headers, timeout=10) as http:
        try:
            pc, session = await publish(http, args.stream, track)
        except httpx.HTTPError as exc:
            raise Refused(f"{args.base}: {exc!r}") from None
        ended = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, ended.set)

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                ended.set()

        print(f"bodycam: publishing {args.stream} ({args.width}x{args.height}, {args.fps:g} fps) to {session}",
              flush=True)
        await ended.wait()
        lost = pc.connectionState in ("failed", "closed")
        await pc.close()
        with contextlib.suppress(httpx.HTTPError):  # the server is gone: nothing left to end
            await http.delete(session)
    if lost:
        print(f"bodycam: {args.stream}: connection to the server lost", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.bodycam", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="psn server URL")
    parser.add_argument("--stream", required=True, help="stream id, {agency}:{unit}[:{camera}]")
    parser.add_argument("--token", required=True, help="the unit's device token (psn token issue …)")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--ice-address", action="append", default=[], metavar="ADDR",
                        help="offer ICE candidates on this address only (repeatable), e.g. 127.0.0.1 next to psn demo")
    args = parser.parse_args(argv)
    offer_host_addresses(args.ice_address)
    try:
        return asyncio.run(run(args))
    except Refused as exc:
        print(f"bodycam: {args.stream}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
