// The dispatch console beside the live map: the incident queue and details, the new-incident form, the
// emergency banner, messages and response KPIs. One side panel, never a modal: the map stays in view.
// app.js hands over the map and every live event that is not a unit position (`live`), and says when the
// WebSocket (re)connects (`connected`): the console then reloads what it may have missed.
import { createAlerts } from "./alerts.js";
import { send, whoAmI } from "./api.js";
import { createForm } from "./create.js";
import { createDetails } from "./details.js";
import { createGeofences } from "./geofences.js";
import { createQueue } from "./incidents.js";
import { createKpi } from "./kpi.js";
import { createMessages } from "./messages.js";
import { createSuggestions } from "./suggestions.js";
import { unitId } from "./util.js";

const $ = (id) => document.getElementById(id);
const str = (v) => typeof v === "string" && v.length > 0;
const num = (v) => typeof v === "number" && Number.isFinite(v);
const obj = (v) => v != null && typeof v === "object" && !Array.isArray(v);
// The shape of each live event's object (docs/console.md); one that does not fit is dropped and counted,
// so a malformed event can neither break the page nor put a half-drawn incident in the queue.
const SHAPES = {
  incident: (i) => obj(i) && str(i.id) && [1, 2, 3, 4].includes(i.priority) && str(i.type) &&
    ["open", "closed"].includes(i.state) && num(i.opened) && num(i.lat) && num(i.lon) &&
    Array.isArray(i.units) && Array.isArray(i.partners),
  entry: (e) => obj(e) && str(e.unit) && str(e.state),
  command: (c) => obj(c) && str(c.id) && (c.unit == null || str(c.unit)),
  alert: (a) => obj(a) && str(a.id) && str(a.type) && str(a.unit) && num(a.ts),
  event: obj,
  message: (m) => obj(m) && str(m.id) && num(m.ts) && typeof m.text === "string" && obj(m.to),
  traffic: (a) => obj(a) && str(a.id) && ["active", "cleared"].includes(a.state) && num(a.lat) && num(a.lon) &&
    num(a.raised) && num(a.speed_kmh) && num(a.baseline_kmh),
};
const RELOAD_MS = 60_000;
// Narrow screens start with the map; there the console is drawn over the map, so it steps aside to show a
// place (ctx.showOnMap) and while the dispatcher picks a position on the map.
const narrow = matchMedia("(max-width: 700px)");
function fold(collapsed) {
  document.body.classList.toggle("console-collapsed", collapsed);
  $("console-toggle").setAttribute("aria-expanded", String(!collapsed));
}
const VIEWS = ["queue", "incident", "create", "kpi", "messages", "geofences"];

