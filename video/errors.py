"""Errors the WHIP/WHEP resources turn into HTTP statuses (see video.http)."""

from __future__ import annotations


class VideoError(Exception):
    status = 400


class BadOffer(VideoError):
    """The SDP offer is unparsable or offers nothing acceptable."""

    status = 400


class StreamNotFound(VideoError):
    status = 404


class SessionNotFound(VideoError):
    status = 404


class StreamBusy(VideoError):
    """The stream already has a publisher."""

    status = 409


class TooManySessions(VideoError):
    status = 503


class RecordingUnavailable(VideoError):
    """Evidence recording could not start for a new stream (disk full, permissions): try again later."""

    status = 503
