// PSN traffic view: road segments coloured by congestion on the offline Belize basemap, corridors, cameras and
// alerts, all read from /api/v1/traffic and kept current by the live WebSocket's `traffic`, `traffic_alert` and
// `traffic_camera` events. Its state is on `window.trafficState` for the browser tests.
import { belizeMap, loadBaseMap } from "../basemap.js";
import { showSignedIn } from "../header.js";
import { connectLive } from "../live.js";
import { api, whoAmI } from "../console/api.js";
import { createAlerts } from "./alerts.js";
import { createCameras } from "./cameras.js";
import { createCorridors } from "./corridors.js";
import { createDetails } from "./details.js";
import { addLegend, createSegmentLayer } from "./segments.js";
import { createTimeline } from "./timeline.js";

const API = "/api/v1/traffic";
const $ = (id) => document.getElementById(id);

const map = belizeMap([["labels", 420], ["segments", 430], ["cameras", 460]]);
loadBaseMap(map).catch((err) => notice(`Base map incomplete (${err.message}): traffic is still shown.`));
addLegend($("legend"));
showSignedIn();

let rights = {};
const segments = createSegmentLayer(map, { onSelect: (edge) => details.open(edge) });
const details = createDetails(segments);
const corridors = createCorridors(map, segments);
const cameras = createCameras(map, { onPick: (id) => document.querySelector(`#cameras [data-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: "nearest" }) });
const alerts = createAlerts(map, {
  canManage: () => (rights.traffic || []).includes("manage"),
  heading: (edge) => segments.heading(edge),
});
const timeline = createTimeline(segments, { onChange: () => (refreshEmpty(), details.refresh()) });
window.trafficState = { map, segments, corridors, cameras, alerts, details, timeline, loaded: false, events: 0 };

function notice(message) {
  $("notice").textContent = message;
  $("notice").hidden = !message;
}

// "no probe data yet" stays on the map until a segment is measured (live or in the bin shown).
function refreshEmpty() {
  const none = segments.measured() === 0;
  $("legend").dataset.empty = none ? (segments.historic ? "no probe data in this 5 minutes" : "no probe data yet") : "";
}

// One read of everything; a 403 stops here with the access model's reason (the role cannot see traffic).
async function read(path) {
  const r = await api(`${API}${path}`);
  if (r.status === 403) {
    const body = await r.json().catch(() => ({}));
    const err = new Error(body.detail || "forbidden");
    err.denied = true;
    throw err;
  }
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

async function loadAll() {
  const parts = [
    ["/segments?all=true", (b) => segments.loadLive(b)],
    ["/corridors", (b) => corridors.load(b)],
    ["/alerts", (b) => alerts.load(b)],
    ["/cameras", (b) => cameras.load(b)],
  ];
  const results = await Promise.allSettled(parts.map(([path, use]) => read(path).then(use)));
  const denied = results.find((r) => r.status === "rejected" && r.reason.denied);
  if (denied) {
    $("denied").textContent = `Your role cannot see traffic (${denied.reason.message}).`;
    $("denied").hidden = false;
    document.body.classList.add("denied");
    return;
  }
  const failed = results.flatMap((r, i) => (r.status === "rejected" ? [`${parts[i][0]}: ${r.reason.message}`] : []));
  notice(failed.length ? `Could not load ${failed.join("; ")}` : "");
  refreshEmpty();
  details.refresh();
  alerts.render(); // the alerts may have come before the segments that tell their direction
  window.trafficState.loaded = true;
}

let missingTimer = null;
function onMessage(msg) {
  if (msg.type === "traffic") {
    window.trafficState.events++;
    const missing = segments.update(msg.segments || []);
    corridors.update(msg.corridors || [], msg.ts);
    if (!segments.historic) {
      refreshEmpty();
      details.refresh();
    }
    if (missing.length && !missingTimer) {
      // Segments with no geometry here yet (the network grew): one re-read picks them up.
      missingTimer = setTimeout(() => {
        missingTimer = null;
        read("/segments?all=true").then((b) => segments.loadLive(b)).catch((err) => notice(err.message));
      }, 2000);
    }
  } else if (msg.type === "traffic_alert") {
    alerts.upsert(msg.alert);
  } else if (msg.type === "traffic_camera") {
    cameras.update(msg.camera);
  }
}

whoAmI()
  .then((me) => {
    rights = me.rights || {};
    alerts.render();
  })
  .catch((err) => console.warn(err));

connectLive({
  onOpen: () => {
    $("status").textContent = "live ✓";
    $("status").className = "status live";
    loadAll(); // (re)connected: read everything again, events follow from here
  },
  onMessage,
  onDown: () => {
    $("status").textContent = "reconnecting…";
    $("status").className = "status down";
  },
});
