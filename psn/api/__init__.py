"""The web layer: HTTP and WebSocket adapters over the core. Nothing in the core imports it."""

from psn.api.app import create_app

__all__ = ["create_app"]
