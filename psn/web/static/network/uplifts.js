// Priority uplifts: the dialog that asks for one (chosen live units or an incident's units, a reason, a duration)
// and shows psn's refusal in plain words, and the list of those in force, each counting down to the server's
// `until` (on psn's clock: the browser's corrected by the `now` the list came with) with a Cancel. A `net_uplift`
// event that says one ended takes it off the list. Who may not uplift (no QoS manage right) sees the button
// disabled and why.
import { apiJSON, send } from "../console/api.js";
import { el, fill, hhmm, serverNow, syncServerClock } from "../console/util.js";
import { countdown, refusal } from "./levels.js";

const $ = (id) => document.getElementById(id);
const plain = (r) => refusal(r, "the request");

export function createUplifts({ canUplift, onChange }) {
  const active = new Map(); // id -> uplift row
  const links = new Map(); // "agency/unit" -> its latest link report (GET /api/v1/net/links, net_link)
  let units = []; // ids of the live units the caller sees
  let incidents = new Map(); // id -> the open incidents the caller may view, as GET /api/v1/incidents gives them
  const chosen = new Set();
  const dialog = $("uplift");

  function item(u) {
    return el("li.uplift", { dataset: { id: u.id } },
      el("div.uplift-head", {}, el("b", {}, u.id), " ",
        el("span.left", { dataset: { until: u.until } }, ""), el("span.until", {}, ` until ${hhmm(u.until)}`)),
      el("div.uplift-units", {}, u.incident ? `incident ${u.incident}: ` : "", u.units.join(", ")),
      el("ul.uplift-network", {},
        u.units.map((id) => el("li.uplift-unit", { dataset: { unit: id } }, ...applied(id, u)))),
      el("div.muted", {}, `“${u.reason}” · asked by ${u.requested_by} at ${hhmm(u.started)}`),
      canUplift()
        ? el("button.cancel", { type: "button", onclick: (ev) => cancel(u, ev.currentTarget) }, "Cancel uplift")
        : null);
  }

  // What the network says of a unit of uplift `u`: its latest link report since the uplift started (the
  // equipment's `uplifted` and ARP), none since, or nothing when the caller sees no link of the unit.
  function applied(id, u) {
    const k = links.get(id);
    if (!k) return [id];
    if (k.ts < u.started) return [id, " · no link report since it started"];
    if (k.cell == null) return [id, " · out of coverage: no cell serves it"];
    const rate = `ARP ${k.arp}, ${k.ul_mbps < 1 ? k.ul_mbps.toFixed(2) : k.ul_mbps.toFixed(1)} Mbit/s up`;
    return k.uplifted ? [id, el("b.applied", {}, " ✓ uplifted"), `: ${rate}`] : [id, ` · not uplifted yet: ${rate}`];
  }

  function tick() {
    for (const span of document.querySelectorAll("#uplifts .left")) {
      const left = Number(span.dataset.until) - serverNow();
      span.textContent = left > 0 ? `${countdown(left)} left` : "ending…";
      span.classList.toggle("soon", left < 120);
    }
  }

  function render() {
    const list = [...active.values()].sort((a, b) => a.until - b.until);
    $("uplifts-empty").hidden = list.length > 0;
    $("uplifts-count").textContent = String(list.length);
    $("uplifts-count").classList.toggle("none", list.length === 0);
    fill($("uplifts"), list.map(item));
    tick();
    onChange();
  }

  async function cancel(u, button) {
    button.disabled = true;
    const r = await send("DELETE", `/api/v1/net/uplifts/${encodeURIComponent(u.id)}`);
    if (r.ok) return upsert(r.body);
    button.disabled = false;
    $("uplifts-note").textContent = `${u.id} not cancelled. ${plain(r)}`;
  }

  function upsert(u) {
    if (u.state === "active") active.set(u.id, u);
    else if (active.delete(u.id)) {
      $("uplifts-note").textContent = `${u.id} ended (${u.end_reason || u.state}) at ${hhmm(u.ended ?? serverNow())}.`;
    }
    render();
  }

  // The dialog

  function renderUnits() {
    const q = $("uplift-filter").value.trim().toLowerCase();
    const shown = units.filter((id) => id.toLowerCase().includes(q));
    fill($("uplift-units"), shown.length
      ? shown.map((id) => el("li", {}, el("label", {},
        el("input", { type: "checkbox", value: id, checked: chosen.has(id),
          onchange: (ev) => (ev.target.checked ? chosen.add(id) : chosen.delete(id), showChosen()) }), ` ${id}`)))
      : el("li.empty", {}, units.length ? "No unit matches." : "No live unit you may see. Use an incident instead."));
    showChosen();
  }

  // The incident box offers the open incidents (most urgent first) and says which units are on the one named: the
  // uplift takes those on it when psn receives the request.
  function renderIncidents() {
    fill($("uplift-incidents"), [...incidents.values()].map((i) => el("option", { value: i.id },
      [i.type.replace(/_/g, " "), i.place, `${i.units.length} unit${i.units.length === 1 ? "" : "s"}`]
        .filter(Boolean).join(" · "))));
    showIncidentUnits();
  }

  function showIncidentUnits() {
    const i = incidents.get($("uplift-incident").value.trim());
    $("uplift-incident-units").textContent = !i ? ""
      : i.units.length ? `On it now: ${i.units.join(", ")}`
        : "No unit is on it now: assign units to it first (Map & console).";
  }

  function showChosen() {
    $("uplift-chosen").textContent = chosen.size ? `${chosen.size} chosen` : "none chosen";
  }

  function which() {
    return document.querySelector('input[name="which"]:checked').value;
  }

  function error(message) {
    $("uplift-error").textContent = message;
    $("uplift-error").hidden = !message;
  }

  async function open() {
    error("");
    renderUnits(); // the list as last read (what is checked is `chosen`), until the new read comes
    dialog.showModal();
    const [live, open] = await Promise.allSettled([apiJSON("/api/v1/units"), apiJSON("/api/v1/incidents?state=open")]);
    units = live.status === "fulfilled" ? live.value.units.map((u) => u.id).sort() : [];
    incidents = new Map(open.status === "fulfilled" ? open.value.incidents.map((i) => [i.id, i]) : []);
    error([live.status === "rejected" ? `The live units could not be read (${live.reason.message}).` : "",
      open.status === "rejected" ? `The open incidents could not be read (${open.reason.message}).` : ""]
      .filter(Boolean).join(" "));
    renderUnits();
    renderIncidents();
  }

  async function submit(ev) {
    ev.preventDefault();
    const reason = $("uplift-reason").value.trim();
    const body = { reason, duration_s: Number($("uplift-duration").value) };
    if (which() === "units") body.units = [...chosen];
    else body.incident = $("uplift-incident").value.trim();
    if (which() === "units" && !body.units.length) return error("Choose at least one unit.");
    if (which() === "incident" && !body.incident) return error("Name the incident whose units to uplift.");
    if (!reason) return (error("Give a reason: it goes in the audit log."), $("uplift-reason").focus());
    $("uplift-submit").disabled = true;
    const r = await send("POST", "/api/v1/net/uplifts", body);
    $("uplift-submit").disabled = false;
    if (!r.ok) return error(`psn refused the uplift. ${plain(r)}`);
    upsert(r.body);
    chosen.clear();
    renderUnits();
    $("uplift-reason").value = "";
    dialog.close();
    $("uplifts-note").textContent = `${r.body.id} in force for ${r.body.units.length} unit(s).`;
  }

  for (const radio of document.querySelectorAll('input[name="which"]')) {
    radio.addEventListener("change", () => {
      $("uplift-units-box").hidden = which() !== "units";
      $("uplift-incident-box").hidden = which() !== "incident";
    });
  }
  $("uplift-filter").addEventListener("input", renderUnits);
  $("uplift-incident").addEventListener("input", showIncidentUnits);
  $("uplift-open").addEventListener("click", open);
  $("uplift-cancel").addEventListener("click", () => dialog.close());
  $("uplift-form").addEventListener("submit", submit);
  setInterval(tick, 1000);

  return {
    active,
    load(body) {
      syncServerClock(body.now);
      active.clear();
      for (const u of body.uplifts) if (u.state === "active") active.set(u.id, u);
      render();
    },
    upsert,
    // Link reports (a read, or a net_link event): only the lines of the units they name are redrawn (a keyboard
    // user's focus on a Cancel button stays).
    links(rows) {
      for (const k of rows) {
        if ((links.get(k.unit)?.ts ?? -Infinity) > k.ts) continue;
        links.set(k.unit, k);
        for (const u of active.values()) {
          const line = u.units.includes(k.unit) && document.querySelector(`#uplifts li[data-id="${CSS.escape(u.id)}"] `
            + `li[data-unit="${CSS.escape(k.unit)}"]`);
          if (line) fill(line, ...applied(k.unit, u));
        }
      }
    },
    // Who may not ask for uplifts is told why, and the button is off.
    rights(may, why) {
      $("uplift-open").disabled = !may;
      $("uplift-why").textContent = why;
      $("uplift-why").hidden = may;
      render();
    },
  };
}
