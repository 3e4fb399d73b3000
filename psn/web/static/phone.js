// PSN officer app (/phone): sign on to a unit, see its assignment on the offline map, acknowledge commands,
// press status and emergency buttons, share the phone's position. Everything the officer sends goes into an
// ordered outbox in localStorage first and is flushed in order to /api/v1/me/outbox whenever the link is up,
// so a press on a dead link is never lost and never overtakes an earlier one. ES module, no build step.
import { loadBaseMap, text } from "./basemap.js";

const KEY = {
  me: "psn.phone.me",
  outbox: "psn.phone.outbox",
  assignment: "psn.phone.assignment",
  pending: "psn.phone.pending", // commands not acknowledged yet
  seen: "psn.phone.seen", // ids of commands already shown (psn resends until acknowledged)
  messages: "psn.phone.messages",
  refused: "psn.phone.refused",
};
const BATCH = 100; // items per request: far below the server's 500 items and 256 KiB
const RETRY_MS = [1000, 2000, 4000, 8000, 15000]; // outbox retries after a failed flush, then every 15 s
const LIVE_RETRY_MS = [500, 1000, 2000, 4000]; // the live feed reconnects at most 4 s after the link is back
const FIX_EVERY_S = 5; // a position is shared every 5 s, or at once after moving 25 m
const FIX_MOVED_M = 25;
const HOLD_MS = 1000; // the emergency button sends after a 1 s hold (a tap asks to confirm instead)
const KEEP = 20; // messages and refusals kept on screen
const STATUS_LABEL = { en_route: "En route", on_scene: "On scene", available: "Available",
  out_of_service: "Out of service" };
const BELIZE = [[15.8, -89.3], [18.6, -87.4]];

const $ = (id) => document.getElementById(id);
const nowS = () => Date.now() / 1000;
const load = (key, fallback) => {
  try {
    return JSON.parse(localStorage.getItem(key)) ?? fallback;
  } catch {
    return fallback;
  }
};
const save = (key, value) => localStorage.setItem(key, JSON.stringify(value));
const signIn = () => location.assign("/login");

// ---------------------------------------------------------------- who I am, which unit I crew
let me = load(KEY.me, {});

function setMe(body) {
  me = body;
  save(KEY.me, me);
  $("who").textContent = me.user ?? "";
  $("unit-line").textContent = me.unit
    ? `Signed on: ${me.unit}${me.state ? ` — ${me.state.replace(/_/g, " ")}` : ""}`
    : "Not signed on";
  if (me.unit && !$("unit-input").value) $("unit-input").value = me.unit.split("/").pop();
  $("sign-off").hidden = !me.unit;
  for (const b of document.querySelectorAll("[data-status]")) b.classList.toggle("current", b.dataset.status === me.state);
}

class Refused extends Error {}

async function request(path, init = {}) {
  const r = await fetch(path, { ...init, headers: { "content-type": "application/json" } });
  if (r.status === 401) signIn();
  return r;
}

async function signOn(unit) {
  const r = await request("/api/v1/me/unit", { method: "PUT", body: JSON.stringify({ unit }) });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) {
    const detail = typeof body.detail === "string" ? body.detail : `the unit name must be 1 to 64 of A-Z a-z 0-9 _ . -`;
    throw new Refused(detail);
  }
  setMe(body);
}

// After a server restart psn has forgotten the shift's crews: the phone signs the same officer on again to the
// unit it kept (another officer signed in on this phone signs on themselves).
async function refreshMe() {
  const r = await request("/api/v1/me");
  if (!r.ok) return;
  const body = await r.json();
  if (!body.unit && me.unit && body.user === me.user) await signOn(me.unit);
  else setMe(body);
}

$("sign-off").addEventListener("click", async () => {
  const r = await request("/api/v1/me/unit", { method: "DELETE" }).catch(() => null);
  if (r?.ok || r?.status === 409) setMe({ ...me, unit: null, state: null, incident: null });
  else $("unit-line").textContent = "No link: try again";
});

