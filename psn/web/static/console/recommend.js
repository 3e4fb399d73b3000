// The recommendation on an incident's details: ranked units by road ETA, the route of the hovered (or
// selected) one on the map, Assign per unit and Assign top (one click, or A), the excluded units folded
// away with their reasons. Assigned commands go into ctx.commands as pending until their ack arrives.
import { send } from "./api.js";
import { STATE_LABEL } from "./incidents.js";
import { agencyTag, el, fill, unitId } from "./util.js";

const TOP = 5;
const REFRESH_MS = 30_000; // units move: ETAs of an incident left open on screen are asked again
const REASONS = {
  wrong_agency: "wrong agency",
  lacks_capability: "lacks capability",
  out_of_service: "out of service",
  assigned_here: "already on this incident",
  assigned_elsewhere: "on another incident",
  no_position: "no position",
  bad_eta: "no ETA",
  unreachable: "no road route",
};
const minutes = (s) => (s < 60 ? "< 1 min" : `${Math.round(s / 60)} min`);

export function createRecommend(ctx, box, incidentId) {
  let ranked = [];
  let selected = null; // unit id whose route stays drawn
  let hovered = null;
  let route = null;
  let gone = false;
  const refused = new Map(); // unit id -> reason of the last refused assignment
  const status = el("p.form-error", { role: "alert" });

  if (!ctx.map.getPane("route")) ctx.map.createPane("route").style.zIndex = 440; // under the unit dots
  function drawRoute() {
    route?.remove();
    route = null;
    const r = ranked.find((x) => x.id === (hovered ?? selected));
    if (!r?.route?.length) return;
    const latlngs = r.route.map(([lon, lat]) => [lat, lon]);
    route = L.layerGroup([
      L.polyline(latlngs, { pane: "route", color: "#ffffff", weight: 9, opacity: 0.9, interactive: false }),
      L.polyline(latlngs, { pane: "route", color: "#6a1b9a", weight: 5, dashArray: "10 6", className: "route",
        interactive: false }),
    ]).addTo(ctx.map);
  }

  function row(r, i) {
    const state = ctx.board.get(r.id)?.state;
    return el(`li.rec${r.id === selected ? ".selected" : ""}`, {
      dataset: { unit: r.id },
      onmouseenter: () => { hovered = r.id; drawRoute(); },
      onmouseleave: () => { hovered = null; drawRoute(); },
      onclick: (ev) => {
        if (ev.target.closest("button")) return;
        selected = selected === r.id ? null : r.id;
        render();
      },
    },
    el("span.rank", {}, `${i + 1}`), agencyTag(r.agency), el("b.unit", {}, r.id.split("/").pop()),
    el("span.eta", { title: `${Math.round(r.eta_s)} s by road` }, minutes(r.eta_s)),
    el("span.ustate", {}, STATE_LABEL[state] || state || ""),
    el("button.assign", { type: "button", onclick: () => assign([r.id]) }, "Assign"),
    refused.has(r.id) ? el("span.refused", {}, `✗ ${refused.get(r.id)}`) : null);
  }

  let body = null;
  function render() {
    if (!body) return;
    const { more = 0, excluded = [] } = body;
    fill(box,
      el("div.line", {}, el("h3", {}, "Recommended units"),
        el("button.primary.assign-top", { type: "button", disabled: !ranked.length, "aria-keyshortcuts": "A",
          onclick: () => ranked.length && assign([ranked[0].id]) }, "Assign top ", el("kbd", {}, "A"))),
      ranked.length ? el("ol.recs", {}, ranked.map(row)) : el("p.muted", {}, "No unit available for this incident."),
      more ? el("p.muted", {}, `+ ${more} more available`) : null,
      status,
      excluded.length ? el("details.excluded", {}, el("summary", {}, `Not recommended (${excluded.length})`),
        el("ul", {}, excluded.map((x) => el("li", { dataset: { unit: unitId(x.unit, x.agency) } },
          el("b", {}, unitId(x.unit, x.agency)), ` — ${REASONS[x.reason] || x.reason}`,
          x.detail ? el("span.muted", {}, ` (${x.detail})`) : null)))) : null,
    );
    drawRoute();
  }

  async function reload() {
    const r = await send("GET", `/api/v1/incidents/${encodeURIComponent(incidentId)}/recommendation?top=${TOP}`);
    if (gone) return;
    if (!r.ok) {
      fill(box, el("h3", {}, "Recommended units"), el("p.form-error", {}, r.error));
      return;
    }
    body = r.body;
    ranked = body.ranked.map((x) => ({ ...x, id: unitId(x.unit, x.agency) }));
    if (selected && !ranked.some((x) => x.id === selected)) selected = null;
    render();
  }

  async function assign(ids) {
    status.textContent = "";
    const r = await send("POST", `/api/v1/incidents/${encodeURIComponent(incidentId)}/assign`, { units: ids });
    if (gone) return;
    if (!r.ok) {
      status.textContent = r.error;
      return;
    }
    for (const a of r.body.assigned || []) {
      const command = typeof a.command === "string" ? { id: a.command } : a.command;
      ctx.putCommand({ state: "pending", sent: Date.now() / 1000, ...command, unit: unitId(a.unit),
        incident: incidentId });
    }
    for (const x of r.body.refused || []) refused.set(unitId(x.unit), x.reason);
    status.textContent = (r.body.refused || []).map((x) => `${x.unit} refused: ${x.reason}`).join("; ");
    await reload();
    ctx.emit("assigned", incidentId);
  }

  reload();
  const timer = setInterval(reload, REFRESH_MS);
  return {
    reload,
    has: (id) => ranked.some((x) => x.id === id),
    assignTop: () => ranked.length && assign([ranked[0].id]),
    destroy() {
      gone = true;
      clearInterval(timer);
      route?.remove();
    },
  };
}
