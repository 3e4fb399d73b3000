// PSN network view: cells on the offline Belize basemap coloured by load and alarm, a cell's KPIs and charts, the
// alarm list, priority uplifts, devices and drills, read from /api/v1/net and kept current by the live WebSocket's
// `net_kpi`, `net_alarm`, `net_uplift` and `net_link` events. Each part is read only if /auth/me's rights say the
// role may see it; a refusal names the reason. Its state is on `window.netState` for the browser tests.
import { belizeMap, loadBaseMap } from "../basemap.js";
import { api, whoAmI } from "../console/api.js";
import { el, fill, now } from "../console/util.js";
import { coverageLayer } from "../coverage.js";
import { showSignedIn } from "../header.js";
import { connectLive } from "../live.js";
import { addOverlays } from "../overlays.js";
import { createAlarms } from "./alarms.js";
import { addLegend, createCells } from "./cells.js";
import { createDevices } from "./devices.js";
import { createDrills } from "./drills.js";
import { KINDS, span } from "./levels.js";
import { createPanel } from "./panel.js";
import { createUplifts } from "./uplifts.js";

const NET = "/api/v1/net";
const $ = (id) => document.getElementById(id);

const map = belizeMap([["labels", 420], ["cells", 450]]);
loadBaseMap(map).catch((err) => notice(`Base map incomplete (${err.message}): the network is still shown.`));
// Top left, under the zoom buttons: the cell panel takes the map's right side.
addOverlays(map, [coverageLayer()], (err) => notice(err.message.endsWith("503")
  ? "No coverage overlay: psn has no coverage map (its setting coverage_file; `psn sim coverage` makes one)."
  : `Coverage overlay unavailable: ${err.message}`)).setPosition("topleft");
addLegend($("legend"));
showSignedIn();

let rights = {};
let national = false; // a network admin's device and QoS rights hold for every agency (psn.access NATIONAL)
const may = (resource, action = "view") => (rights[resource] || []).includes(action);
const inventory = new Map(); // cell id -> its inventory row (tilt, band, …)
const cells = createCells(map, { onSelect: (id) => panel.open(id) });
const alarms = createAlarms({
  canAck: () => may("network", "manage"),
  onPick: (a) => pick(a),
  onChange: () => {
    cells.setAlarms(alarms.byTarget());
    panel.refresh();
    summary();
  },
});
const panel = createPanel({ cells, inventory: () => inventory, alarmsOf: (id) => alarms.of(id), onAck: (a) => alarms.ackButton(a) });
const uplifts = createUplifts({ canUplift: () => may("qos", "manage"), onChange: () => {} });
const devices = createDevices();
const drills = createDrills();
window.netState = { map, cells, alarms, uplifts, panel, loaded: false, events: 0 };

function notice(message) {
  $("notice").textContent = message;
  $("notice").hidden = !message;
}

// An alarm's cell opens (a unit's alarm has no cell: the list shows it, the map cannot).
function pick(a) {
  if (!cells.row(a.target)) return;
  cells.flyTo(a.target);
  panel.open(a.target);
}

function summary() {
  const all = [...cells.cells.values()].map((c) => c.row);
  const worst = alarms.worst();
  $("worst").hidden = !worst;
  if (worst) $("worst").textContent = `Worst: ${worst.severity} · ${KINDS[worst.kind] || worst.kind} · ${worst.target}`;
  $("summary").hidden = !may("network");
  if (!all.length) {
    fill($("summary"), "No cell known yet: import the radio plan (psn net import-plan) or wait for the equipment's KPIs.");
    return;
  }
  const up = all.filter((r) => cells.level(r.id) !== "silent" && cells.level(r.id) !== "unknown").length;
  const silent = cells.silentOnes();
  const unknown = all.length - up - silent.length;
  fill($("summary"), el("b", {}, `${all.length} cells`), `: ${up} reporting`,
    unknown ? ` · ${unknown} never reported` : "",
    silent.length ? [" · ", el("b.silent", {}, `${silent.length} silent`), ": ",
      ...silent.slice(0, 4).map((r) => el("button.chip", { type: "button", onclick: () => (cells.flyTo(r.id), panel.open(r.id)) },
        `${r.id} (${r.kpi ? `no report for ${span(now() - r.kpi.ts)}` : "no report"})`))] : "");
}
setInterval(() => (summary(), panel.refresh()), 1000);

// One read; a 403 comes back as {denied: reason}.
async function read(path) {
  const r = await api(`${NET}${path}`);
  const body = await r.json().catch(() => ({}));
  if (r.status === 403) return { denied: body.detail || "forbidden" };
  if (!r.ok) throw new Error(`${path}: ${body.detail || `HTTP ${r.status}`}`);
  return body;
}

