"""Video forwarding benchmark against psn as shipped: one 720p 30 fps publisher, N WHEP viewers; per viewer the
forwarded bitrate and packet rate and the frame rate, glass-to-glass latency, beside the server's CPU.

  forward  `psn serve` in its own process: a private Mosquitto, SQLite and keys in a temporary data dir, sealed at
           rest, so every stream is recorded as evidence; ICE on 127.0.0.1 only (PSN_ICE_HOST_ADDRESSES). The
           publisher holds a device token (`psn token issue --agency police --unit B-1`), the viewers a
           dispatcher's (`psn users add …`, `psn token issue --user …`): WHIP and WHEP pass psn's access rules
           and audit. A fresh psn and data dir for each viewer count.
  relay    the baseline, in the same run: aiortc's MediaRelay in a bare app (no auth, no recording), which
           decodes the publisher once and re-encodes for every viewer.

Each role is its own process, so the server's CPU is its own: user+system time of the server process from
/proc/PID/stat (every thread), over a window inside the viewers' measuring window, in % of one core.
Per viewer, over its window: the bytes and packets its DTLS transport received (SRTP media and RTCP: what the
server sent it) as kbit/s and packets/s, and encoded video frames/s (counted, never decoded). A probe viewer in a
process of its own decodes and reads the capture time the publisher draws into each frame: glass-to-glass =
decode time - capture time on the same clock (no display).

The recorded run, on a quiet machine (figures to docs/benchmarks.md; raw JSON lands in bench/results/):

    .venv/bin/python -m bench.video --viewers 0 10 25 50 75 --relay-viewers 0 2 4 --duration 20

A smoke run, about 2 minutes (delete the raw JSON it writes): --viewers 0 5 --relay-viewers 0 2 --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
from fastapi import APIRouter, Request, Response

from bench.raw_results import save
from bench.telemetry import Psn, bench_broker, free_port, wait_port

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT, FPS = 1280, 720, 30
BITS, BLOCK = 40, 32  # 40 blocks of 32x32 px across the top: the capture time in ms modulo 2**40
UNIT = "B-1"
STREAM = f"police:{UNIT}"
LOOPBACK = "127.0.0.1"


def draw_time(image: np.ndarray, ms: int) -> None:
    for bit in range(BITS):
        image[:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = 235 if ms >> bit & 1 else 16


def read_time(gray: np.ndarray) -> int:
    centre = BLOCK // 2
    return sum(1 << bit for bit in range(BITS) if gray[centre, bit * BLOCK + centre] > 128)


def now_ms() -> int:
    return int(time.time() * 1000) % (1 << BITS)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc/PID/stat fields 14 and 15."""
    after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()  # starts at field 3
    return (int(after_name[11]) + int(after_name[12])) / os.sysconf("SC_CLK_TCK")


def loopback_ice() -> None:
    from video.aiortc_compat import offer_host_addresses

    offer_host_addresses([LOOPBACK])


# ---------------------------------------------------------------- relay baseline server


def serve_relay(port: int) -> None:
    import uvicorn
    from fastapi import FastAPI

    loopback_ice()
    app = FastAPI()
    app.include_router(relay_router())
    uvicorn.run(app, host=LOOPBACK, port=port, log_level="warning")


def relay_router() -> APIRouter:
    """The naive baseline: aiortc's MediaRelay, which decodes the publisher and encodes once per viewer."""
    from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
    from aiortc.contrib.media import MediaRelay

    router, relay = APIRouter(), MediaRelay()
    tracks: dict[str, Any] = {}
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


# ---------------------------------------------------------------- clients


