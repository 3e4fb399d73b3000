// "Radio coverage" overlay: the LTE coverage classes psn predicts (GET /api/v1/net/coverage, from the coverage map
// `psn sim coverage` makes). Off by default; loaded the first time it is switched on (overlays.js). Where no class
// is drawn, the map predicts no coverage (RSRP below −115 dBm) or makes no claim (outside Belize).

const URL = "/api/v1/net/coverage";
const CLASSES = {
  good: ["#2e7d32", "good (RSRP ≥ −95 dBm)"],
  fair: ["#f9a825", "fair (−105 to −95 dBm)"],
  poor: ["#ef6c00", "poor (−115 to −105 dBm)"],
};

export function coverageLayer() {
  const layer = L.geoJSON(null, {
    style: (f) => ({ stroke: false, fillColor: CLASSES[f.properties.class]?.[0] || "#9e9e9e", fillOpacity: 0.35,
      className: `coverage coverage-${f.properties.class}`, interactive: false }),
  });
  const legend = Object.values(CLASSES).map(([color, label]) =>
    `<i style="background:${color}"></i>${label}`).join(" ");
  return { layer, url: URL, label: `Radio coverage <span class="coverage-legend">${legend}</span>` };
}
