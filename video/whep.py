"""WHEP viewer sessions: a peer connection whose senders forward a publisher's encoded frames."""

from __future__ import annotations

from aiortc import RTCRtpSender
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from video import aiortc_compat
from video.errors import BadOffer
from video.forwarding import ForwardingTrack
from video.session import PeerSession, Principal, SessionConfig, parse_offer
from video.whip import Publisher


def _same_codec_capabilities(kind: str, codec_name: str) -> list[RTCRtpCodecCapability]:
    """Our capabilities for ``codec_name`` (every H.264 profile we know) plus RTX: the viewer must get what is sent."""
    capabilities = RTCRtpSender.getCapabilities(kind).codecs
    return [c for c in capabilities if c.name.upper() in (codec_name.upper(), "RTX")]


class Viewer(PeerSession):
    def __init__(self, stream_id: str, principal: Principal, config: SessionConfig, publisher: Publisher) -> None:
        super().__init__(stream_id, principal, config)
        self.publisher = publisher
        self.tracks: list[ForwardingTrack] = []

    async def start(self, offer: str) -> str:
        description = parse_offer(offer, "recvonly")
        kinds = {m.kind for m in description.media} & self.publisher.sources.keys()
        if not kinds:
            raise BadOffer(f"offer asks for none of the published media ({', '.join(sorted(self.publisher.sources))})")
        for m in description.media:
            sent = self.publisher.sources[m.kind].codec_name if m.kind in kinds else None
            if sent and sent.upper() not in {c.name.upper() for c in m.rtp.codecs}:
                raise BadOffer(f"the stream's {m.kind} is {sent}, which the offer does not accept (no transcoding)")
        # Transceivers created before the offer is applied take its m-lines and keep our codec preference,
        # so the viewer negotiates exactly the publisher's codec: forwarded frames cannot be transcoded.
        for kind in sorted(kinds):
            source = self.publisher.sources[kind]
            track = source.attach()
            transceiver = self.pc.addTransceiver(track, direction="sendonly")
            if source.codec_name:
                transceiver.setCodecPreferences(_same_codec_capabilities(kind, source.codec_name))
            aiortc_compat.route_keyframe_requests(transceiver.sender, source.request_keyframe)
            self.tracks.append(track)
        return await self.answer(offer)

    async def close(self) -> None:
        if self.closed.is_set():
            return
        for track in self.tracks:
            track.stop()
        await super().close()
