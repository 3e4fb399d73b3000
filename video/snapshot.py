"""Decoded pictures off the forwarding path: snapshots and the analytics frame tap.

Forwarding never decodes.  A publisher's video is decoded (once per stream, in
aiortc's decoder thread) only as far as somebody needs pictures:

* always its keyframes, which keeps a recent picture for snapshots;
* every frame while a frame-tap subscriber exists (a P-frame decodes only if
  every frame since the last keyframe was decoded), handed to subscribers at
  no more than their requested rate.

A snapshot request finding only a stale picture asks the publisher for a
keyframe and waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import av
import cv2
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

FrameCallback = Callable[[av.VideoFrame], None]


@dataclass(eq=False)
class Subscription:
    callback: FrameCallback
    max_fps: float
    last_delivered: float = float("-inf")
    _tap: FrameTap | None = field(default=None, repr=False)

    def close(self) -> None:
        if self._tap is not None:
            self._tap.unsubscribe(self)
            self._tap = None


class FrameTap:
    def __init__(self, request_keyframe: Callable[[], None], clock: Callable[[], float] = time.monotonic) -> None:
        self._request_keyframe = request_keyframe
        self._clock = clock
        self._subscriptions: list[Subscription] = []
        self._chain_intact = False
        self._latest: tuple[av.VideoFrame, float] | None = None
        self._fresh = asyncio.Event()
        self.decoded = 0

    def wants_decode(self, keyframe: bool) -> bool:
        """Called for each encoded video frame: should the decoder thread get it?"""
        decode = keyframe or (bool(self._subscriptions) and self._chain_intact)
        self._chain_intact = decode
        return decode

    def subscribe(self, callback: FrameCallback, max_fps: float = 1.0) -> Subscription:
        subscription = Subscription(callback, max_fps, _tap=self)
        self._subscriptions.append(subscription)
        if not self._chain_intact:
            self._request_keyframe()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)

    def deliver(self, frame: av.VideoFrame) -> None:
        now = self._clock()
        self.decoded += 1
        self._latest = (frame, now)
        self._fresh.set()
        self._fresh = asyncio.Event()
        for subscription in list(self._subscriptions):
            if now - subscription.last_delivered >= 1.0 / subscription.max_fps:
                subscription.last_delivered = now
                subscription.callback(frame)

    async def run(self, decoded: MediaStreamTrack) -> None:
        """Consume the receiver's decoded track until it ends."""
        try:
            while True:
                frame = await decoded.recv()
                if isinstance(frame, av.VideoFrame):
                    self.deliver(frame)
        except MediaStreamError:
            pass

    async def latest(self, max_age: float = 2.0, timeout: float = 3.0) -> av.VideoFrame:
        """A picture at most ``max_age`` old if one comes within ``timeout``, else the newest; LookupError if none."""
        if self._latest is not None and self._clock() - self._latest[1] <= max_age:
            return self._latest[0]
        self._request_keyframe()
        fresh = self._fresh
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(fresh.wait(), timeout)
        if self._latest is None:
            raise LookupError("no picture decoded yet")
        return self._latest[0]


def encode_jpeg(frame: av.VideoFrame, quality: int = 80) -> bytes:
    ok, jpeg = cv2.imencode(".jpg", frame.to_ndarray(format="bgr24"), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return bytes(jpeg)
