// Dispatcher video wall: tiles of live feeds watched by WHEP, each with its WebRTC health.
// Needs webrtc.js.  Usage from the main UI:
//   const wall = new PsnVideoWall(document.getElementById("wall"), { base: "", token });
//   wall.open("unit-7", "Unit 7 (police)");   // e.g. when a unit is clicked on the map
"use strict";

class PsnVideoWall {
  constructor(container, { base = "", token = null, degradedLoss = 0.05, degradedFps = 10 } = {}) {
    this.container = container;
    this.base = base;
    this.token = token;
    this.degradedLoss = degradedLoss;
    this.degradedFps = degradedFps;
    this.tiles = new Map();
    container.classList.add("psn-wall");
  }

  async open(stream, label = stream) {
    if (this.tiles.has(stream)) return this.tiles.get(stream);
    const tile = document.createElement("figure");
    tile.className = "psn-tile";
    tile.dataset.stream = stream;
    tile.innerHTML = `<video autoplay muted playsinline></video>
      <figcaption><span class="psn-label"></span><span class="psn-badge" hidden>degraded</span>
      <button class="psn-close" title="Close">×</button><span class="psn-stats">connecting…</span></figcaption>`;
    tile.querySelector(".psn-label").textContent = label;
    tile.querySelector(".psn-close").addEventListener("click", () => this.close(stream));
    this.container.appendChild(tile);
    const entry = { tile, session: null, timer: null, previous: null };
    this.tiles.set(stream, entry);
    try {
      entry.session = await psnWhepView(this.base, stream, tile.querySelector("video"), this.token);
    } catch (error) {
      tile.querySelector(".psn-stats").textContent = String(error.message || error);
      tile.classList.add("psn-failed");
      return entry;
    }
    if (this.tiles.get(stream) !== entry) {
      // Closed while the offer was in flight: end the session the server just created, start no stats.
      await entry.session.stop().catch(() => {});
      return entry;
    }
    entry.timer = setInterval(() => this._stats(entry), 1000);
    return entry;
  }

  async close(stream) {
    const entry = this.tiles.get(stream);
    if (!entry) return;
    this.tiles.delete(stream);
    clearInterval(entry.timer);
    entry.tile.remove();
    if (entry.session) await entry.session.stop().catch(() => {});
  }

  async _stats(entry) {
    const report = await entry.session.pc.getStats();
    let inbound = null;
    let rtt = null;
    report.forEach((s) => {
      if (s.type === "inbound-rtp" && s.kind === "video") inbound = s;
      if (s.type === "candidate-pair" && s.nominated && s.currentRoundTripTime !== undefined) {
        rtt = s.currentRoundTripTime;
      }
    });
    if (!inbound) return;
    const now = { t: inbound.timestamp, bytes: inbound.bytesReceived || 0, frames: inbound.framesDecoded || 0,
      received: inbound.packetsReceived || 0, lost: inbound.packetsLost || 0 };
    const prev = entry.previous;
    entry.previous = now;
    if (!prev || now.t <= prev.t) return;
    const seconds = (now.t - prev.t) / 1000;
    const health = {
      kbps: ((now.bytes - prev.bytes) * 8) / 1000 / seconds,
      fps: (now.frames - prev.frames) / seconds,
      loss: (() => {
        const expected = now.received - prev.received + (now.lost - prev.lost);
        return expected > 0 ? Math.max(0, now.lost - prev.lost) / expected : 0;
      })(),
      rtt,
    };
    const degraded = health.loss > this.degradedLoss || health.fps < this.degradedFps;
    entry.tile.classList.toggle("psn-degraded", degraded);
    entry.tile.querySelector(".psn-badge").hidden = !degraded;
    entry.tile.querySelector(".psn-stats").textContent =
      `${health.kbps.toFixed(0)} kbit/s · ${health.fps.toFixed(0)} fps · loss ${(health.loss * 100).toFixed(1)}%` +
      (rtt === null ? "" : ` · RTT ${(rtt * 1000).toFixed(0)} ms`);
    entry.health = health;
  }
}