async def signal(base: str, door: str, token: str, offer: str) -> str:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(f"{base}/{door}/{STREAM}", content=offer,
                                   headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {token}"})
    if response.status_code != 201:
        raise RuntimeError(f"{door}: {response.status_code} {response.text}")
    return response.text


async def publish(base: str, token: str) -> None:
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
    await pc.setRemoteDescription(RTCSessionDescription(await signal(base, "whip", token, pc.localDescription.sdp),
                                                        "answer"))
    await asyncio.Event().wait()


async def received(pc: Any) -> tuple[int, int]:
    """(bytes, packets) the connection's transports received so far."""
    stats = [s for s in (await pc.getStats()).values() if getattr(s, "type", None) == "transport"]
    return sum(s.bytesReceived for s in stats), sum(s.packetsReceived for s in stats)


async def watch(base: str, token: str, count: int, probe: bool, warmup: float, window: float) -> None:
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

    for i in range(count + probe):
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        transceiver = pc.addTransceiver("video", direction="recvonly")
        if i < count:
            aiortc_compat.tap_encoded_frames(transceiver.receiver, counter(i), lambda: None)
        else:
            pc.on("track", lambda track: asyncio.ensure_future(decode(track)))
        await pc.setLocalDescription(await pc.createOffer())
        answer = await signal(base, "whep", token, pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))
        pcs.append(pc)
    await asyncio.sleep(warmup)
    before = [await received(pc) for pc in pcs[:count]]
    measuring, started = True, time.monotonic()
    await asyncio.sleep(window)
    measuring, span = False, time.monotonic() - started
    after = [await received(pc) for pc in pcs[:count]]
    viewers = [{"fps": frames[i] / span, "kbps": (after[i][0] - before[i][0]) * 8 / 1000 / span,
                "pps": (after[i][1] - before[i][1]) / span} for i in range(count)]
    print(json.dumps({"viewers": viewers, "latencies": latencies}), flush=True)
    await asyncio.gather(*(pc.close() for pc in pcs))


# ---------------------------------------------------------------- orchestration


def spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bench.video", *args], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})


def stop(children: list[subprocess.Popen[str]]) -> None:
    for child in children:
        child.kill()
        child.wait()


def run_case(base: str, server_pid: int, tokens: tuple[str, str], viewers: int,
             args: argparse.Namespace) -> dict[str, Any]:
    """Publisher, viewers (one probe process and the rest spread over processes), CPU of the server meanwhile."""
    publisher_token, viewer_token = tokens
    children = [spawn("publisher", "--base", base, "--token", publisher_token)]
    try:
        time.sleep(3)
        shares = [viewers // args.viewer_processes + (i < viewers % args.viewer_processes)
                  for i in range(args.viewer_processes)]
        # The probe decodes in a process of its own so the load viewers' GIL does not delay its frames.
        watchers = [spawn("viewers", "--base", base, "--token", viewer_token, "--count", str(n), "--warmup",
                          str(args.warmup), "--window", str(args.duration), *(["--probe"] if probe else []))
                    for n, probe in [(0, True), *((n, False) for n in shares if n)]]
        children += watchers
        time.sleep(args.warmup + 2)  # viewers connect, then warm up; measure inside their window
        cpu, started = cpu_seconds(server_pid), time.monotonic()
        time.sleep(args.duration - 3)
        cpu = (cpu_seconds(server_pid) - cpu) / (time.monotonic() - started)
        results = [json.loads(w.communicate(timeout=120)[0].strip().splitlines()[-1]) for w in watchers]
    finally:
        stop(children)
    each = [v for r in results for v in r["viewers"]]
    latencies = sorted(x for r in results for x in r["latencies"])

    def spread(key: str) -> dict[str, float | None]:
        values = [v[key] for v in each]
        return {"min": round(min(values), 1), "mean": round(statistics.fmean(values), 1)} if values else \
            {"min": None, "mean": None}

    def pick(q: float) -> int | None:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else None

    return {"viewers": viewers, "server_cpu": round(cpu, 4), "fps": spread("fps"), "kbps": spread("kbps"),
            "pps": spread("pps"), "p50_ms": pick(0.5), "p95_ms": pick(0.95), "probe_frames": len(latencies),
            "per_viewer": each}


def device_token(psn: Psn) -> str:
    issued = subprocess.run([sys.executable, "-m", "psn", "token", "issue", "--agency", "police", "--unit", UNIT,
                             "--ttl", "1h", "--data-dir", str(psn.data)], capture_output=True, text=True, check=True)
    return issued.stdout.strip()


