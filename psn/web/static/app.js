// PSN live map: offline Belize base map + live units over the /api/v1/live WebSocket.
// ES module, no build step. Units live on one canvas renderer and are updated in place,
// so thousands of markers stay cheap.
import { belizeMap, loadBaseMap, text } from "./basemap.js";
import { hiddenAgencies } from "./filters.js";
import { pollOperatorStats, showSignedIn } from "./header.js";
import { connectLive } from "./live.js";
import { linkRows, liveLink } from "./netlink.js";
import { addOverlays } from "./overlays.js";
import { addUnitSearch } from "./search.js";
import { createTrack } from "./track.js";
import { unitMarkerClass } from "./unitmarker.js";
import { createVideoDock } from "./video.js";
import { apiJSON } from "./console/api.js";
import { startConsole } from "./console/console.js";
import { AGENCIES, agencyInfo, ago, now } from "./console/util.js";

const STALE_S = 120;
const CALLSIGN_ZOOM = 13;

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- map
// Panes keep the order fixed whatever loads first: land < labels < track < units.
const map = belizeMap([["labels", 420], ["track", 430], ["units", 450]]);

loadBaseMap(map).catch((err) => {
  console.error(err);
  $("notice").textContent = `Base map incomplete (${err.message}): units are still shown.`;
  $("notice").hidden = false;
});
addOverlays(map);

// ---------------------------------------------------------------- unit markers
const renderer = L.canvas({ pane: "units", tolerance: L.Browser.mobile ? 10 : 3 });
const MAX_CALLSIGNS = 150; // more callsigns than this in view is a wall of text, not information
const DENSE_UNITS = 400; // beyond this many in view, smaller dots keep the map readable
let showCallsigns = false;
let dense = false;
const wallScreen = matchMedia("(min-width: 1600px)"); // read from across a control room
const baseRadius = () => (dense ? 5 : 7) + (wallScreen.matches ? 2 : 0);
const UnitMarker = unitMarkerClass(() => showCallsigns);

function unitStyle(u, stale, selected) {
  const color = agencyInfo(u.agency).color;
  return {
    renderer,
    bubblingMouseEvents: false, // a click on a unit must not also reach the map (which closes the panel)
    radius: baseRadius() + (selected ? 3 : 0),
    color: selected ? "#000000" : u.bound ? "#ffffff" : color,
    weight: selected ? 3 : 2,
    dashArray: u.bound ? null : "3 3",
    fillColor: color,
    fillOpacity: (u.bound ? 1 : 0.35) * (stale ? 0.45 : 1),
    opacity: stale ? 0.45 : 1,
  };
}

// ---------------------------------------------------------------- unit state
const units = new Map(); // id -> {u, marker, styleKey}
const groups = new Map(); // agency -> L.FeatureGroup (one per agency, so filtering is one call)
const hidden = hiddenAgencies(); // the agency filter, kept across reloads (filters.js)
let selectedId = null;
const hoverTip = L.tooltip({ direction: "top", offset: [0, -10], className: "hover-tip" });

function groupFor(agency) {
  let g = groups.get(agency);
  if (!g) {
    g = L.featureGroup();
    g.on("click", (e) => {
      const u = e.sourceTarget.unit;
      select(u.id);
      if (u.video) openVideo(u.id); // the camera badge promises a picture: show it at once
    });
    // Hover names only where there is a real pointer: on touch screens the tip would never leave.
    if (matchMedia("(hover: hover)").matches) {
      g.on("mouseover", (e) => {
        const m = e.sourceTarget;
        hoverTip.setLatLng(m.getLatLng()).setContent(text(m.unit.id)).addTo(map);
      });
      g.on("mouseout", () => hoverTip.remove());
    }
    groups.set(agency, g);
    if (!hidden.has(agency)) g.addTo(map);
  }
  return g;
}
const isStale = (u) => now() - u.ts > STALE_S;

function restyle(e) {
  const stale = isStale(e.u);
  const selected = e.u.id === selectedId;
  const key = `${e.u.agency}|${e.u.bound}|${stale}|${selected}|${baseRadius()}`;
  if (key !== e.styleKey) {
    e.styleKey = key;
    const style = unitStyle(e.u, stale, selected);
    e.marker.setStyle(style);
    e.marker.setRadius(style.radius);
  }
}

function upsert(u) {
  if (u.lat == null || u.lon == null) return;
  let e = units.get(u.id);
  if (!e) {
    const marker = new UnitMarker([u.lat, u.lon], unitStyle(u, false, false));
    e = { u, marker, styleKey: null };
    marker.unit = u;
    units.set(u.id, e);
    groupFor(u.agency).addLayer(marker);
  } else {
    if (e.u.agency !== u.agency) {
      groupFor(e.u.agency).removeLayer(e.marker);
      groupFor(u.agency).addLayer(e.marker);
    }
    e.u = u;
    e.marker.unit = u;
    e.marker.setLatLng([u.lat, u.lon]); // also redraws heading/badges
    if (u.id === selectedId) unitTrack.extend(u);
  }
  restyle(e);
}

