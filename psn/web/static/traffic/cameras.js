// Traffic cameras: a map marker with a wedge showing where the camera looks (its bearing), grey while its
// stream is not live or while it is live but has counted nothing for STALE_S, and a list with the last minute's
// count per direction and per-minute bars. Staleness is re-evaluated on a timer: no event says "nothing happened".
import { bars } from "../chart.js";
import { el, fill } from "../console/util.js";

const $ = (id) => document.getElementById(id);
// Chosen, not measured: a camera on a trunk road that counts nothing for 10 minutes is more likely stuck (frozen
// picture, lens covered, counter behind) than facing an empty road; a quiet road at night reads the same, which is
// why the list says how long rather than "broken".
const STALE_S = 600;
const RECHECK_MS = 30_000;

// "live", "offline" or "stale" and the words for it. `since`: when the camera went live (the server's
// `live_since`; else when the page saw it go live), for one that has no count to date it by.
function state(cam, since, nowS) {
  if (!cam.live) return { kind: "offline", text: "offline" };
  const history = cam.history || [];
  const lastCount = history.length ? history[history.length - 1][0] + 60 : -Infinity; // end of its newest minute
  const idle = nowS - Math.max(lastCount, since ?? -Infinity);
  if (!(idle >= STALE_S)) return { kind: "live", text: "live" };
  return { kind: "stale", text: `no count for ${Math.floor(idle / 60)} min` };
}

// A 60° view wedge pointing up (north), rotated to the bearing; the dot is the camera.
function icon(cam, kind) {
  const html =
    `<svg viewBox="-20 -20 40 40" width="40" height="40" style="transform: rotate(${Number(cam.bearing_deg) || 0}deg)">` +
    '<path class="wedge" d="M0,0 L-10,-17 A20,20 0 0 1 10,-17 Z"/><circle class="dot" r="5"/></svg>';
  return L.divIcon({ html, className: `camera-icon ${kind}`, iconSize: [40, 40] });
}

export function createCameras(map, { onPick }) {
  const cams = new Map(); // id -> row
  const markers = new Map(); // id -> marker
  const liveSince = new Map(); // id -> epoch s the page saw it go live (or first saw it live with no count)
  let shown = ""; // the states last drawn, to redraw only when one changes

  const now = () => Date.now() / 1000;
  const stateOf = (cam) => state(cam, cam.live_since ?? liveSince.get(cam.id), now());
  const byName = () => [...cams.values()].sort((a, b) => a.name.localeCompare(b.name));
  const key = (list, states) => states.map((s, i) => `${list[i].id}:${s.text}`).join("|");

  function place(cam, kind) {
    let m = markers.get(cam.id);
    if (!m) {
      m = L.marker([cam.lat, cam.lon], { pane: "cameras", keyboard: false, title: cam.name });
      m.on("click", () => onPick(cam.id));
      m.addTo(map);
      markers.set(cam.id, m);
    }
    m.setLatLng([cam.lat, cam.lon]);
    m.setIcon(icon(cam, kind));
    m.options.title = cam.name;
  }

  function item(cam, { kind, text }) {
    const dirs = cam.directions || {};
    const last = cam.last_minute || {};
    const history = cam.history || [];
    const hourEnd = Math.floor(now() / 60) * 60 + 60; // the end of the current minute
    const why = kind === "stale" ? "Streaming, but no vehicle counted: the picture or the counter may be stuck" : null;
    return el(
      `li.camera${kind === "live" ? "" : `.${kind}`}`,
      { dataset: { id: cam.id }, onclick: () => map.flyTo([cam.lat, cam.lon], 15) },
      el("div.camera-name", {}, cam.name, el("span.camera-state", { title: why }, text)),
      el("div.camera-counts", {},
        el("span.count-a", {}, `${dirs.a_to_b || "A→B"}: `, el("b", {}, String(last.a_to_b ?? 0))),
        el("span.count-b", {}, `${dirs.b_to_a || "B→A"}: `, el("b", {}, String(last.b_to_a ?? 0))),
        el("span.muted", {}, " last min")),
      history.length
        ? [el("p.muted", {}, `Vehicles per minute, last hour (dark: ${dirs.a_to_b || "A→B"}, light: ${dirs.b_to_a || "B→A"})`),
          bars(history, { width: 260, height: 52, unit: "veh/min", since: hourEnd - 3600, until: hourEnd,
            label: `${cam.name}: vehicles per minute, last hour` })]
        : el("p.muted", {}, "No counts yet."),
    );
  }

  function render() {
    const list = byName();
    const states = list.map(stateOf);
    shown = key(list, states);
    list.forEach((cam, i) => place(cam, states[i].kind));
    $("cameras-empty").hidden = list.length > 0;
    fill($("cameras"), list.map((cam, i) => item(cam, states[i])));
  }

  function noteLive(cam, wasLive) {
    if (!cam.live) liveSince.delete(cam.id);
    else if (!wasLive || !(cam.history || []).length) liveSince.set(cam.id, liveSince.get(cam.id) ?? now());
  }

  // Nothing arrives when a camera stops counting: look again, and redraw only if a state or its minutes changed.
  setInterval(() => {
    const list = byName();
    if (key(list, list.map(stateOf)) !== shown) render();
  }, RECHECK_MS);

  return {
    cams,
    markers,
    load(body) {
      for (const cam of body.cameras) {
        cams.set(cam.id, cam);
        noteLive(cam, true);
      }
      render();
    },
    update(cam) {
      const before = cams.get(cam.id);
      cams.set(cam.id, { ...before, ...cam });
      noteLive(cams.get(cam.id), Boolean(before?.live));
      render();
    },
  };
}
