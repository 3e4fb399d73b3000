// The alarm list: active alarms, most severe first, then the unacknowledged, then the oldest (alarmOrder), each with
// kind, target, count, age and state; a click opens its cell. "Acknowledge" (POST …/ack) only for who may manage
// the network; the history (every alarm, cleared ones too) is read when asked for. New active alarms flash the list.
import { send } from "../console/api.js";
import { ago, el, fill, hhmm } from "../console/util.js";
import { KINDS, alarmOrder } from "./levels.js";

const $ = (id) => document.getElementById(id);

// Ages count on by themselves (the rows are not redrawn: a keyboard user's focus stays where it is).
const age = (ts) => el("span.age", { dataset: { ts } }, ago(ts));
setInterval(() => {
  for (const span of document.querySelectorAll("#side .age")) span.textContent = ago(Number(span.dataset.ts));
}, 5000);

const head = (a) => [
  el("div.alarm-head", {}, el("span.sev", {}, a.severity), el("b", {}, KINDS[a.kind] || a.kind),
    a.count > 1 ? el("span.count", { title: "times raised" }, `×${a.count}`) : null),
  el("div.alarm-target", {}, a.target),
];

// When it was raised and how long ago; an alarm raised again (re-opened or a new onset while unacknowledged: its
// last change) says when it came back, the age an operator acts on, not only that of its first onset.
function when(a) {
  if (a.state === "raised" && a.count > 1 && a.changed > a.raised) {
    return [`raised ${hhmm(a.raised)}, again ${hhmm(a.changed)} (`, age(a.changed), ")"];
  }
  return [`raised ${hhmm(a.raised)} (`, age(a.raised), ")"];
}

export function createAlarms({ canAck, onPick, onChange }) {
  const active = new Map(); // id -> alarm (raised or acknowledged)
  let showHistory = false;

  async function ack(a, button) {
    button.disabled = true;
    const r = await send("POST", `/api/v1/net/alarms/${encodeURIComponent(a.id)}/ack`);
    if (r.ok) upsert(r.body);
    else {
      button.disabled = false;
      button.textContent = `Acknowledge (refused: ${r.error})`;
    }
  }

  function ackButton(a) {
    if (!canAck() || a.state !== "raised") return null;
    return el("button.ack", { type: "button", dataset: { alarm: a.id },
      onclick: (ev) => (ev.stopPropagation(), ack(a, ev.currentTarget)) }, "Acknowledge");
  }

  function item(a) {
    return el(`li.alarm.sev-${a.severity}.${a.state}`,
      { dataset: { id: a.id }, tabIndex: 0, onclick: () => onPick(a),
        // Enter's default would go on to press the panel's close button, which takes the focus.
        onkeydown: (ev) => ev.key === "Enter" && ev.target === ev.currentTarget && (ev.preventDefault(), onPick(a)) },
      head(a),
      el("div.alarm-when", {}, ...when(a),
        a.state === "acknowledged" ? ` · acknowledged by ${a.acknowledged_by}` : " · not acknowledged"),
      a.detail ? el("div.muted", {}, a.detail) : null,
      ackButton(a));
  }

  function sorted() {
    return [...active.values()].sort(alarmOrder);
  }

  function render() {
    const list = sorted();
    $("alarms-empty").hidden = list.length > 0;
    $("alarms-count").textContent = String(list.length);
    $("alarms-count").classList.toggle("none", list.length === 0);
    fill($("alarms"), list.map(item));
    onChange();
  }

  function upsert(a) {
    const isNew = !active.has(a.id) && a.state !== "cleared";
    if (a.state === "cleared") active.delete(a.id);
    else active.set(a.id, a);
    render();
    if (showHistory) loadHistory();
    if (isNew) {
      const box = $("alarms");
      box.classList.remove("flash");
      void box.offsetWidth; // restart the animation
      box.classList.add("flash");
    }
  }

  async function loadHistory() {
    const r = await send("GET", "/api/v1/net/alarms?state=all&limit=200");
    if (!showHistory) return;
    if (!r.ok) return fill($("alarms-history"), el("li.error", {}, `History unavailable: ${r.error}`));
    fill($("alarms-history"), r.body.alarms.length
      ? r.body.alarms.map((a) => el(`li.alarm.history.sev-${a.severity}.${a.state}`, {}, head(a),
        el("div.alarm-when", {}, `${a.state} · raised ${hhmm(a.raised)}, last change ${hhmm(a.changed)} (`,
          age(a.changed), ")")))
      : el("li.empty", {}, "No alarm was ever raised."));
  }

  $("alarm-history").addEventListener("click", (ev) => {
    showHistory = !showHistory;
    ev.currentTarget.setAttribute("aria-pressed", showHistory);
    ev.currentTarget.textContent = showHistory ? "Hide history" : "Show history";
    $("history").hidden = !showHistory;
    if (showHistory) loadHistory();
  });

  return {
    load(body) {
      active.clear();
      for (const a of body.alarms) if (a.state !== "cleared") active.set(a.id, a);
      render();
    },
    upsert,
    render,
    ackButton,
    worst: () => sorted()[0] || null,
    of: (target) => sorted().filter((a) => a.target === target),
    byTarget() {
      const by = new Map();
      for (const a of sorted()) by.set(a.target, [...(by.get(a.target) || []), a]);
      return by;
    },
  };
}