$("sign-on").addEventListener("submit", async (e) => {
  e.preventDefault();
  const unit = $("unit-input").value.trim();
  $("unit-line").textContent = `Signing on to ${unit}…`;
  try {
    await signOn(unit);
    flush();
  } catch (err) {
    $("unit-line").textContent = err instanceof Refused ? `Refused: ${err.message}` : "No link: try again";
  }
});

// ---------------------------------------------------------------- the ordered outbox
let outbox = load(KEY.outbox, []);
let flushing = false;
let failures = 0;
let retryTimer = null;

function send(kind, payload, label) {
  outbox.push({ kind, payload, label });
  save(KEY.outbox, outbox);
  renderOutbox();
  flush();
}

function renderOutbox() {
  $("outbox-count").textContent = `${outbox.length} waiting to send`;
  const list = $("refused");
  list.replaceChildren();
  for (const r of load(KEY.refused, [])) {
    const li = document.createElement("li");
    li.append(text(`Refused: ${r.label} — ${r.detail}`));
    list.append(li);
  }
}

function refuse(item, detail) {
  const refused = [{ label: item.label, detail }, ...load(KEY.refused, [])].slice(0, KEEP);
  save(KEY.refused, refused);
}

// Sends the oldest items first, one batch at a time; each answer names every item of its batch in order.
// A refused item is dropped and listed (it would be refused again); a failed link is retried with backoff.
async function flush() {
  if (flushing || !outbox.length) return;
  flushing = true;
  clearTimeout(retryTimer);
  let signedOnAgain = false;
  try {
    while (outbox.length) {
      const batch = outbox.slice(0, BATCH);
      const r = await request("/api/v1/me/outbox", {
        method: "POST",
        body: JSON.stringify(batch.map(({ kind, payload }) => ({ kind, payload }))),
      });
      if (r.status === 409 && me.unit && !signedOnAgain) {
        signedOnAgain = true;
        await signOn(me.unit);
        continue;
      }
      if (r.status >= 500 || r.status === 401 || r.status === 409) throw new Error(`HTTP ${r.status}`);
      const body = await r.json();
      const results = r.ok ? body.results : batch.map(() => ({ ok: false, detail: body.detail ?? `HTTP ${r.status}` }));
      results.forEach((result, i) => result.ok || refuse(batch[i], result.detail));
      outbox = outbox.slice(results.length); // items queued meanwhile stay behind the ones answered
      save(KEY.outbox, outbox);
      renderOutbox();
    }
    failures = 0;
  } catch {
    retryTimer = setTimeout(flush, RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]);
    failures += 1;
  } finally {
    flushing = false;
  }
}

window.addEventListener("online", flush);

// ---------------------------------------------------------------- map, my position, the assignment
const map = L.map("map", { zoomSnap: 0.25, minZoom: 6, maxZoom: 18, attributionControl: false });
map.createPane("labels").style.zIndex = 420;
map.getPane("labels").style.pointerEvents = "none";
map.fitBounds(BELIZE);
const mapReady = loadBaseMap(map).catch((err) => console.warn("base map:", err.message));
const layers = { self: null, target: null, route: null };

function drawSelf(lat, lon) {
  if (!layers.self) {
    layers.self = L.circleMarker([lat, lon], { radius: 9, color: "#fff", weight: 3, fillColor: "#1f4e9c",
      fillOpacity: 1, className: "self" }).addTo(map);
  } else {
    layers.self.setLatLng([lat, lon]);
  }
}

function renderAssignment() {
  const a = load(KEY.assignment, null);
  $("assignment").hidden = !a;
  if (!a) return;
  const what = [a.incident_type, a.priority != null ? `priority ${a.priority}` : null, a.incident].filter(Boolean);
  $("assignment-what").textContent = what.join(" · ");
  $("assignment-where").textContent = [a.address, a.place].filter(Boolean).join(", ");
  $("assignment-notes").textContent = a.notes ?? "";
  for (const layer of [layers.target, layers.route]) layer?.remove();
  layers.target = layers.route = null;
  if (a.lat != null && a.lon != null) {
    layers.target = L.circleMarker([a.lat, a.lon], { radius: 11, color: "#000", weight: 3, fillColor: "#c40000",
      fillOpacity: 1, className: "target" }).addTo(map);
  }
  const route = (a.route ?? []).map(([lon, lat]) => [lat, lon]);
  if (route.length > 1) {
    layers.route = L.polyline(route, { color: "#c40000", weight: 6, opacity: 0.85, className: "route" }).addTo(map);
  }
  const shape = layers.route ?? layers.target;
  if (shape) map.fitBounds(L.latLngBounds(layers.route ? route : [[a.lat, a.lon]]).pad(0.3), { maxZoom: 15 });
}

