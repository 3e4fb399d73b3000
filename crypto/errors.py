"""One root for every error this package raises, so callers can catch crypto failures as a family."""

from __future__ import annotations


class CryptoError(Exception):
    """Base of all psn crypto errors; the message says what failed and, where useful, what to do."""
