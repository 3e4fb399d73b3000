// "Radio coverage" overlay: the LTE coverage classes psn predicts (GET /api/v1/net/coverage, from the coverage map
// `psn sim coverage` makes). Off by default; loaded the first time it is switched on. Where no class is drawn, the
// map predicts no coverage (RSRP below −115 dBm) or makes no claim (outside Belize).
import { getJSON } from "./basemap.js";

const URL = "/api/v1/net/coverage";
const CLASSES = {
  good: ["#2e7d32", "good (RSRP ≥ −95 dBm)"],
  fair: ["#f9a825", "fair (−105 to −95 dBm)"],
  poor: ["#ef6c00", "poor (−115 to −105 dBm)"],
};

export function addCoverageLayer(map, control) {
  const layer = L.geoJSON(null, {
    style: (f) => ({ stroke: false, fillColor: CLASSES[f.properties.class]?.[0] || "#9e9e9e", fillOpacity: 0.35,
      className: `coverage coverage-${f.properties.class}`, interactive: false }),
  });
  let loading = null;
  map.on("overlayadd", (e) => {
    if (e.layer !== layer || loading) return;
    loading = getJSON(URL)
      .then((data) => layer.addData(data))
      .catch((err) => {
        loading = null; // no map on the server (503) or not allowed: try again next time
        console.error(err);
      });
  });
  const legend = Object.values(CLASSES).map(([color, label]) =>
    `<i style="background:${color}"></i>${label}`).join(" ");
  control.addOverlay(layer, `Radio coverage <span class="coverage-legend">${legend}</span>`);
}
