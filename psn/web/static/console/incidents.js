// The incident queue: open incidents most urgent first, then oldest first, each with its priority chip,
// type, place, age and units; and their markers on the map (labelled diamonds, unlike the unit dots).
import { send } from "./api.js";
import { ago, el, liveSet, unitId } from "./util.js";

const $ = (id) => document.getElementById(id);

export const TYPES = {
  traffic_collision: "Traffic collision",
  assault: "Assault",
  robbery: "Robbery",
  fire: "Fire",
  flood: "Flood",
  medical: "Medical",
  missing_person: "Missing person",
  hurricane_shelter: "Hurricane shelter",
  other: "Other",
};
export const typeLabel = (t) => TYPES[t] || t;
export const STATE_LABEL = {
  available: "available",
  dispatched: "dispatched",
  en_route: "en route",
  on_scene: "on scene",
  out_of_service: "out of service",
};

// P1 red … P4 grey; the "P1" text and the shape's mark carry the meaning without the colour.
const MARK = { 1: "‼", 2: "!", 3: "•", 4: "·" };
export const priorityChip = (p) => el(`span.prio.p${p}`, { title: `Priority ${p}` }, `${MARK[p] || ""} P${p}`);
export const incidentUnits = (inc) =>
  (inc.units || []).map((u) => (typeof u === "string" ? u : unitId(u.unit, u.agency)));
export const where = (inc) =>
  [inc.place, inc.address].filter(Boolean).join(" · ") || `${inc.lat?.toFixed(4)}, ${inc.lon?.toFixed(4)}`;
const byUrgency = (a, b) => a.priority - b.priority || a.opened - b.opened || (a.id < b.id ? -1 : 1);

export function createQueue(ctx) {
  const markers = new Map(); // id -> L.marker
  const unread = new Map(); // incident id -> messages not yet seen
  const tracked = liveSet();
  ctx.incidents = tracked.items;
  ctx.map.createPane("incidents").style.zIndex = 620; // above the unit canvas (450), below tooltips

  function markerFor(inc) {
    let m = markers.get(inc.id);
    const icon = L.divIcon({
      className: `inc-marker p${inc.priority}${ctx.view === "incident" && ctx.openId === inc.id ? " selected" : ""}`,
      html: `<i></i><b>P${inc.priority}</b>`,
      iconSize: [34, 34],
      iconAnchor: [17, 17],
    });
    if (!m) {
      m = L.marker([inc.lat, inc.lon], { icon, title: "", keyboard: false, riseOnHover: true, pane: "incidents" });
      m.on("click", () => ctx.openIncident(m.incidentId));
      m.incidentId = inc.id;
      markers.set(inc.id, m.addTo(ctx.map));
    } else {
      m.setLatLng([inc.lat, inc.lon]).setIcon(icon);
    }
    m.getElement()?.setAttribute("aria-label", `Incident ${inc.id}`);
    m.getElement()?.setAttribute("data-incident", inc.id);
    m.getElement()?.setAttribute("title", `${inc.id} · P${inc.priority} ${typeLabel(inc.type)}`);
  }

  function unitsLine(inc) {
    const ids = incidentUnits(inc);
    if (!ids.length) return el("span.units.none", {}, "⚠ no unit yet");
    return el(
      "span.units",
      {},
      ids.map((id) => `${id.split("/").pop()} ${STATE_LABEL[ctx.board.get(id)?.state] || ""}`.trim()).join(", "),
    );
  }

  function item(inc) {
    const n = unread.get(inc.id) || 0;
    return el(
      `li.inc.p${inc.priority}`,
      { dataset: { id: inc.id } },
      el(
        "button",
        { type: "button", onclick: () => ctx.openIncident(inc.id) },
        el("span.line", {}, priorityChip(inc.priority), el("b.type", {}, typeLabel(inc.type)),
          el("span.age", { dataset: { since: inc.opened } }, ago(inc.opened))),
        el("span.where", {}, where(inc)),
        el("span.line", {}, unitsLine(inc), n ? el("span.unread", { title: `${n} unread` }, `✉ ${n}`) : null),
      ),
    );
  }

  function render() {
    const open = [...ctx.incidents.values()].filter((i) => i.state === "open").sort(byUrgency);
    $("queue").replaceChildren(...open.map(item));
    $("queue-empty").hidden = open.length > 0;
    $("console-count").textContent = open.length;
    for (const [id, m] of markers) {
      if (!open.some((i) => i.id === id)) {
        m.remove();
        markers.delete(id);
      }
    }
    for (const inc of open) if (inc.lat != null && inc.lon != null) markerFor(inc);
  }

  // Ages tick without re-rendering anything else.
  setInterval(() => {
    for (const span of document.querySelectorAll("#console [data-since]")) span.textContent = ago(+span.dataset.since);
  }, 1000);

  let queued = false;
  const schedule = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      render();
    });
  };
  ctx.on("board", schedule);
  ctx.on("view", schedule);
  ctx.on("unread", ({ incident, count }) => {
    if (count) unread.set(incident, count);
    else unread.delete(incident);
    schedule();
  });

  return {
    put(inc) {
      const prev = ctx.incidents.get(inc.id);
      tracked.put(inc.id, prev?.timeline && !inc.timeline ? { ...inc, timeline: prev.timeline } : inc);
      ctx.emit("incident", inc);
      schedule();
    },
    async load() {
      const mark = tracked.mark();
      const r = await send("GET", "/api/v1/incidents?state=open");
      if (!r.ok) return;
      tracked.reread(new Map(r.body.incidents.map((i) => [i.id, i])), mark, (id) => id === ctx.openId);
      schedule();
    },
  };
}
