// The dispatch console beside the live map: the incident queue and details, the new-incident form, the
// emergency banner, messages and response KPIs. One side panel, never a modal: the map stays in view.
// app.js hands over the map and every live event that is not a unit position (`live`), and says when the
// WebSocket (re)connects (`connected`): the console then reloads what it may have missed.
import { createAlerts } from "./alerts.js";
import { send, whoAmI } from "./api.js";
import { createForm } from "./create.js";
import { createDetails } from "./details.js";
import { createQueue } from "./incidents.js";
import { createKpi } from "./kpi.js";
import { createMessages } from "./messages.js";
import { unitId } from "./util.js";

const $ = (id) => document.getElementById(id);
const VIEWS = ["queue", "incident", "create", "kpi", "messages"];

export function startConsole({ map, goTo, unitLatLng }) {
  const bus = new EventTarget();
  const ctx = {
    map,
    goTo,
    unitLatLng,
    me: null,
    incidents: new Map(), // id -> incident JSON (open ones, and the one on screen)
    board: new Map(), // "agency/unit" -> {unit, state, incident, since}
    commands: new Map(), // command id -> {id, unit, incident, state, …}
    view: "queue",
    emit: (name, detail) => bus.dispatchEvent(new CustomEvent(name, { detail })),
    on: (name, fn) => bus.addEventListener(name, (ev) => fn(ev.detail)),
    show(view) {
      ctx.view = view;
      for (const v of VIEWS) $(`view-${v}`).hidden = v !== view;
      for (const [v, b] of [["kpi", "kpi-toggle"], ["messages", "messages-toggle"], ["create", "new-incident"]]) {
        $(b).setAttribute("aria-pressed", String(v === view));
      }
      document.body.classList.remove("console-collapsed");
      ctx.emit("view", view);
    },
    openIncident: (id) => details.open(id),
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

  // Live event kinds (docs/console.md): each carries its object under a key named for it.
  const handlers = {
    incident: (m) => queue.put(m.incident),
    unit_status: (m) => ctx.putBoard(m.entry),
    command_ack: (m) => ctx.putCommand(m.command),
    command_unacknowledged: (m) => {
      ctx.putCommand({ ...m.command, state: "unacknowledged" });
      alerts.commandUnacknowledged(m.command);
    },
    alert: (m) => alerts.put(m.alert),
    alert_acknowledged: (m) => alerts.acknowledged(m.alert),
    geofence: (m) => alerts.geofence(m.event),
    message: (m) => messages.put(m.message),
  };

  async function loadBoard() {
    const r = await send("GET", "/api/v1/board");
    if (r.ok) for (const entry of r.body.units) ctx.putBoard(entry);
  }

  $("new-incident").addEventListener("click", () => form.open());
  $("kpi-toggle").addEventListener("click", () => (ctx.view === "kpi" ? ctx.show("queue") : kpi.open()));
  $("messages-toggle").addEventListener("click", () =>
    ctx.view === "messages" ? ctx.show("queue") : messages.openDirect(),
  );
  $("console-toggle").addEventListener("click", () => {
    const collapsed = document.body.classList.toggle("console-collapsed");
    $("console-toggle").setAttribute("aria-expanded", String(!collapsed));
  });
  // Narrow screens start with the map; the button in the bar opens the console.
  if (matchMedia("(max-width: 700px)").matches) document.body.classList.add("console-collapsed");
  new ResizeObserver(() => map.invalidateSize()).observe($("console"));

  // N new incident, A assign the top recommendation, Esc back to the queue (or cancel the map pick).
  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const typing = ev.target.closest?.("input, textarea, select, [contenteditable]");
    if (ev.key === "Escape") {
      if (!form.cancelPick()) ctx.show("queue");
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

  whoAmI()
    .then((me) => {
      ctx.me = me;
      ctx.emit("me", me);
    })
    .catch((err) => console.warn(err));

  return {
    live(msg) {
      const handle = handlers[msg.type];
      if (!handle) return;
      try {
        handle(msg);
      } catch (err) {
        console.error(`live ${msg.type}`, err); // one odd event must not stop the next ones
      }
    },
    connected() {
      Promise.all([queue.load(), loadBoard(), alerts.load()]).catch((err) => console.warn(err));
    },
  };
}
