"""Video forwarding benchmark: one 720p 30 fps publisher, N viewers, server CPU per viewer and glass-to-glass latency.

Each role is its own process so the server's CPU is measured alone (psutil, over a steady window):
  server     the psn video router (--mode forward: encoded frames forwarded) or a naive aiortc relay
             (--mode relay: MediaRelay, the publisher decoded once and re-encoded for every viewer);
  publisher  aiortc, synthetic 1280x720 30 fps VP8 with its capture time (ms) drawn into the frame as a barcode;
  viewers    aiortc WHEP clients that count encoded frames without decoding, plus one probe viewer that decodes
             and reads the barcode: glass-to-glass = decode time - capture time (same host clock; no display).

    .venv/bin/python bench/video.py --viewers 0 10 25 50 --relay-viewers 0 2 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import psutil
from fastapi import APIRouter, Request, Response

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT, FPS = 1280, 720, 30
BITS, BLOCK = 40, 32  # 40 blocks of 32x32 px across the top: the capture time in ms modulo 2**40


def draw_time(image: np.ndarray, ms: int) -> None:
    for bit in range(BITS):
        image[:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = 235 if ms >> bit & 1 else 16


def read_time(gray: np.ndarray) -> int:
    centre = BLOCK // 2
    return sum(1 << bit for bit in range(BITS) if gray[centre, bit * BLOCK + centre] > 128)


def now_ms() -> int:
    return int(time.time() * 1000) % (1 << BITS)


class Allow:
    agency, name = "bench", "bench"


def allow(token: str | None, stream: str, action: str) -> Allow:
    return Allow()


# ---------------------------------------------------------------- server


def serve(mode: str, port: int) -> None:
    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()
    if mode == "forward":
        from video import StreamHub, build_router

        app.include_router(build_router(StreamHub(), allow))
    else:
        app.include_router(relay_router())
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def relay_router() -> APIRouter:
    """The naive baseline: aiortc's MediaRelay, which decodes the publisher and encodes once per viewer."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.contrib.media import MediaRelay

    router, relay, tracks = APIRouter(), MediaRelay(), {}
    peers: set[Any] = set()

    async def answer(pc: Any, request: Request) -> Response:
        await pc.setRemoteDescription(RTCSessionDescription((await request.body()).decode(), "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        peers.add(pc)
        return Response(pc.localDescription.sdp, 201, media_type="application/sdp", headers={"Location": "/x"})

    @router.post("/whip/{stream}")
    async def whip(stream: str, request: Request) -> Response:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.on("track", lambda track: tracks.__setitem__(stream, track))
        return await answer(pc, request)

    @router.post("/whep/{stream}")
    async def whep(stream: str, request: Request) -> Response:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTrack(relay.subscribe(tracks[stream]))
        return await answer(pc, request)

    return router


# ---------------------------------------------------------------- publisher


async def publish(port: int) -> None:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription, VideoStreamTrack

    class Clocked(VideoStreamTrack):
        def __init__(self) -> None:
            super().__init__()
            self.count = 0
            base = np.tile(np.linspace(16, 235, WIDTH, dtype=np.uint8), (HEIGHT, 1))
            self.base = np.stack([base, base[::-1], base], axis=2)

        async def recv(self) -> av.VideoFrame:
            pts, time_base = await self.next_timestamp()
            image = np.roll(self.base, self.count * 6, axis=1)
            draw_time(image, now_ms())
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts, frame.time_base = pts, time_base
            self.count += 1
            return frame

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    transceiver = pc.addTransceiver(Clocked(), direction="sendonly")
    transceiver.setCodecPreferences([c for c in RTCRtpSender.getCapabilities("video").codecs if c.name == "VP8"])
    await pc.setLocalDescription(await pc.createOffer())
    async with httpx.AsyncClient() as http:
        response = await http.post(f"http://127.0.0.1:{port}/whip/bench", content=pc.localDescription.sdp,
                                   headers={"Content-Type": "application/sdp", "Authorization": "Bearer x"})
        response.raise_for_status()
    await pc.setRemoteDescription(RTCSessionDescription(response.text, "answer"))
    await asyncio.Event().wait()


# ---------------------------------------------------------------- viewers


async def watch(port: int, count: int, probe: bool, warmup: float, window: float) -> None:
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import MediaStreamError

    from video import aiortc_compat

    frames = [0] * count
    latencies: list[int] = []
    measuring = False
    pcs = []

    def counter(i: int) -> Any:
        def on_frame(codec: Any, frame: Any) -> bool:
            if measuring:
                frames[i] += 1
            return False  # count, never decode: the client side must not be the bottleneck

        return on_frame

    async def decode(track: Any) -> None:
        try:
            while True:
                frame = await track.recv()
                if measuring:
                    latencies.append((now_ms() - read_time(frame.to_ndarray(format="gray"))) % (1 << BITS))
        except MediaStreamError:
            pass

    async with httpx.AsyncClient(timeout=30) as http:
        for i in range(count + probe):
            pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            transceiver = pc.addTransceiver("video", direction="recvonly")
            if i < count:
                aiortc_compat.tap_encoded_frames(transceiver.receiver, counter(i), lambda: None)
            else:
                pc.on("track", lambda track: asyncio.ensure_future(decode(track)))
            await pc.setLocalDescription(await pc.createOffer())
            response = await http.post(f"http://127.0.0.1:{port}/whep/bench", content=pc.localDescription.sdp,
                                       headers={"Content-Type": "application/sdp", "Authorization": "Bearer x"})
            response.raise_for_status()
            await pc.setRemoteDescription(RTCSessionDescription(response.text, "answer"))
            pcs.append(pc)
    await asyncio.sleep(warmup)
    measuring = True
    await asyncio.sleep(window)
    measuring = False
    print(json.dumps({"fps": [f / window for f in frames], "latencies": latencies}), flush=True)
    await asyncio.gather(*(pc.close() for pc in pcs))


# ---------------------------------------------------------------- orchestration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def run_case(mode: str, viewers: int, processes: int, warmup: float, window: float) -> dict[str, Any]:
    port = free_port()
    server = spawn("server", "--mode", mode, "--port", str(port))
    children = [server]
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        children.append(spawn("publisher", "--port", str(port)))
        time.sleep(3)
        shares = [viewers // processes + (i < viewers % processes) for i in range(processes)]
        # The probe decodes in a process of its own so the load viewers' GIL does not delay its frames.
        watchers = [spawn("viewers", "--port", str(port), "--count", str(n), "--warmup", str(warmup),
                          "--window", str(window), *(["--probe"] if probe else []))
                    for n, probe in [(0, True), *((n, False) for n in shares)]]
        children += watchers
        server_ps = psutil.Process(server.pid)
        time.sleep(warmup + 2)  # viewers connect, then warm up; measure inside their window
        before = server_ps.cpu_times()
        started = time.monotonic()
        time.sleep(window - 3)
        after = server_ps.cpu_times()
        cpu = (after.user + after.system - before.user - before.system) / (time.monotonic() - started)
        results = [json.loads(w.communicate(timeout=120)[0].strip().splitlines()[-1]) for w in watchers]
    finally:
        for child in children:
            child.kill()
            child.wait()
    fps = [f for r in results for f in r["fps"]]
    latencies = sorted(x for r in results for x in r["latencies"])
    pick = (lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]) if latencies else (lambda q: None)
    return {"mode": mode, "viewers": viewers, "server_cpu": cpu, "viewer_fps_min": min(fps) if fps else None,
            "viewer_fps_mean": sum(fps) / len(fps) if fps else None, "p50_ms": pick(0.5), "p95_ms": pick(0.95),
            "probe_frames": len(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="role")
    s = sub.add_parser("server")
    s.add_argument("--mode", choices=["forward", "relay"], required=True)
    s.add_argument("--port", type=int, required=True)
    p = sub.add_parser("publisher")
    p.add_argument("--port", type=int, required=True)
    v = sub.add_parser("viewers")
    v.add_argument("--port", type=int, required=True)
    v.add_argument("--count", type=int, required=True)
    v.add_argument("--probe", action="store_true")
    v.add_argument("--warmup", type=float, required=True)
    v.add_argument("--window", type=float, required=True)
    parser.add_argument("--viewers", type=int, nargs="+", default=[0, 10, 25, 50])
    parser.add_argument("--relay-viewers", type=int, nargs="*", default=[0, 2, 4])
    parser.add_argument("--viewer-processes", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--window", type=float, default=10)
    args = parser.parse_args()
    if args.role == "server":
        serve(args.mode, args.port)
    elif args.role == "publisher":
        asyncio.run(publish(args.port))
    elif args.role == "viewers":
        asyncio.run(watch(args.port, args.count, args.probe, args.warmup, args.window))
    else:
        rows = [run_case("forward", n, args.viewer_processes, args.warmup, args.window) for n in args.viewers]
        rows += [run_case("relay", n, args.viewer_processes, args.warmup, args.window) for n in args.relay_viewers]
        print(f"{'mode':8} {'viewers':>7} {'server CPU':>10} {'CPU/viewer':>10} {'fps min':>8} {'fps mean':>8} "
              f"{'p50 ms':>7} {'p95 ms':>7}")
        base = {r["mode"]: r["server_cpu"] for r in rows if r["viewers"] == 0}
        for r in rows:
            per = (r["server_cpu"] - base.get(r["mode"], 0)) / r["viewers"] if r["viewers"] else float("nan")
            print(f"{r['mode']:8} {r['viewers']:7d} {r['server_cpu']:10.1%} {per:10.2%} "
                  f"{r['viewer_fps_min'] or 0:8.1f} {r['viewer_fps_mean'] or 0:8.1f} "
                  f"{r['p50_ms'] or 0:7} {r['p95_ms'] or 0:7}")
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
