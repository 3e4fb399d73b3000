// The map's switchable overlays, in one layers control: the road network check and the predicted radio coverage.
// Each loads its GeoJSON the first time it is switched on (a failed load is tried again the next time).
import { getJSON } from "./basemap.js";
import { coverageLayer } from "./coverage.js";
import { roadCheckLayer } from "./roadcheck.js";

export function addOverlays(map) {
  const control = L.control.layers(null, null, { collapsed: L.Browser.mobile }).addTo(map);
  for (const { layer, url, label } of [roadCheckLayer(), coverageLayer()]) {
    let loading = null;
    map.on("overlayadd", (e) => {
      if (e.layer !== layer || loading) return;
      loading = getJSON(url)
        .then((data) => layer.addData(data))
        .catch((err) => {
          loading = null;
          console.error(err);
        });
    });
    control.addOverlay(layer, label);
  }
}