// ---------------------------------------------------------------- commands, acknowledgements, messages
function summary(cmd) {
  if (cmd.type === "assignment") return `Assignment: ${[cmd.incident_type, cmd.address ?? cmd.place].filter(Boolean).join(", ")}`;
  if (cmd.type === "message") return `Message: ${cmd.text ?? ""}`;
  return `${cmd.type}: ${cmd.note ?? ""}`;
}

function receive(cmd) {
  const seen = load(KEY.seen, []);
  if (!cmd?.id || seen.includes(cmd.id)) return; // a resend of one already shown
  save(KEY.seen, [cmd.id, ...seen].slice(0, 200));
  if (cmd.type === "assignment") save(KEY.assignment, cmd);
  if (cmd.type === "message") save(KEY.messages, [cmd, ...load(KEY.messages, [])].slice(0, KEEP));
  save(KEY.pending, [...load(KEY.pending, []), { id: cmd.id, type: cmd.type, summary: summary(cmd) }]);
  renderAssignment();
  renderCommands();
  navigator.vibrate?.([200, 100, 200]);
}

function acknowledge(id) {
  const pending = load(KEY.pending, []);
  const cmd = pending.find((c) => c.id === id);
  save(KEY.pending, pending.filter((c) => c.id !== id));
  renderCommands();
  send("ack", { ts: nowS(), ref: id, result: "accepted" }, `acknowledge ${cmd?.summary ?? id}`);
}

function renderCommands() {
  const pending = load(KEY.pending, []);
  $("commands").hidden = !pending.length;
  $("command-list").replaceChildren(...pending.map((c) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Acknowledge";
    button.dataset.ack = c.id;
    button.addEventListener("click", () => acknowledge(c.id));
    li.append(text(c.summary), button);
    return li;
  }));
  const messages = load(KEY.messages, []);
  $("messages").hidden = !messages.length;
  $("message-list").replaceChildren(...messages.map((m) => {
    const li = document.createElement("li");
    li.append(text(`${new Date(m.ts * 1000).toLocaleTimeString()} ${m.from ?? ""} ${m.text ?? ""}`));
    return li;
  }));
}

// ---------------------------------------------------------------- status and emergency buttons
for (const button of document.querySelectorAll("[data-status]")) {
  button.addEventListener("click", () => {
    const word = button.dataset.status;
    send("status", { ts: nowS(), status: word }, STATUS_LABEL[word]);
    // The board may still refuse it (on scene before dispatch): the state line follows psn's answer only.
    for (const b of document.querySelectorAll("[data-status]")) b.classList.toggle("pressed", b === button);
  });
}

let lastFix = null; // {ts, lat, lon} of the last position the phone knows

function emergency() {
  $("emergency-confirm").hidden = true;
  const payload = { ts: nowS(), type: "emergency" };
  if (lastFix) Object.assign(payload, { lat: lastFix.lat, lon: lastFix.lon });
  send("alert", payload, "EMERGENCY");
  $("emergency-help").textContent = "Emergency alert queued — dispatch is told as soon as the link allows";
}

let holdTimer = null;
let held = false;
const emergencyButton = $("emergency");
emergencyButton.addEventListener("pointerdown", () => {
  held = false;
  emergencyButton.classList.add("holding");
  holdTimer = setTimeout(() => {
    held = true;
    emergencyButton.classList.remove("holding");
    emergency();
  }, HOLD_MS);
});
for (const end of ["pointerup", "pointerleave", "pointercancel"]) {
  emergencyButton.addEventListener(end, () => {
    clearTimeout(holdTimer);
    emergencyButton.classList.remove("holding");
  });
}
emergencyButton.addEventListener("click", () => {
  if (!held) $("emergency-confirm").hidden = false; // a tap (or Enter) asks first; a 1 s hold already sent
  held = false;
});
$("emergency-yes").addEventListener("click", emergency);
$("emergency-no").addEventListener("click", () => { $("emergency-confirm").hidden = true; });

