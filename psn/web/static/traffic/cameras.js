// Traffic cameras: a map marker with a wedge showing where the camera looks (its bearing), grey while its
// stream is not live, and a list with the last minute's count per direction and per-minute bars.
import { el, fill } from "../console/util.js";
import { bars } from "./chart.js";

const $ = (id) => document.getElementById(id);

// A 60° view wedge pointing up (north), rotated to the bearing; the dot is the camera.
function icon(cam) {
  const html =
    `<svg viewBox="-20 -20 40 40" width="40" height="40" style="transform: rotate(${Number(cam.bearing_deg) || 0}deg)">` +
    '<path class="wedge" d="M0,0 L-10,-17 A20,20 0 0 1 10,-17 Z"/><circle class="dot" r="5"/></svg>';
  return L.divIcon({ html, className: `camera-icon ${cam.live ? "live" : "offline"}`, iconSize: [40, 40] });
}

export function createCameras(map, { onPick }) {
  const cams = new Map(); // id -> row
  const markers = new Map(); // id -> marker

  function place(cam) {
    let m = markers.get(cam.id);
    if (!m) {
      m = L.marker([cam.lat, cam.lon], { pane: "cameras", keyboard: false, title: cam.name });
      m.on("click", () => onPick(cam.id));
      m.addTo(map);
      markers.set(cam.id, m);
    }
    m.setLatLng([cam.lat, cam.lon]);
    m.setIcon(icon(cam));
    m.options.title = cam.name;
  }

  function item(cam) {
    const dirs = cam.directions || {};
    const last = cam.last_minute || {};
    const history = cam.history || [];
    return el(
      `li.camera${cam.live ? "" : ".offline"}`,
      { dataset: { id: cam.id }, onclick: () => map.flyTo([cam.lat, cam.lon], 15) },
      el("div.camera-name", {}, cam.name, el("span.camera-state", {}, cam.live ? "live" : "offline")),
      el("div.camera-counts", {},
        el("span.count-a", {}, `${dirs.a_to_b || "A→B"}: `, el("b", {}, String(last.a_to_b ?? 0))),
        el("span.count-b", {}, `${dirs.b_to_a || "B→A"}: `, el("b", {}, String(last.b_to_a ?? 0))),
        el("span.muted", {}, " last min")),
      history.length
        ? bars(history, { width: 220, label: `${cam.name}: vehicles per minute` })
        : el("p.muted", {}, "No counts yet."),
    );
  }

  function render() {
    const list = [...cams.values()].sort((a, b) => a.name.localeCompare(b.name));
    $("cameras-empty").hidden = list.length > 0;
    fill($("cameras"), list.map(item));
  }

  return {
    cams,
    markers,
    load(body) {
      for (const cam of body.cameras) {
        cams.set(cam.id, cam);
        place(cam);
      }
      render();
    },
    update(cam) {
      cams.set(cam.id, { ...cams.get(cam.id), ...cam });
      place(cams.get(cam.id));
      render();
    },
  };
}
