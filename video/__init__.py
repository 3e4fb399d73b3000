"""Live video: WHIP ingest, WHEP viewing, forwarding without re-encoding, encrypted evidence recording.

Mount into the server::

    hub = StreamHub(recordings=RecordingService(RecordingStore(root), keyring, signing_key))
    app.include_router(build_router(hub, authorize, recordings=store, opener=keyring))
    ...
    await hub.close()  # on shutdown

See docs/video.md.
"""

from pathlib import Path

from video.errors import BadOffer, SessionNotFound, StreamBusy, StreamNotFound, VideoError
from video.evidence import ExportSummary, export, verify_bundle
from video.forwarding import EncodedSource, ForwardingTrack, is_keyframe
from video.http import Action, Authorize, HttpConfig, Placement, build_router
from video.hub import HubConfig, StreamHealth, StreamHub, StreamInfo
from video.manifest import Manifest, Report, SegmentEntry, SignedManifest, sign, verify_manifest, verify_segments
from video.recorder import Opener, RecordingService, RecordingStore, RetentionPolicy, Sealer, StreamRecorder
from video.session import Principal, SessionConfig
from video.snapshot import FrameCallback, Subscription, encode_jpeg

STATIC_DIR = Path(__file__).parent / "static"  # webrtc.js, wall.js, wall.css, publish.html, wall.html

__all__ = [
    "STATIC_DIR",
    "Action",
    "Authorize",
    "BadOffer",
    "EncodedSource",
    "ExportSummary",
    "ForwardingTrack",
    "FrameCallback",
    "HttpConfig",
    "HubConfig",
    "Manifest",
    "Opener",
    "Placement",
    "Principal",
    "RecordingService",
    "RecordingStore",
    "Report",
    "RetentionPolicy",
    "Sealer",
    "SegmentEntry",
    "SessionConfig",
    "SessionNotFound",
    "SignedManifest",
    "StreamBusy",
    "StreamHealth",
    "StreamHub",
    "StreamInfo",
    "StreamNotFound",
    "StreamRecorder",
    "Subscription",
    "VideoError",
    "build_router",
    "encode_jpeg",
    "export",
    "is_keyframe",
    "sign",
    "verify_bundle",
    "verify_manifest",
    "verify_segments",
]
