"""Regenerates tests/video/samples/chromium-*.sdp: the SDP offers Debian's chromium makes as a WHIP publisher
(fake camera and microphone, sendonly) and as a WHEP viewer (recvonly audio and video), written verbatim.

    .venv/bin/python -m tests.video.capture_chromium_offers
"""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

from tests.browser import FAKE_CAMERA_ARGS, chromium

SAMPLES = Path(__file__).parent / "samples"

# Runs in the page: the offer after ICE gathering, as webrtc.js's psnNegotiate sends it.
OFFER = """async (direction) => {
  const pc = new RTCPeerConnection();
  if (direction === "sendonly") {
    const media = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
    for (const track of media.getTracks()) pc.addTransceiver(track, { direction });
  } else {
    pc.addTransceiver("audio", { direction });
    pc.addTransceiver("video", { direction });
  }
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") resolve();
    pc.addEventListener("icegatheringstatechange", () => pc.iceGatheringState === "complete" && resolve());
    setTimeout(resolve, 2000);
  });
  const sdp = pc.localDescription.sdp;
  pc.close();
  return [navigator.userAgent, sdp];
}"""


def main() -> None:
    # getUserMedia needs a secure context: a page served from loopback is one.
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SAMPLES))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with chromium(*FAKE_CAMERA_ARGS) as browser:
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
            for direction, name in (("sendonly", "chromium-whip-offer.sdp"), ("recvonly", "chromium-whep-offer.sdp")):
                agent, sdp = page.evaluate(OFFER, direction)
                (SAMPLES / name).write_bytes(sdp.encode())
                print(f"{name}: {len(sdp)} bytes from {agent}")
        server.shutdown()


if __name__ == "__main__":
    main()
