"""The live map's static files, for the server to mount.

``STATIC_DIR`` is served at ``/static/`` (its ``index.html`` at ``/``) and
``LEAFLET_DIR`` at ``/static/vendor/leaflet/``: Leaflet ships in the
xstatic-leaflet package so the map works without any CDN.
"""

from pathlib import Path

import xstatic.pkg.leaflet

STATIC_DIR: Path = Path(__file__).resolve().parent / "static"
LEAFLET_DIR: Path = Path(xstatic.pkg.leaflet.BASE_DIR)

__all__ = ["LEAFLET_DIR", "STATIC_DIR"]
