// "Road network check" overlay: what `psn roads check` reports on the shipped road network and the reviewed
// connectors that close its gaps (road-check.geojson, built by scripts/build_base_layers.py). Off by default;
// the file loads the first time the layer is switched on (overlays.js).
import { text } from "./basemap.js";

const URL = "/static/data/belize/road-check.geojson";
const COLORS = { connector: "#2e7d32", component: "#6a1b9a", gap: "#c62828", dead_end: "#ef6c00" };

export function roadCheckLayer() {
  // Leaflet applies this style to points and lines alike: a finding is a dot, a gap or connector a line.
  const style = (f) => {
    const { kind } = f.properties;
    const color = COLORS[kind] || COLORS.gap;
    const shape = f.geometry.type === "Point"
      ? { radius: 7, color: "#ffffff", weight: 2, fillColor: color, fillOpacity: 0.9 }
      : { color, weight: 4, dashArray: kind === "connector" ? "6 4" : null };
    return { ...shape, className: `road-check road-check-${kind}` };
  };
  const layer = L.geoJSON(null, {
    style,
    pointToLayer: (f, latlng) => L.circleMarker(latlng),
    onEachFeature: (f, l) => {
      const p = f.properties;
      l.bindTooltip(text(`${p.label}: ${p.message}${p.where ? ` (${p.where})` : ""}`));
    },
  });
  return { layer, url: URL, label: "Road network check" };
}