function remove(id) {
  const e = units.get(id);
  if (!e) return;
  groupFor(e.u.agency).removeLayer(e.marker);
  units.delete(id);
  if (id === selectedId) closePanel();
}

function applySnapshot(list) {
  const ids = new Set(list.map((u) => u.id));
  for (const id of [...units.keys()]) if (!ids.has(id)) remove(id);
  for (const u of list) upsert(u);
}

function applyMessage(msg) {
  if (msg.type === "snapshot") {
    applySnapshot(msg.units);
    setStatus("live");
  } else {
    for (const u of msg.units || []) upsert(u);
    for (const id of msg.removed || []) remove(id);
  }
  scheduleRender();
}

// Callsigns and marker size depend on how many units are in view.
function onViewChange() {
  const view = map.getBounds();
  let inView = 0;
  for (const e of units.values()) if (map.hasLayer(e.marker) && view.contains(e.marker.getLatLng())) inView++;
  const callsigns = map.getZoom() >= CALLSIGN_ZOOM && inView <= MAX_CALLSIGNS;
  if (callsigns !== showCallsigns || (inView > DENSE_UNITS) !== dense) {
    showCallsigns = callsigns;
    dense = inView > DENSE_UNITS;
    for (const e of units.values()) {
      e.styleKey = null; // forces setRadius, which also re-measures the label's redraw bounds
      restyle(e);
    }
  }
}
map.on("moveend", onViewChange);

// Staleness changes with time, not with messages.
setInterval(() => units.forEach(restyle), 5000);

// ---------------------------------------------------------------- counters, chips, status
let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    onViewChange();
    renderCounts();
    renderPanel();
  });
}

let live = false;
function setStatus(state, message) {
  live = state === "live";
  const s = $("status");
  s.className = `status ${state}`;
  if (message) s.textContent = message;
  else renderCounts();
}

function renderCounts() {
  const counts = new Map();
  for (const { u } of units.values()) counts.set(u.agency, (counts.get(u.agency) || 0) + 1);
  if (live) {
    const n = units.size;
    $("status").textContent = `${n.toLocaleString()} unit${n === 1 ? "" : "s"} · ${counts.size} agenc${
      counts.size === 1 ? "y" : "ies"
    } · live ✓`;
  }
  const known = [...Object.keys(AGENCIES), ...[...counts.keys()].filter((a) => !AGENCIES[a]).sort()];
  const nav = $("filters");
  for (const agency of known) {
    let chip = nav.querySelector(`[data-agency="${CSS.escape(agency)}"]`);
    if (!chip) chip = nav.appendChild(makeChip(agency));
    chip.querySelector("b").textContent = counts.get(agency) || 0;
  }
}

function makeChip(agency) {
  const info = agencyInfo(agency);
  const chip = document.createElement("label");
  chip.className = "chip";
  chip.dataset.agency = agency;
  chip.style.setProperty("--agency", info.color);
  chip.innerHTML = '<input type="checkbox"><i></i><span></span><b>0</b>';
  chip.querySelector("span").textContent = info.label;
  const box = chip.querySelector("input");
  box.checked = !hidden.has(agency);
  box.addEventListener("change", () => {
    if (box.checked) hidden.delete(agency);
    else hidden.add(agency);
    hidden.save();
    const g = groupFor(agency);
    if (box.checked) g.addTo(map);
    else g.remove();
    scheduleRender();
    if (!box.checked && selectedId && units.get(selectedId)?.u.agency === agency) closePanel();
  });
  return chip;
}

// ---------------------------------------------------------------- details panel and track
const unitTrack = createTrack(map, $("panel-track"), (id) => units.get(id)?.u);

const compass = (deg) => ["N", "NE", "E", "SE", "S", "SW", "W", "NW"][Math.round(deg / 45) % 8];

function select(id) {
  const prev = units.get(selectedId);
  selectedId = id;
  if (prev) restyle(prev);
  const e = units.get(id);
  if (!e) return;
  restyle(e);
  e.marker.bringToFront();
  $("panel").hidden = false;
  renderPanel();
  revealUnit(e.marker.getLatLng());
  unitTrack.load(e.u);
}

// Keep the selected unit clear of the panel (a card on the right, a bottom sheet on phones).
function revealUnit(latlng) {
  const panel = $("panel").getBoundingClientRect();
  const box = map.getContainer().getBoundingClientRect();
  const sheet = panel.width >= box.width - 1;
  map.panInside(latlng, {
    paddingTopLeft: [24, 24],
    paddingBottomRight: sheet ? [24, box.bottom - panel.top + 40] : [box.right - panel.left + 40, 24],
  });
}

