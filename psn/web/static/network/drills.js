// Drills: a trainer (or a network admin) breaks the simulated network on purpose — a cell down, a site down, a slow
// backhaul — with POST /api/v1/net/faults, and clears it again. The target box offers the ids psn's inventory holds
// for the chosen fault (GET /api/v1/net/faults/targets); psn's refusal is shown whole. What was sent from this page
// is listed with a "Clear now" for each inject (psn keeps no fault state: the equipment does).
import { send } from "../console/api.js";
import { el, fill, hhmm } from "../console/util.js";
import { refusal, span } from "./levels.js";

const $ = (id) => document.getElementById(id);
export const FAULTS = { cell_down: "Cell down", site_down: "Site down", backhaul: "Slow backhaul" };

export function createDrills() {
  let targets = { cells: [], sites: [] };
  const sent = []; // {command, at, cleared}, newest first

  const fault = () => $("drill-fault").value;

  function offer() {
    const ids = { cell_down: targets.cells, site_down: targets.sites }[fault()] || [...targets.sites, ...targets.cells];
    fill($("drill-targets"), ids.map((id) => el("option", { value: id })));
    $("drill-target-label").textContent = { cell_down: "Cell", site_down: "Site" }[fault()] || "Cell or site";
    $("drill-capacity-box").hidden = fault() !== "backhaul";
  }

  function error(message) {
    $("drill-error").textContent = message;
    $("drill-error").hidden = !message;
  }

  function describe(c) {
    const left = c.capacity != null ? `${Math.round(c.capacity * 100)} % of its throughput left, ` : "";
    const until = c.duration_s ? `for ${span(c.duration_s)}` : "until cleared";
    return `${FAULTS[c.fault] || c.fault} · ${c.target} — ${left}${until}`;
  }

  function render() {
    $("drills-empty").hidden = sent.length > 0;
    fill($("drills"), sent.map((s) => el("li.drill", {},
      el("b", {}, describe(s.command)),
      el("div.muted", {}, `sent ${hhmm(s.at)} by ${s.by}`, s.cleared ? ` · cleared at ${hhmm(s.cleared)}` : ""),
      s.cleared ? null : el("button.cancel", { type: "button", onclick: (ev) => clear(s, ev.currentTarget) },
        "Clear now"))));
  }

  async function post(command) {
    const r = await send("POST", "/api/v1/net/faults", command);
    if (!r.ok) error(`psn refused the command. ${refusal(r, "the command")}`);
    return r.ok ? r.body : null;
  }

  async function clear(s, button) {
    button.disabled = true;
    const done = await post({ fault: s.command.fault, target: s.command.target, action: "clear" });
    if (!done) return (button.disabled = false);
    s.cleared = done.sent;
    render();
  }

  async function submit(ev) {
    ev.preventDefault();
    const command = { fault: fault(), target: $("drill-target").value.trim(), action: "inject" };
    if (!command.target) return error("Name the cell or site to break.");
    if ($("drill-duration").value) command.duration_s = Number($("drill-duration").value);
    if (command.fault === "backhaul") command.capacity = Number($("drill-capacity").value);
    $("drill-send").disabled = true;
    error("");
    const done = await post(command);
    $("drill-send").disabled = false;
    if (!done) return;
    sent.unshift({ command: done.command, at: done.sent, by: done.sent_by, cleared: null });
    render();
  }

  $("drill-fault").addEventListener("change", offer);
  $("drill-form").addEventListener("submit", submit);
  render();

  return {
    load(body) {
      targets = body;
      offer();
    },
  };
}
