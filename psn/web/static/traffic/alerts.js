// Traffic alerts, newest first: active ones loud, cleared ones dim, each with where (the road and which way), when
// and speed against its baseline. A click flies the map there; "Acknowledge" (traffic managers only) posts the ack. A new
// active alert flashes the list and beeps once.
import { send } from "../console/api.js";
import { ago, el, fill, hhmm } from "../console/util.js";
import { kmh } from "./levels.js";

const $ = (id) => document.getElementById(id);

function beep() {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    osc.frequency.value = 880;
    osc.connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.15);
    osc.onended = () => ctx.close();
  } catch {
    // No audio (blocked until the operator clicks): the flash still shows.
  }
}

export function createAlerts(map, { canManage, heading }) {
  const alerts = new Map(); // id -> row

  async function ack(id, button) {
    button.disabled = true;
    const r = await send("POST", `/api/v1/traffic/alerts/${encodeURIComponent(id)}/ack`);
    if (r.ok) upsert(r.body);
    else {
      button.disabled = false;
      button.textContent = `Acknowledge (failed: ${r.error})`;
    }
  }

  function item(a) {
    const active = a.state === "active";
    return el(
      `li.alert.${active ? "active" : "cleared"}`,
      { dataset: { id: a.id }, onclick: () => map.flyTo([a.lat, a.lon], 14) },
      el("div.alert-where", {}, a.name || `Segment ${a.edge}`, heading(a.edge) ? ` ${heading(a.edge)}` : "",
        a.from_m > 0 ? ` (from ${(a.from_m / 1000).toFixed(1)} km)` : ""),
      el("div.alert-speed", {}, el("b", {}, kmh(a.speed_kmh)), ` vs usual ${kmh(a.baseline_kmh)}`),
      el("div.alert-when", {},
        `raised ${hhmm(a.raised)} (${ago(a.raised)})`,
        a.cleared ? ` · cleared ${hhmm(a.cleared)}` : "",
        a.acknowledged_by ? ` · ack ${a.acknowledged_by}` : ""),
      canManage() && !a.acknowledged_by
        ? el("button.ack", { type: "button", onclick: (ev) => (ev.stopPropagation(), ack(a.id, ev.currentTarget)) },
          "Acknowledge")
        : null,
    );
  }

  function render() {
    const list = [...alerts.values()].sort((a, b) => b.raised - a.raised);
    $("alerts-empty").hidden = list.length > 0;
    const active = list.filter((a) => a.state === "active").length;
    $("alerts-count").textContent = String(active);
    $("alerts-count").classList.toggle("none", active === 0);
    fill($("alerts"), list.map(item));
  }

  function upsert(a) {
    const isNew = !alerts.has(a.id);
    alerts.set(a.id, a);
    render();
    if (isNew && a.state === "active") {
      const side = $("alerts");
      side.classList.remove("flash");
      void side.offsetWidth; // restart the animation
      side.classList.add("flash");
      beep();
    }
  }

  return {
    alerts,
    load(body) {
      for (const a of body.alerts) alerts.set(a.id, a);
      render();
    },
    upsert,
    render,
  };
}