// ---------------------------------------------------------------- sharing my position
let watch = null;

function metres(a, b) {
  const rad = Math.PI / 180;
  const x = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  return Math.hypot(x, (b.lat - a.lat) * rad) * 6371000;
}

function onPosition(pos) {
  const fix = { ts: pos.timestamp / 1000, lat: pos.coords.latitude, lon: pos.coords.longitude };
  drawSelf(fix.lat, fix.lon);
  const due = !lastFix || fix.ts - lastFix.ts >= FIX_EVERY_S || metres(lastFix, fix) >= FIX_MOVED_M;
  if (!due) return;
  lastFix = fix;
  const payload = { ...fix };
  const c = pos.coords;
  if (c.accuracy != null) payload.accuracy = Math.min(c.accuracy, 100000);
  if (c.speed != null && c.speed >= 0) payload.speed = c.speed;
  if (c.heading != null && !Number.isNaN(c.heading)) payload.heading = c.heading;
  send("telemetry", payload, "position");
  $("share-line").textContent = `Position shared ${new Date().toLocaleTimeString()}`;
}

$("share").addEventListener("click", () => {
  const share = $("share");
  if (watch !== null) {
    navigator.geolocation.clearWatch(watch);
    watch = null;
    share.setAttribute("aria-pressed", "false");
    $("share-line").textContent = "Not sharing my location";
    return;
  }
  if (!navigator.geolocation) {
    $("share-line").textContent = "This browser cannot tell its position";
    return;
  }
  watch = navigator.geolocation.watchPosition(onPosition, (err) => {
    $("share-line").textContent = `No position: ${err.message}`;
  }, { enableHighAccuracy: true, maximumAge: 2000, timeout: 30000 });
  share.setAttribute("aria-pressed", "true");
  $("share-line").textContent = "Waiting for a position…";
});

// ---------------------------------------------------------------- the live feed
let liveFailures = 0;

function setLink(up) {
  $("link").className = `pill ${up ? "live" : "down"}`;
  $("link").textContent = up ? "live ✓" : "offline";
}

function onLive(msg) {
  if (msg.type === "snapshot" || msg.type === "update") {
    const mine = msg.units.find((u) => u.id === me.unit);
    if (mine && watch === null) drawSelf(mine.lat, mine.lon);
  } else if (msg.type === "command" && msg.unit === me.unit) {
    receive(msg.command);
  } else if (msg.type === "unit_status" && msg.entry?.unit === me.unit) {
    setMe({ ...me, state: msg.entry.state, incident: msg.entry.incident });
  }
}

function connectLive() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const sock = new WebSocket(`${proto}://${location.host}/api/v1/live`);
  sock.onopen = () => {
    liveFailures = 0;
    setLink(true);
    refreshMe().catch(() => {}).finally(flush); // the link is back: what waited goes first
  };
  sock.onmessage = (e) => onLive(JSON.parse(e.data));
  sock.onclose = (e) => {
    setLink(false);
    if (e.code === 1008) refreshMe().catch(() => {}); // refused: an expired session signs in again (401)
    setTimeout(connectLive, LIVE_RETRY_MS[Math.min(liveFailures, LIVE_RETRY_MS.length - 1)]);
    liveFailures += 1;
  };
}

// ---------------------------------------------------------------- start
setMe(me);
renderOutbox();
renderCommands();
mapReady.then(renderAssignment);
connectLive();
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/phone/sw.js", { scope: "/phone" })
    .catch((err) => console.warn("service worker:", err.message));
}

// For tests and support staff: what the page holds, without reading its DOM.
window.psnPhone = {
  waiting: () => outbox.length,
  routeLength: () => layers.route?.getLatLngs().length ?? 0,
  selfAt: () => layers.self && layers.self.getLatLng(),
};
