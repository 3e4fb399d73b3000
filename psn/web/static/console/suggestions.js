// Suggested incidents: the traffic service's alerts (a sudden slowdown on a road segment) shown in a strip
// above the incident queue. "Create incident" opens the new-incident form prefilled (a traffic collision at
// the alert's place, a note naming the alert); "Dismiss" hides it on this console only. A cleared alert goes.
import { send } from "./api.js";
import { el } from "./util.js";

const $ = (id) => document.getElementById(id);
const kmh = (v) => `${Math.round(v)}`;

export function createSuggestions(ctx, form) {
  const active = new Map(); // alert id -> alert row, active and not dismissed here
  const dismissed = new Set();

  function draw() {
    $("suggestions").hidden = active.size === 0;
    $("suggestion-list").replaceChildren(...[...active.values()].sort((a, b) => b.raised - a.raised).map((a) =>
      el("li", { dataset: { id: a.id } },
        el("span.what", {}, `Sudden slowdown on ${a.name || `segment ${a.edge}`} `,
          el("span.speeds", {}, `(${kmh(a.speed_kmh)} km/h, usually ${kmh(a.baseline_kmh)})`)),
        el("button.create", { type: "button", onclick: () => create(a) }, "Create incident"),
        el("button.dismiss", { type: "button", onclick: () => dismiss(a.id) }, "Dismiss"))));
  }

  function create(a) {
    form.open({ type: "traffic_collision", lat: a.lat, lon: a.lon, notes: `from traffic alert ${a.id}` });
  }

  function dismiss(id) {
    dismissed.add(id);
    active.delete(id);
    draw();
  }

  function put(a) {
    if (a.state === "active" && !dismissed.has(a.id)) active.set(a.id, a);
    else active.delete(a.id);
    draw();
  }

  return {
    put,
    // After a (re)connect: the alerts raised or cleared meanwhile. Merged, never replacing, so a live event
    // that arrived first is not lost.
    async load() {
      const r = await send("GET", "/api/v1/traffic/alerts");
      if (r.ok && Array.isArray(r.body?.alerts)) for (const a of r.body.alerts) if (ctx.shapes.traffic(a)) put(a);
    },
  };
}
