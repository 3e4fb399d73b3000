// The map's switchable overlays, in one layers control: the road network check and the predicted radio coverage.
import { addCoverageLayer } from "./coverage.js";
import { addRoadCheckLayer } from "./roadcheck.js";

export function addOverlays(map) {
  const control = L.control.layers(null, null, { collapsed: L.Browser.mobile }).addTo(map);
  addRoadCheckLayer(map, control);
  addCoverageLayer(map, control);
}