function closePanel() {
  const prev = units.get(selectedId);
  selectedId = null;
  if (prev) restyle(prev);
  $("panel").hidden = true;
  unitTrack.clear();
}

function renderPanel() {
  const e = units.get(selectedId);
  if (!e) return;
  const u = e.u;
  const info = agencyInfo(u.agency);
  $("panel").style.setProperty("--agency", info.color);
  $("panel-title").textContent = u.id;
  $("panel-agency").textContent = info.label;
  const flags = [];
  if (!u.bound) flags.push('<span class="flag provisional">provisional: device not yet bound</span>');
  if (isStale(u)) flags.push('<span class="flag stale">stale: no recent fix</span>');
  if (u.video) flags.push('<span class="flag video">camera</span>');
  $("panel-flags").innerHTML = flags.join(" ");
  const fixTime = new Date(u.ts * 1000).toLocaleTimeString([], { hour12: false });
  const rows = [
    ["Status", u.status ?? "—"],
    ["Speed", u.speed == null ? "—" : `${Math.round(u.speed * 3.6)} km/h`],
    ["Heading", u.heading == null ? "—" : `${Math.round(u.heading)}° ${compass(u.heading)}`],
    ["Last fix", `${ago(u.ts)} (${fixTime})`],
    ["Battery", u.battery == null ? "—" : `${Math.round(u.battery)} %`],
    ...linkRows(u.id), // serving cell, RSRP, SINR, uplink, uplifted: as the network reports them
  ];
  const dl = $("panel-fields");
  dl.replaceChildren(
    ...rows.flatMap(([k, v, cls]) => {
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      dt.textContent = k;
      dd.textContent = v;
      if (cls) dt.className = dd.className = cls;
      dd.dataset.field = k.toLowerCase().replace(" ", "-");
      return [dt, dd];
    }),
  );
  $("panel-video").hidden = !u.video;
}
setInterval(() => selectedId && renderPanel(), 1000); // keeps "12 s ago" honest

// Live video column (video.js): units with "video": true get a camera badge and an "Open video" button.
const video = createVideoDock({ api: apiJSON, agencyInfo, onUnit: (id) => goTo(id) });
const openVideo = (unitId) => video.openUnit(unitId);

$("panel-close").addEventListener("click", closePanel);
$("panel-center").addEventListener("click", () => {
  const e = units.get(selectedId);
  if (e) map.setView(e.marker.getLatLng(), Math.max(map.getZoom(), 13));
});
$("panel-video").addEventListener("click", () => selectedId && openVideo(selectedId));
map.on("click", closePanel);
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape") closePanel();
  else if (ev.key === "/" && document.activeElement !== $("search-input")) {
    ev.preventDefault(); // "/" jumps to the unit search, as on many websites
    $("search-input").focus();
  }
});

// ---------------------------------------------------------------- search
function goTo(id) {
  const e = units.get(id);
  if (!e) return;
  const box = $("filters").querySelector(`[data-agency="${CSS.escape(e.u.agency)}"] input`);
  if (box && !box.checked) box.click(); // a found unit must be visible
  map.setView(e.marker.getLatLng(), Math.max(map.getZoom(), 12));
  select(id);
}
addUnitSearch(() => units.keys(), goTo);

// The dispatch console beside the map (console/): incidents, recommendations, alerts, messages, KPIs.
const unitLatLng = (id) => units.get(id)?.marker.getLatLng() ?? null;
const dispatchConsole = startConsole({ map, goTo, unitLatLng });

// ---------------------------------------------------------------- live feed
connectLive({
  onOpen: () => dispatchConsole.connected(), // reloads what the console missed while away
  onMessage(msg) {
    if (liveLink(msg)) return; // a unit's radio link (netlink.js)
    if (msg.type === "snapshot" || msg.type === "update") applyMessage(msg);
    else dispatchConsole.live(msg); // incident, unit_status, command_ack, alert, message, …
  },
  onDown: () => setStatus("down", "reconnecting…"),
});

// While the WebSocket is down (server restarting, or a proxy that blocks WebSockets) poll the
// plain list slowly, so the picture does not freeze; the status still says "reconnecting…".
setInterval(async () => {
  if (live) return;
  try {
    applySnapshot((await apiJSON("/api/v1/units")).units);
    scheduleRender();
  } catch {
    // still offline; the next round will try again
  }
}, 15000);

// ---------------------------------------------------------------- header: who is signed in, operator stats
showSignedIn();
pollOperatorStats();

// For the browser test and for debugging from the console.
window.psnMap = {
  map, openVideo, video, select,
  unit: (id) => units.get(id)?.u ?? null,
  // Page coordinates of a unit's marker, or null if unknown or filtered out.
  unitPoint(id) {
    const e = units.get(id);
    if (!e || !map.hasLayer(e.marker)) return null;
    const p = map.latLngToContainerPoint(e.marker.getLatLng());
    const box = map.getContainer().getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y };
  },
};
