// One incident's details in the side panel: where and what, priority, units and the ack state of their
// commands, the recommendation (recommend.js), partners, the message thread (messages.js), the timeline,
// and closing or reopening it. Parts re-render on live changes; what the dispatcher is typing survives.
import { send } from "./api.js";
import { incidentUnits, priorityChip, STATE_LABEL, typeLabel, where } from "./incidents.js";
import { createRadio } from "./radio.js";
import { createRecommend } from "./recommend.js";
import { AGENCIES, agencyTag, ago, clock, el, fill } from "./util.js";

const $ = (id) => document.getElementById(id);
const ACK = {
  pending: ["…", "awaiting ack"],
  acknowledged: ["✓", "acknowledged"],
  done: ["✓", "done"],
  rejected: ["✗", "rejected"],
  unacknowledged: ["⚠", "no ack"],
};

export function createDetails(ctx) {
  const view = $("view-incident");
  let parts = null; // the open incident's re-renderable parts
  let recommend = null;
  let thread = null;
  let radio = null;
  const incident = () => ctx.incidents.get(ctx.openId);

  // The newest command of this incident to each unit.
  function latestCommands() {
    const out = new Map();
    for (const c of ctx.commands.values()) {
      if (c.incident !== ctx.openId || !c.unit) continue;
      const prev = out.get(c.unit);
      if (!prev || (c.sent ?? 0) >= (prev.sent ?? 0)) out.set(c.unit, c);
    }
    return out;
  }

  function renderHead(inc) {
    fill(parts.head,
      el("div.line", {}, priorityChip(inc.priority), el("h2", {}, typeLabel(inc.type)),
        el("span.state", {}, inc.state === "open" ? "open" : "✔ closed")),
      el("p.id", {}, `${inc.id} · `, agencyTag(inc.owner), ` · opened ${clock(inc.opened)} (`,
        el("span", { dataset: { since: inc.opened } }, ago(inc.opened)), ")"),
      el("p.where", {}, where(inc),
        el("button.small", { type: "button",
          onclick: () => ctx.showOnMap(() => ctx.map.setView([inc.lat, inc.lon], 14)) }, "Centre")),
      el("p.notes", {}, inc.notes || ""),
    );
    const canEdit = inc.state === "open";
    fill(parts.priority,
      el("span.label", {}, "Priority"),
      ...[1, 2, 3, 4].map((p) =>
        el(`button.prio-btn.p${p}`, {
          type: "button", disabled: !canEdit, "aria-pressed": String(p === inc.priority),
          onclick: () => p !== inc.priority && act("PATCH", "", { priority: p }),
        }, `P${p}`)),
    );
  }

  function renderUnits(inc) {
    const commands = latestCommands();
    const ids = new Set([...incidentUnits(inc), ...commands.keys()]);
    fill(parts.units,
      el("h3", {}, `Units (${ids.size})`),
      ids.size
        ? el("ul.unit-list", {}, [...ids].map((id) => {
          const state = ctx.board.get(id)?.state;
          const c = commands.get(id);
          const [icon, word] = ACK[c?.state] || ["", ""];
          return el("li", { dataset: { unit: id } },
            agencyTag(id.split("/")[0]), el("b", {}, id.split("/").pop()),
            el("span.ustate", {}, STATE_LABEL[state] || state || "—"),
            c ? el(`span.ack.${c.state}`, { dataset: { ack: c.state }, title: c.note || "" }, `${icon} ${word}`) : null,
            el("button.small", { type: "button", title: "Show on map",
              onclick: () => ctx.showOnMap(() => ctx.goTo(id)) }, "Show"));
        }))
        : el("p.muted", {}, "No unit assigned yet."),
    );
  }

  function renderPartners(inc) {
    const mine = ctx.me?.agency === inc.owner && inc.state === "open";
    const others = Object.keys(AGENCIES).filter((a) => a !== inc.owner && !inc.partners.includes(a));
    const pick = el("select", { "aria-label": "Agency to add" },
      others.map((a) => el("option", { value: a }, AGENCIES[a].label)));
    fill(parts.partners,
      el("h3", {}, "Partners"),
      el("ul.tags", {}, inc.partners.length ? inc.partners.map((a) => el("li", {}, agencyTag(a),
        mine ? el("button.small", { type: "button", "aria-label": `Remove partner ${a}`,
          onclick: () => act("DELETE", `/partners/${a}`) }, "×") : null)) : el("li.muted", {}, "none")),
      mine && others.length ? el("div.inline", {}, pick,
        el("button", { type: "button", onclick: () => act("PUT", `/partners/${pick.value}`) }, "Add partner")) : null,
    );
  }

  function renderTimeline(inc) {
    const rows = [...(inc.timeline || [])].reverse();
    fill(parts.timeline,
      el("summary", {}, `Timeline (${rows.length})`),
      el("ol.timeline", {}, rows.map((t) => el("li", {},
        el("time", { title: ago(t.ts) }, clock(t.ts)), el("b", {}, t.what.replaceAll("_", " ")),
        el("span", {}, [t.actor, summary(t.details)].filter(Boolean).join(" · "))))),
    );
  }

  function renderClose(inc) {
    const input = el("input", { name: inc.state === "open" ? "disposition" : "reason", maxlength: 500,
      placeholder: inc.state === "open" ? "Disposition (e.g. resolved, false alarm)" : "Reason to reopen" });
    const go = inc.state === "open"
      ? () => act("POST", "/close", { disposition: input.value.trim() }, error)
      : () => act("POST", "/reopen", { reason: input.value.trim() }, error);
    const error = el("p.field-error", { dataset: { field: input.name } });
    fill(parts.close,
      el("h3", {}, inc.state === "open" ? "Close incident" : "Reopen incident"),
      el("div.inline", {}, input, el(`button${inc.state === "open" ? ".danger" : ""}`, { type: "button", onclick: go },
        inc.state === "open" ? "Close" : "Reopen")),
      error,
    );
  }

  function render() {
    const inc = incident();
    if (!parts || !inc) return;
    view.style.setProperty("--prio", `var(--p${inc.priority})`);
    renderHead(inc);
    radio.show(inc);
    renderUnits(inc);
    renderPartners(inc);
    renderTimeline(inc);
    if (parts.close.dataset.state !== inc.state) {
      parts.close.dataset.state = inc.state;
      renderClose(inc);
    }
  }

  // PATCH/PUT/DELETE/POST on the open incident; the answer is the new incident JSON.
  async function act(method, suffix, body, slot = parts.error) {
    const id = ctx.openId;
    const r = await send(method, `/api/v1/incidents/${encodeURIComponent(id)}${suffix}`, body);
    slot.textContent = r.ok ? "" : r.error;
    if (r.ok) await refresh(id);
  }

  async function refresh(id) {
    const r = await send("GET", `/api/v1/incidents/${encodeURIComponent(id)}`);
    if (!r.ok) {
      if (parts && ctx.openId === id) parts.error.textContent = r.error;
      return;
    }
    ctx.incidents.set(id, r.body);
    if (ctx.openId === id) {
      render();
      recommend?.reload();
    }
    ctx.emit("board", null); // the queue re-renders with the change too
  }

  async function loadCommands(id) {
    const r = await send("GET", `/api/v1/commands?incident=${encodeURIComponent(id)}`);
    if (r.ok) for (const c of r.body.commands) ctx.putCommand(c);
  }

  // A live change of the open incident carries no timeline: fetch the whole one, at most every 300 ms.
  let refreshTimer = null;
  ctx.on("incident", (inc) => {
    if (inc.id !== ctx.openId || refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      refresh(inc.id);
    }, 300);
  });
  ctx.on("board", (id) => {
    if (!parts || ctx.view !== "incident" || !incident()) return;
    renderUnits(incident());
    if (id && (incidentUnits(incident()).includes(id) || recommend?.has(id))) recommend?.reload();
  });
  ctx.on("assigned", (id) => id === ctx.openId && refresh(id));
  ctx.on("commands", () => parts && incident() && renderUnits(incident()));
  function close() {
    recommend?.destroy();
    thread?.destroy();
    recommend = thread = radio = parts = null;
    ctx.openId = null;
  }
  ctx.on("view", (v) => v !== "incident" && close());

  return {
    async open(id) {
      if (!ctx.incidents.has(id)) {
        const r = await send("GET", `/api/v1/incidents/${encodeURIComponent(id)}`);
        if (!r.ok) return;
        ctx.incidents.set(id, r.body);
      }
      close();
      ctx.show("incident");
      ctx.openId = id;
      parts = {
        back: el("button.back", { type: "button", onclick: () => ctx.show("queue") }, "← Queue ", el("kbd", {}, "Esc")),
        head: el("header.inc-head"),
        priority: el("div.priority-edit"),
        radio: el("section.radio"),
        error: el("p.form-error", { role: "alert" }),
        units: el("section.units"),
        recommend: el("section.recommend"),
        partners: el("section.partners"),
        thread: el("section.thread"),
        timeline: el("details.timeline"),
        close: el("section.close"),
      };
      fill(view, ...Object.values(parts));
      view.dataset.incident = id;
      radio = createRadio(parts.radio);
      render();
      const inc = incident();
      if (inc?.lat != null) ctx.map.panTo([inc.lat, inc.lon]);
      recommend = createRecommend(ctx, parts.recommend, id);
      thread = ctx.messageThread(parts.thread, { incident: id });
      ctx.emit("board", null);
      await Promise.all([refresh(id), loadCommands(id)]);
    },
    assignTop: () => recommend?.assignTop(),
  };
}

const summary = (details) =>
  Object.entries(details || {})
    .filter(([, v]) => v != null && v !== "")
    .map(([k, v]) => `${k.replaceAll("_", " ")}: ${Array.isArray(v) ? v.join(", ") : v}`)
    .join("; ");