// Which parts the role may see, by /auth/me's rights (the API decides again on each read).
function parts() {
  const network = may("network");
  return [
    network && ["/cells", (b) => cells.load(b)],
    network && ["/inventory/cells", (b) => b.cells.forEach((c) => inventory.set(c.id, c))],
    network && ["/alarms", (b) => alarms.load(b)],
    (network || may("qos")) && ["/uplifts", (b) => uplifts.load(b)],
    may("qos") && may("unit") && ["/links", (b) => uplifts.links(b.links)],
    may("device") && ["/inventory/devices", (b) => devices.load(b, national ? "(every agency)" : "(your agency's)")],
    may("simulation", "manage") && ["/faults/targets", (b) => drills.load(b)],
  ].filter(Boolean);
}

function showTabs() {
  const shown = { alarms: may("network"), uplifts: may("network") || may("qos"), devices: may("device"),
    drills: may("simulation", "manage") };
  for (const [name, on] of Object.entries(shown)) $(`tab-${name}`).hidden = !on;
  const first = Object.keys(shown).find((n) => shown[n]);
  if (first) selectTab(first);
  uplifts.rights(may("qos", "manage"), may("qos", "manage") ? "" : "Your role cannot request uplifts: a dispatcher or "
    + "an agency admin asks for them for their agency's units (network admins see every uplift).");
  $("legend").hidden = !may("network");
  $("summary").hidden = !may("network");
  if (!may("network") && (shown.uplifts || shown.drills)) {
    $("no-network").textContent = "Your role does not see the network's cells and alarms (network operators and "
      + `agency admins do). You can ${shown.uplifts ? "request and cancel priority uplifts for your agency's units"
        : "run drills: break the simulated network and watch the operations centre respond"}.`;
    $("no-network").hidden = false;
  }
  return Object.values(shown).some(Boolean);
}

function selectTab(name) {
  for (const tab of document.querySelectorAll("#tabs [role=tab]")) {
    const on = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", on);
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !on;
  }
}
for (const tab of document.querySelectorAll("#tabs [role=tab]")) {
  tab.addEventListener("click", () => selectTab(tab.id.slice(4)));
  tab.addEventListener("keydown", (ev) => {
    if (ev.key !== "ArrowRight" && ev.key !== "ArrowLeft") return;
    const tabs = [...document.querySelectorAll("#tabs [role=tab]:not([hidden])")];
    const next = tabs[(tabs.indexOf(tab) + (ev.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    selectTab(next.id.slice(4));
    next.focus();
  });
}

function deny(reason) {
  $("denied").textContent = `The network view is not open to you: ${reason}. Network operators, agency admins, `
    + "dispatchers and trainers use it.";
  $("denied").hidden = false;
  document.body.classList.add("denied");
}

$("worst").addEventListener("click", () => {
  const worst = alarms.worst();
  if (!worst) return;
  selectTab("alarms");
  pick(worst);
  document.querySelector(`#alarms [data-id="${CSS.escape(worst.id)}"]`)?.scrollIntoView({ block: "nearest" });
});

async function loadAll() {
  const wanted = parts();
  if (!wanted.length) {
    // No right at all: ask once so the refusal carries the access model's own reason.
    const r = await read("/cells").catch((err) => ({ denied: err.message }));
    deny(r.denied || "no role of yours may view the network, its QoS or devices");
    return;
  }
  const results = await Promise.allSettled(wanted.map(([path, use]) => read(path).then((b) => {
    if (b.denied) throw new Error(`${path}: not allowed (${b.denied})`);
    use(b);
  })));
  const failed = results.flatMap((r) => (r.status === "rejected" ? [r.reason.message] : []));
  notice(failed.length ? `Could not load ${failed.join("; ")}` : "");
  cells.setAlarms(alarms.byTarget());
  summary();
  panel.refresh();
  window.netState.loaded = true;
}

function onMessage(msg) {
  if (msg.type === "net_kpi") {
    window.netState.events++;
    cells.kpi(msg.cell, msg.kpi);
    if (panel.cell === msg.cell) panel.refresh();
  } else if (msg.type === "net_alarm") {
    alarms.upsert(msg.alarm);
  } else if (msg.type === "net_uplift") {
    uplifts.upsert(msg.uplift);
  } else if (msg.type === "net_link") {
    uplifts.links([msg.link]);
  }
}

const started = whoAmI().then((me) => {
  rights = me.rights || {};
  national = (me.roles || []).includes("network_admin");
  return showTabs();
});

connectLive({
  onOpen: async () => {
    $("status").textContent = "live ✓";
    $("status").className = "status live";
    await started.catch((err) => notice(`Who you are could not be read: ${err.message}`));
    loadAll(); // (re)connected: read everything again, events follow from here
  },
  onMessage,
  onDown: () => {
    $("status").textContent = "reconnecting…";
    $("status").className = "status down";
  },
});
