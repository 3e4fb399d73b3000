"""The one place that reaches into aiortc internals (targets aiortc 1.16).

aiortc's ``RTCRtpReceiver`` always hands every re-assembled frame to a decoder
thread, and ``RTCRtpSender`` turns keyframe requests (PLI/FIR) from a viewer
into a flag that only its *encoder* reads.  A forwarding server needs neither:
it wants the encoded frames and wants viewer keyframe requests relayed to the
publisher.  Both are reached per instance, never by patching classes:

* the receiver's private ``__decoder_queue`` (a ``queue.Queue`` fed with
  ``(codec, JitterFrame)`` from ``_handle_rtp_packet`` and drained by the
  decoder thread) is swapped, before ``receive()`` starts that thread, for a
  queue that first shows every frame to the forwarder and only lets through
  the frames it chooses to have decoded;
* the sender's ``_send_keyframe`` is replaced on the instance;
* aioice's module function that lists the host addresses to gather ICE candidates on can be replaced, so the
  demo and the tests offer loopback only (``offer_host_addresses``);
* when ``RTCPeerConnection.close()`` fails half way (it stops at the first
  transceiver an unusable offer left without a transport, with the
  connection still reading "new" and its closing future never resolved),
  ``close_peer_connection`` stops the transports the connection did create
  and finishes its bookkeeping, so the connection reads "closed".

``check_compatible()`` verifies the assumptions and raises
:class:`IncompatibleAiortc` when an aiortc upgrade breaks them;
tests/video/test_aiortc_compat.py runs it so the break is loud.
"""

from __future__ import annotations

import contextlib
import inspect
import queue
from collections.abc import Callable, Sequence
from typing import Any

import aioice.ice
import aiortc
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

AIORTC_TARGET = "1.16"
_QUEUE_ATTR = "_RTCRtpReceiver__decoder_queue"
_THREAD_ATTR = "_RTCRtpReceiver__decoder_thread"
_PC = "_RTCPeerConnection__"  # name-mangling prefix of RTCPeerConnection's private attributes
_PC_FIELDS = ("dtlsTransports", "iceTransports", "isClosed")  # set in __init__
_PC_UPDATES = ("updateIceGatheringState", "updateIceConnectionState", "updateConnectionState")

# Called on the event loop for every complete encoded frame; returns whether the frame should also be decoded.
FrameHandler = Callable[[RTCRtpCodecParameters, JitterFrame], bool]


class IncompatibleAiortc(RuntimeError):
    """aiortc's internals no longer match what the forwarding path relies on."""


class _ForwardingDecoderQueue(queue.Queue[Any]):
    def __init__(self, on_frame: FrameHandler, on_end: Callable[[], None]) -> None:
        super().__init__()
        self._on_frame = on_frame
        self._on_end = on_end

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:  # the receiver is stopping: tell the forwarder, then stop the decoder thread
            self._on_end()
        elif not self._on_frame(*item):
            return
        super().put(item, block, timeout)


def check_compatible() -> None:
    """Raise IncompatibleAiortc unless the receiver/sender internals we use are present."""
    source = inspect.getsource(RTCRtpReceiver._handle_rtp_packet)
    if "self.__decoder_queue.put((codec, encoded_frame))" not in source:
        raise IncompatibleAiortc(f"aiortc {aiortc.__version__}: RTCRtpReceiver no longer queues (codec, frame)")
    init = inspect.getsource(RTCRtpReceiver.__init__)
    if "self.__decoder_queue: queue.Queue = queue.Queue()" not in init:
        raise IncompatibleAiortc(f"aiortc {aiortc.__version__}: RTCRtpReceiver decoder queue changed")
    if not callable(getattr(RTCRtpSender, "_send_keyframe", None)):
        raise IncompatibleAiortc(f"aiortc {aiortc.__version__}: RTCRtpSender._send_keyframe is gone")
    if not callable(getattr(RTCRtpReceiver, "_send_rtcp_pli", None)):
        raise IncompatibleAiortc(f"aiortc {aiortc.__version__}: RTCRtpReceiver._send_rtcp_pli is gone")
    if "get_host_addresses(" not in inspect.getsource(aioice.ice.Connection.gather_candidates):
        raise IncompatibleAiortc("aioice no longer gathers host candidates through ice.get_host_addresses")
    pc_init = inspect.getsource(RTCPeerConnection.__init__)
    missing = [name for name in _PC_FIELDS if f"self.__{name}" not in pc_init]
    missing += [name for name in _PC_UPDATES if not callable(getattr(RTCPeerConnection, _PC + name, None))]
    if missing:
        raise IncompatibleAiortc(f"aiortc {aiortc.__version__}: RTCPeerConnection lost {', '.join(missing)}")


def tap_encoded_frames(receiver: RTCRtpReceiver, on_frame: FrameHandler, on_end: Callable[[], None]) -> None:
    """Route the receiver's encoded frames through ``on_frame``; call before the connection starts."""
    idle = isinstance(getattr(receiver, _QUEUE_ATTR, None), queue.Queue) and getattr(receiver, _THREAD_ATTR, 0) is None
    if not idle:
        raise IncompatibleAiortc("RTCRtpReceiver has no idle decoder queue to tap (already started, or aiortc changed)")
    setattr(receiver, _QUEUE_ATTR, _ForwardingDecoderQueue(on_frame, on_end))


def route_keyframe_requests(sender: RTCRtpSender, on_request: Callable[[], None]) -> None:
    """Send the viewer's PLI/FIR for this sender to ``on_request`` instead of aiortc's unused encoder flag."""
    sender._send_keyframe = on_request  # type: ignore[method-assign]


async def send_pli(receiver: RTCRtpReceiver, media_ssrc: int) -> None:
    await receiver._send_rtcp_pli(media_ssrc)


_aioice_host_addresses = aioice.ice.get_host_addresses


def offer_host_addresses(addresses: Sequence[str]) -> None:
    """Gather ICE host candidates on these addresses only; empty restores aioice's own choice.

    aioice offers the address of every interface *except* 127.0.0.1 and ::1, so two peers on one machine
    reach each other through its public or LAN address. The demo and the tests talk over loopback only, so
    they offer 127.0.0.1. Replaces ``aioice.ice.get_host_addresses``, the module function its connections call
    when gathering (checked by ``check_compatible``).
    """
    chosen = tuple(addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (use_ipv6 if ":" in a else use_ipv4)]

    aioice.ice.get_host_addresses = host_addresses if chosen else _aioice_host_addresses


async def close_peer_connection(pc: RTCPeerConnection) -> None:
    """``pc.close()``; if aiortc fails half way, release what the connection holds, mark it closed, re-raise."""
    try:
        await pc.close()
    except Exception:
        await _finish_close(pc)
        raise


async def _finish_close(pc: RTCPeerConnection) -> None:
    for transceiver in pc.getTransceivers():
        with contextlib.suppress(Exception):
            await transceiver.stop()
    # DTLS before ICE, as close() does; these sets hold every transport the connection created (sockets included).
    for transport in [*getattr(pc, _PC + "dtlsTransports"), *getattr(pc, _PC + "iceTransports")]:
        with contextlib.suppress(Exception):
            await transport.stop()
    closing = getattr(pc, _PC + "isClosed")  # close() set it before failing
    if not closing.done():
        closing.set_result(True)  # a second close() awaits this future: unresolved, it would wait forever
    for update in _PC_UPDATES:  # with the future set, each state reads "closed"
        getattr(pc, _PC + update)()
    pc.remove_all_listeners()
