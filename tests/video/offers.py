"""Real SDP offers for the WHIP/WHEP tests: made by aiortc now, or captured from chromium (samples/).

Every candidate (and end-of-candidates) is stripped: psn then gathers its own candidates but waits for the
client's, so it never sends an ICE check anywhere, whatever a test posts."""

from __future__ import annotations

from pathlib import Path

from aiortc import RTCRtpSender

from tests.video.clients import MovingImageTrack, new_pc

SAMPLES = Path(__file__).parent / "samples"


def without_candidates(sdp: str) -> str:
    lines = sdp.splitlines(keepends=True)
    return "".join(line for line in lines if not line.startswith(("a=candidate", "a=end-of-candidates")))


async def aiortc_offer(kinds: tuple[str, ...], codec: str = "VP8", direction: str = "sendonly") -> str:
    """An aiortc offer with one transceiver per kind (video restricted to `codec`), candidates stripped."""
    pc = new_pc()
    for kind in kinds:
        source = MovingImageTrack() if kind == "video" and direction == "sendonly" else kind
        transceiver = pc.addTransceiver(source, direction=direction)
        if kind == "video":
            transceiver.setCodecPreferences(
                [c for c in RTCRtpSender.getCapabilities("video").codecs if c.name in (codec, "rtx")])
    await pc.setLocalDescription(await pc.createOffer())
    offer = pc.localDescription.sdp
    await pc.close()
    return without_candidates(offer)


def chromium_offer(direction: str) -> str:
    """chromium's captured offer: "sendonly" (WHIP, camera and microphone) or "recvonly" (WHEP)."""
    name = "chromium-whip-offer.sdp" if direction == "sendonly" else "chromium-whep-offer.sdp"
    return without_candidates((SAMPLES / name).read_bytes().decode())  # bytes: read_text() would drop the \r
