// A unit's marker on the live map's canvas: a circle plus heading arrow, "?" for provisional units,
// camera badge, and the callsign when zoomed in. Drawn by hand because Leaflet's canvas CircleMarker has
// no decorations; relies on Leaflet 1.9's renderer internals (_updateCircle, _ctx), pinned by xstatic-leaflet.
const MOVING_MS = 0.5;

// `showCallsigns()`: whether callsigns are drawn now (they depend on zoom and on how many units are in view).
export const unitMarkerClass = (showCallsigns) =>
  L.CircleMarker.extend({
    _updateBounds() {
      const r = 2 * this._radius + 2 + this._clickTolerance(); // circle + arrow
      const labelW = showCallsigns() ? 90 : 0;
      this._pxBounds = L.bounds(this._point.subtract([r, r]), this._point.add([r + labelW, r]));
    },
    _updatePath() {
      const rd = this._renderer;
      if (!rd._drawing || this._empty()) return;
      rd._updateCircle(this);
      drawDecorations(rd._ctx, this._point, this._radius, this.unit, this.options, showCallsigns());
    },
  });

function drawDecorations(ctx, p, r, u, opts, callsign) {
  ctx.save();
  ctx.globalAlpha = opts.opacity;
  ctx.setLineDash([]);
  // A parked unit's reported course is noise: the arrow is for units on the move.
  if (u.heading != null && (u.speed == null || u.speed >= MOVING_MS)) {
    const a = (u.heading * Math.PI) / 180;
    const dx = Math.sin(a);
    const dy = -Math.cos(a);
    const half = r * 0.65;
    const base = [p.x + dx * (r + 1), p.y + dy * (r + 1)];
    ctx.beginPath();
    ctx.moveTo(p.x + dx * (2 * r + 1), p.y + dy * (2 * r + 1));
    ctx.lineTo(base[0] - dy * half, base[1] + dx * half);
    ctx.lineTo(base[0] + dy * half, base[1] - dx * half);
    ctx.closePath();
    ctx.fillStyle = opts.fillColor;
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 1.5;
    ctx.stroke();
    ctx.fill();
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  if (!u.bound) {
    ctx.font = `bold ${Math.round(r * 1.5)}px system-ui, sans-serif`;
    ctx.fillStyle = "#111111";
    ctx.fillText("?", p.x, p.y + 1);
  }
  if (u.video) {
    const x = p.x + r - 1;
    const y = p.y - r - 3;
    ctx.fillStyle = "#111111";
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 1;
    ctx.fillRect(x, y, 8, 6);
    ctx.strokeRect(x, y, 8, 6);
    ctx.beginPath();
    ctx.moveTo(x + 8, y + 3);
    ctx.lineTo(x + 11, y + 0.5);
    ctx.lineTo(x + 11, y + 5.5);
    ctx.closePath();
    ctx.fill();
  }
  if (callsign) {
    ctx.font = "bold 13px system-ui, sans-serif";
    ctx.textAlign = "left";
    ctx.lineWidth = 3;
    ctx.strokeStyle = "#ffffff";
    ctx.fillStyle = "#111111";
    ctx.strokeText(u.unit || u.id, p.x + r + 6, p.y);
    ctx.fillText(u.unit || u.id, p.x + r + 6, p.y);
  }
  ctx.restore();
}
