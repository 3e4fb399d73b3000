// Road segments coloured by congestion level: one canvas renderer for all of them (5,000+ directed edges),
// each polyline kept by edge id and restyled in place when a live event or a history bin changes it. Each
// direction of a two-way road is shifted a few pixels to its own right (Belize drives on the right), so both
// directions show side by side.
import { levelInfo } from "./levels.js";

const OFFSET_PX = 3;

// A polyline drawn `offset` pixels to the right of its direction of travel, at every zoom: the shift is made
// on the projected (pixel) points, so hit-testing follows what is drawn.
const OffsetLine = L.Polyline.extend({
  _projectLatlngs(latlngs, result, bounds) {
    const ring = latlngs.map((ll) => this._map.latLngToLayerPoint(ll));
    const off = this.options.offset;
    const shifted = ring.map((p, i) => {
      const a = ring[Math.max(0, i - 1)];
      const b = ring[Math.min(ring.length - 1, i + 1)];
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const len = Math.hypot(dx, dy) || 1;
      // Screen y grows downwards: the right-hand normal of (dx, dy) is (-dy, dx).
      return L.point(p.x - (dy / len) * off, p.y + (dx / len) * off);
    });
    for (const p of shifted) bounds.extend(p);
    result.push(shifted);
  },
});

function styleOf(props, zoom, highlighted) {
  const level = props.level || "unknown";
  const measured = level !== "unknown";
  const base = zoom >= 12 ? 5 : zoom >= 9 ? 3.5 : 2.5;
  return {
    color: levelInfo(level).color,
    weight: (measured ? base : 1.2) + (highlighted ? 3 : 0),
    opacity: measured ? 0.95 : 0.6,
  };
}

export function createSegmentLayer(map, { onSelect }) {
  const renderer = L.canvas({ pane: "segments", tolerance: L.Browser.mobile ? 10 : 4 });
  const lines = new Map(); // edge -> OffsetLine
  const live = new Map(); // edge -> the newest live properties (kept up to date while history is shown)
  let shown = live; // what is painted: `live` or one history bin
  let highlighted = new Set();

  function paint(edge) {
    const line = lines.get(edge);
    if (!line) return;
    const props = shown.get(edge) || { level: "unknown" };
    line.setStyle(styleOf(props, map.getZoom(), highlighted.has(edge)));
  }

  function addFeature(f) {
    const edge = f.properties.edge;
    const latlngs = f.geometry.coordinates.map(([lon, lat]) => [lat, lon]);
    let line = lines.get(edge);
    if (!line) {
      line = new OffsetLine(latlngs, { renderer, offset: OFFSET_PX, ...styleOf(f.properties, map.getZoom(), false) });
      line.on("click", (ev) => onSelect(edge, ev.latlng));
      line.addTo(map);
      lines.set(edge, line);
    }
  }

  map.on("zoomend", () => {
    for (const edge of lines.keys()) paint(edge);
  });

  return {
    lines,
    live,
    get historic() {
      return shown !== live;
    },
    // A full read of the live picture (`/segments?all=true`): geometry for every edge, and its properties.
    loadLive(collection) {
      for (const f of collection.features) {
        addFeature(f);
        live.set(f.properties.edge, f.properties);
        if (shown === live) paint(f.properties.edge);
      }
    },
    // Changed segments of a `traffic` event (their properties, or whole features: a feature brings its geometry):
    // returns the edges it names that have no geometry here yet.
    update(changed) {
      const missing = [];
      for (const item of changed) {
        const props = item.properties ?? item;
        if (item.geometry) addFeature(item);
        live.set(props.edge, { ...live.get(props.edge), ...props });
        if (!lines.has(props.edge)) missing.push(props.edge);
        else if (shown === live) paint(props.edge);
      }
      return missing;
    },
    // One history bin (`/segments?at=`: measured segments only; the rest had no data then).
    showHistory(collection) {
      for (const f of collection.features) addFeature(f);
      shown = new Map(collection.features.map((f) => [f.properties.edge, f.properties]));
      for (const edge of lines.keys()) paint(edge);
    },
    showLive() {
      shown = live;
      for (const edge of lines.keys()) paint(edge);
    },
    props: (edge) => shown.get(edge),
    highlight(edges) {
      const before = highlighted;
      highlighted = new Set(edges);
      for (const edge of new Set([...before, ...highlighted])) paint(edge);
      for (const edge of highlighted) lines.get(edge)?.bringToFront();
    },
    measured: () => [...shown.values()].filter((p) => p.level && p.level !== "unknown").length,
    style: (edge) => lines.get(edge)?.options,
    // "northbound", "south-westbound", …: the edge's overall direction (first point to last), or null without
    // geometry. Both directions of a road share its name: this tells an operator which one an alert is on.
    heading(edge) {
      const points = lines.get(edge)?.getLatLngs();
      if (!points || points.length < 2) return null;
      const [a, b] = [points[0], points[points.length - 1]];
      const east = (b.lng - a.lng) * Math.cos((((a.lat + b.lat) / 2) * Math.PI) / 180);
      const degrees = (Math.atan2(east, b.lat - a.lat) * 180) / Math.PI;
      return `${COMPASS[Math.round((degrees + 360) / 45) % 8]}bound`;
    },
  };
}

const COMPASS = ["north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"];

// The levels with what they mean: the measured speed as a share of the road's free-flow speed.
export function addLegend(container) {
  const title = document.createElement("span");
  title.className = "legend-title";
  title.textContent = "Speed / free flow";
  container.append(title);
  for (const level of ["free", "slow", "congested", "jammed", "unknown"]) {
    const item = document.createElement("span");
    item.className = `legend-item legend-${level}`;
    const swatch = document.createElement("i");
    swatch.style.background = levelInfo(level).color;
    const range = document.createElement("small");
    range.textContent = levelInfo(level).range;
    item.append(swatch, levelInfo(level).label, range);
    container.append(item);
  }
}