def recorded(psn: Psn) -> dict[str, int]:
    """What psn recorded of the stream once its publisher is gone (proof the case ran with recording on)."""
    headers = {"Authorization": f"Bearer {psn.token}"}
    deadline = time.monotonic() + 20  # the publisher was killed: psn ends the stream when ICE consent fails
    while httpx.get(f"{psn.base}/api/v1/streams", headers=headers).json()["streams"] and time.monotonic() < deadline:
        time.sleep(0.5)
    listed = httpx.get(f"{psn.base}/api/v1/recordings", headers=headers).json()["recordings"]
    return {"recordings": len(listed), "segments": sum(len(r["segments"]) for r in listed)}


def forward(work: Path, mqtt_port: int, viewers: int, args: argparse.Namespace) -> dict[str, Any]:
    with Psn(work, mqtt_port, "sqlite", encrypt=True, label=f"video-{viewers}") as psn:
        row = run_case(psn.base, psn.process.pid, (device_token(psn), psn.token), viewers, args)
        return {"mode": "forward", **row, "recorded": recorded(psn)}


def relay(viewers: int, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    server = spawn("relay-server", "--port", str(port))
    try:
        wait_port(port, 60)
        return {"mode": "relay", **run_case(f"http://{LOOPBACK}:{port}", server.pid, ("none", "none"), viewers,
                                            args)}
    finally:
        stop([server])


def report(rows: list[dict[str, Any]]) -> None:
    print(f"{'mode':8} {'viewers':>7} {'server CPU':>10} {'CPU/viewer':>10} {'fps min':>7} {'kbit/s':>15} "
          f"{'packets/s':>13} {'p50 ms':>6} {'p95 ms':>6} recorded")
    base = {r["mode"]: r["server_cpu"] for r in rows if r["viewers"] == 0}
    for r in rows:
        per = (r["server_cpu"] - base.get(r["mode"], 0)) / r["viewers"] if r["viewers"] else float("nan")
        kbps, pps = (f"{r[k]['mean'] or 0:.0f} (min {r[k]['min'] or 0:.0f})" for k in ("kbps", "pps"))
        print(f"{r['mode']:8} {r['viewers']:7d} {r['server_cpu']:10.1%} {per:10.2%} {r['fps']['min'] or 0:7.1f} "
              f"{kbps:>15} {pps:>13} {r['p50_ms'] or 0:6} {r['p95_ms'] or 0:6} {r.get('recorded', '')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="role")
    sub.add_parser("relay-server").add_argument("--port", type=int, required=True)
    p = sub.add_parser("publisher")
    p.add_argument("--base", required=True)
    p.add_argument("--token", required=True)
    v = sub.add_parser("viewers")
    v.add_argument("--base", required=True)
    v.add_argument("--token", required=True)
    v.add_argument("--count", type=int, required=True)
    v.add_argument("--probe", action="store_true")
    v.add_argument("--warmup", type=float, required=True)
    v.add_argument("--window", type=float, required=True)
    parser.add_argument("--viewers", type=int, nargs="+", default=[0, 10, 25, 50, 75])
    parser.add_argument("--relay-viewers", type=int, nargs="*", default=[0, 2, 4])
    parser.add_argument("--viewer-processes", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=5, help="seconds after the viewers joined")
    parser.add_argument("--duration", type=float, default=20, help="seconds measured (at least 5)")
    args = parser.parse_args()
    if args.role is None and args.duration < 5:
        parser.error("--duration must be at least 5 s (the CPU window is the duration less 3 s)")
    if args.role == "relay-server":
        serve_relay(args.port)
    elif args.role == "publisher":
        loopback_ice()
        asyncio.run(publish(args.base, args.token))
    elif args.role == "viewers":
        loopback_ice()
        asyncio.run(watch(args.base, args.token, args.count, args.probe, args.warmup, args.window))
    else:
        os.environ["PSN_ICE_HOST_ADDRESSES"] = LOOPBACK  # psn serve (bench.telemetry.Psn passes os.environ on)
        with bench_broker() as (work, mqtt_port):
            rows = [forward(work, mqtt_port, n, args) for n in args.viewers]
        rows += [relay(n, args) for n in args.relay_viewers]
        report(rows)
        print(f"raw JSON: {save('video', {'warmup_s': args.warmup, 'duration_s': args.duration, 'rows': rows})}",
              file=sys.stderr)


if __name__ == "__main__":
    main()
