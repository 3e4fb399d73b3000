"""Headless Debian chromium for the browser tests (Playwright drives it; never Playwright's own download)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags chromium keeps trying hosts this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FAKE_CAMERA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]

# Playback time and a 64x48 sample of the picture of the <video> inside `selector` ("" for the first one).
VIDEO_SAMPLE = """(selector) => {
  const video = document.querySelector((selector + " video").trim());
  const canvas = document.createElement("canvas");
  canvas.width = 64; canvas.height = 48;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(video, 0, 0, 64, 48);
  return { t: video.currentTime, w: video.videoWidth, px: Array.from(ctx.getImageData(0, 0, 64, 48).data) };
}"""


@contextlib.contextmanager
def chromium(*extra_args: str) -> Iterator[Browser]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args])
        try:
            yield browser
        finally:
            browser.close()