export function startConsole({ map, goTo, unitLatLng }) {
  const bus = new EventTarget();
  const ctx = {
    map,
    goTo,
    unitLatLng,
    me: null,
    shapes: SHAPES,
    incidents: null, // id -> incident JSON (open ones, and the one on screen), kept by incidents.js
    board: new Map(), // "agency/unit" -> {unit, state, incident, since}
    commands: new Map(), // command id -> {id, unit, incident, state, …}
    view: "queue",
    // What tests and a curious operator read from the browser's console: whether the alarm tone is on and
    // how often it sounded, malformed live events dropped.
    probe: (window.psnConsole = { ringing: false, beeps: 0, dropped: 0 }),
    emit: (name, detail) => bus.dispatchEvent(new CustomEvent(name, { detail })),
    on: (name, fn) => bus.addEventListener(name, (ev) => fn(ev.detail)),
    show(view) {
      ctx.view = view;
      for (const v of VIEWS) $(`view-${v}`).hidden = v !== view;
      for (const [v, b] of [["kpi", "kpi-toggle"], ["messages", "messages-toggle"], ["create", "new-incident"],
        ["geofences", "geofences-toggle"]]) {
        $(b).setAttribute("aria-pressed", String(v === view));
      }
      fold(false);
      ctx.emit("view", view);
    },
    openIncident: (id) => details.open(id),
    showOnMap(go) {
      if (narrow.matches) fold(true);
      go();
    },
    unfold: () => fold(false),
    putCommand(c) {
      const prev = ctx.commands.get(c.id) || {};
      ctx.commands.set(c.id, { ...prev, ...c, unit: c.unit ? unitId(c.unit, c.agency) : prev.unit });
      ctx.emit("commands", c);
    },
    putBoard(entry) {
      const id = unitId(entry.unit, entry.agency);
      ctx.board.set(id, { ...entry, unit: id });
      ctx.emit("board", id);
    },
  };

  const queue = createQueue(ctx);
  const details = createDetails(ctx);
  const form = createForm(ctx);
  const alerts = createAlerts(ctx);
  const messages = createMessages(ctx);
  const kpi = createKpi(ctx);
  const geofences = createGeofences(ctx);
  const suggestions = createSuggestions(ctx, form);

  // Live event kinds (docs/console.md): each carries its object under a key named for it (checked against
  // the shape of that name, or of the third entry's name where two kinds share a key).
  const handlers = {
    incident: ["incident", (i) => queue.put(i)],
    unit_status: ["entry", (e) => ctx.putBoard(e)],
    command_ack: ["command", (c) => ctx.putCommand(c)],
    command_unacknowledged: ["command", (c) => {
      ctx.putCommand({ ...c, state: "unacknowledged" });
      alerts.commandUnacknowledged(c);
    }],
    alert: ["alert", (a) => alerts.put(a)],
    alert_acknowledged: ["alert", (a) => alerts.acknowledged(a)],
    geofence: ["event", (e) => alerts.geofence(e)],
    message: ["message", (m) => messages.put(m)],
    traffic_alert: ["alert", (a) => suggestions.put(a), "traffic"],
  };


  async function loadBoard() {
    const r = await send("GET", "/api/v1/board");
    if (r.ok) for (const entry of r.body.units) ctx.putBoard(entry);
  }

  $("new-incident").addEventListener("click", () => form.open());
  $("kpi-toggle").addEventListener("click", () => (ctx.view === "kpi" ? ctx.show("queue") : kpi.open()));
  $("geofences-toggle").addEventListener("click", () =>
    ctx.view === "geofences" ? ctx.show("queue") : geofences.open(),
  );
  $("messages-toggle").addEventListener("click", () =>
    ctx.view === "messages" ? ctx.show("queue") : messages.openDirect(),
  );
  $("console-toggle").addEventListener("click", () => fold(!document.body.classList.contains("console-collapsed")));
  if (narrow.matches) fold(true);
  new ResizeObserver(() => map.invalidateSize()).observe($("console"));

  // N new incident, A assign the top recommendation, Esc back to the queue (or cancel the map pick).
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const typing = ev.target.closest?.("input, textarea, select, [contenteditable]");
    if (ev.key === "Escape") {
      if (!form.cancelPick() && !geofences.cancel()) ctx.show("queue");
      return;
    }
    if (typing) return;
    if (ev.key === "n" || ev.key === "N") {
      ev.preventDefault();
      form.open();
    } else if ((ev.key === "a" || ev.key === "A") && ctx.view === "incident") {
      ev.preventDefault();
      details.assignTop();
    }
  });

  // The queue is read again every minute: whatever a lost live event left behind (a grant that ended while
  // the console was away) is dropped.
  setInterval(() => queue.load().catch((err) => console.warn(err)), RELOAD_MS);

  whoAmI()
    .then((me) => {
      ctx.me = me;
      ctx.emit("me", me);
    })
    .catch((err) => console.warn(err));

  const outside = {
    live(msg) {
      if (!obj(msg) || !Object.hasOwn(handlers, msg.type)) return;
      const [key, handle, shape] = handlers[msg.type];
      if (!SHAPES[shape ?? key](msg[key])) {
        ctx.probe.dropped += 1;
        console.warn(`live ${msg.type}: malformed, dropped`);
        return;
      }
      handle(msg[key]);
    },
    connected() {
      Promise.all([queue.load(), loadBoard(), alerts.load(), geofences.load(), suggestions.load()]).catch((err) => console.warn(err));
    },
  };
  ctx.probe.live = outside.live; // lets a test feed live events the server would never send
  return outside;
}
