// A map's switchable overlays, in one layers control: by default the live map's road network check and predicted
// radio coverage. Each loads its GeoJSON the first time it is switched on (a failed load is tried again the next
// time, and `onError` hears why it failed).
import { getJSON } from "./basemap.js";
import { coverageLayer } from "./coverage.js";
import { roadCheckLayer } from "./roadcheck.js";

export function addOverlays(map, overlays = [roadCheckLayer(), coverageLayer()], onError = console.error) {
  const control = L.control.layers(null, null, { collapsed: L.Browser.mobile }).addTo(map);
  for (const { layer, url, label } of overlays) {
    let loading = null;
    map.on("overlayadd", (e) => {
      if (e.layer !== layer || loading) return;
      loading = getJSON(url)
        .then((data) => layer.addData(data))
        .catch((err) => {
          loading = null;
          onError(err);
        });
    });
    control.addOverlay(layer, label);
  }
  return control;
}
