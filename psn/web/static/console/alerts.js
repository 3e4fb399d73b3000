// Emergencies: `emergency` and `officer_down` alerts become a sticky red banner across the top (unit,
// agency, time, Show, Acknowledge) with a repeating tone until every one is acknowledged, here or on any
// other console (alert_acknowledged). Mute silences the alerts on screen, never a new one. Every other
// alert, geofence crossings and commands no unit acknowledged go to the small event list.
import { send } from "./api.js";
import { agencyInfo, ago, clock, el, liveSet, unitId } from "./util.js";

const $ = (id) => document.getElementById(id);
const URGENT = new Set(["emergency", "officer_down"]);
const TONE_EVERY_MS = 3000;
const MAX_EVENTS = 50;
const TITLE = { emergency: "EMERGENCY", officer_down: "OFFICER DOWN" };

export function createAlerts(ctx) {
  const open = liveSet(); // alert id -> alert (urgent, not acknowledged)
  let muted = false;
  let audio = null;
  let toneTimer = null;

  // Two short high beeps, as a pager: WebAudio, no sound file to fetch.
  function beep() {
    try {
      audio ??= new AudioContext();
      if (audio.state === "suspended") audio.resume();
      for (const start of [0, 0.35]) {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = "square";
        osc.frequency.value = 960;
        gain.gain.setValueAtTime(0.2, audio.currentTime + start);
        gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + start + 0.25);
        osc.connect(gain).connect(audio.destination);
        osc.start(audio.currentTime + start);
        osc.stop(audio.currentTime + start + 0.3);
      }
      ctx.probe.beeps += 1;
    } catch (err) {
      console.warn("alarm tone unavailable", err); // the banner still shows
    }
  }
  function syncTone() {
    const ring = open.items.size > 0 && !muted;
    if (ring && !toneTimer) {
      beep();
      toneTimer = setInterval(beep, TONE_EVERY_MS);
    } else if (!ring && toneTimer) {
      clearInterval(toneTimer);
      toneTimer = null;
    }
    ctx.probe.ringing = ring;
    $("emergency-blocked").hidden = !ring || audio?.state === "running";
    $("emergency-mute").setAttribute("aria-pressed", String(muted));
    $("emergency-mute").textContent = muted ? "Tone muted ✓" : "Mute tone";
  }
  // Browsers start sound only once the user has interacted with the page: the first click or key anywhere
  // unlocks it, and until then an open emergency says that its tone is blocked.
  function unlock() {
    try {
      audio ??= new AudioContext();
      audio.resume().then(syncTone, () => {});
    } catch (err) {
      console.warn("alarm tone unavailable", err);
    }
  }
  for (const kind of ["pointerdown", "keydown"]) document.addEventListener(kind, unlock, { capture: true });
  $("emergency-mute").addEventListener("click", () => {
    muted = !muted;
    syncTone();
  });

  function show(a) {
    const id = unitId(a.unit, a.agency);
    const latlng = ctx.unitLatLng(id) ?? (a.lat != null ? L.latLng(a.lat, a.lon) : null);
    if (ctx.unitLatLng(id)) ctx.goTo(id);
    else if (latlng) ctx.map.setView(latlng, Math.max(ctx.map.getZoom(), 15));
  }
  async function acknowledge(a, button) {
    button.disabled = true;
    const r = await send("POST", `/api/v1/alerts/${encodeURIComponent(a.id)}/ack`);
    button.disabled = false;
    if (r.ok) remove(a.id);
    else button.title = r.error;
  }

  function render() {
    const list = [...open.items.values()].sort((x, y) => y.ts - x.ts);
    $("emergency-list").replaceChildren(...list.map((a) => el("li", { dataset: { alert: a.id } },
      el("b.what", {}, `⚠ ${TITLE[a.type] || a.type}`, a.count > 1 ? ` ×${a.count}` : ""),
      el("span.who", { style: { "--agency": agencyInfo(a.agency).color } },
        `${unitId(a.unit, a.agency).split("/").pop()} · ${agencyInfo(a.agency).label}`),
      el("time", {}, `${clock(a.ts)} (`, el("span", { dataset: { since: a.ts } }, ago(a.ts)), ")"),
      a.note ? el("span.note", {}, a.note) : null,
      el("button.show", { type: "button", onclick: () => ctx.showOnMap(() => show(a)) }, "Show"),
      el("button.ack", { type: "button", onclick: (ev) => acknowledge(a, ev.currentTarget) }, "Acknowledge"))));
    $("emergency").hidden = list.length === 0;
    for (const span of $("emergency").querySelectorAll("[data-since]")) span.textContent = ago(+span.dataset.since);
    syncTone();
  }
  setInterval(() => {
    for (const span of $("emergency").querySelectorAll("[data-since]")) span.textContent = ago(+span.dataset.since);
  }, 1000);

  function remove(id) {
    if (open.remove(id)) render();
  }

  function event(kind, text, onclick) {
    const list = $("event-list");
    list.prepend(el(`li.${kind}`, { dataset: { kind } }, el("time", {}, clock(Date.now() / 1000)), " ",
      onclick ? el("button.link", { type: "button", onclick }, text) : text));
    while (list.children.length > MAX_EVENTS) list.lastChild.remove();
  }

  return {
    put(a) {
      if (!URGENT.has(a.type)) {
        const who = unitId(a.unit, a.agency);
        return event("alert", `${a.type.replaceAll("_", " ")} · ${who}${a.note ? ` · ${a.note}` : ""}`, () => show(a));
      }
      if (a.acknowledged_at || a.open === false) return remove(a.id);
      open.put(a.id, a); // a repeated press updates the same alert (its count, time, position)
      muted = false; // a new emergency, or a repeated one, always sounds
      render();
    },
    acknowledged: (a) => remove(a.id),
    geofence(e) {
      const verb = { enter: "entered", exit: "left" }[e.crossing] || "crossed";
      event("geofence", `${e.unit || "a unit"} ${verb} ${e.name || e.geofence || "a geofence"}`,
        e.lat != null ? () => ctx.map.setView([e.lat, e.lon], Math.max(ctx.map.getZoom(), 14)) : null);
    },
    commandUnacknowledged(c) {
      event("unacknowledged", `⚠ no ack from ${c.unit} (${c.type || "command"}${c.incident ? `, ${c.incident}` : ""})`,
        c.incident ? () => ctx.openIncident(c.incident) : null);
    },
    async load() {
      const mark = open.mark();
      const r = await send("GET", "/api/v1/alerts?open=true");
      if (!r.ok) return;
      // What was acknowledged while this console was away goes; what arrived during the read stays.
      const urgent = r.body.alerts.filter((a) => URGENT.has(a.type) && !a.acknowledged_at);
      open.reread(new Map(urgent.map((a) => [a.id, a])), mark);
      render();
    },
  };
}
