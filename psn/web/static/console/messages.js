// Messages: a thread per incident (in its details) and direct messages to an agency or a unit (the
// Messages view). Live `message` events append; what arrives out of sight counts as unread (on the
// incident in the queue, on the Messages button) until the dispatcher looks.
import { send, whoAmI } from "./api.js";
import { AGENCIES, agencyInfo, ago, clock, el } from "./util.js";

const $ = (id) => document.getElementById(id);
const MAX_TEXT = 2000;

const target = (m) => Object.entries(m.to || {})[0] || ["", ""];
const query = ([kind, value]) => `${kind}=${encodeURIComponent(value)}`;

function line(m) {
  const [kind, value] = target(m);
  return el("li.msg", { dataset: { id: m.id } },
    el("div.meta", {}, el("b", { style: { "--agency": agencyInfo(m.from_agency).color } }, m.from),
      kind !== "incident" ? ` → ${kind === "agency" ? agencyInfo(value).label : value}` : "",
      " ", el("time", { title: ago(m.ts) }, clock(m.ts))),
    el("p", {}, m.text));
}

// A list with a box to write in: `to` is {incident: id} or chosen per message by `pickTo`.
function threadBox(container, title, fetchPath, pickTo) {
  const list = el("ol.messages");
  const input = el("textarea", { rows: 2, maxlength: MAX_TEXT, "aria-label": `Message (${title})`,
    placeholder: "Write a message…" });
  const error = el("p.field-error", { dataset: { field: "text" } });
  const seen = new Set();
  async function submit(ev) {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    const to = pickTo();
    if (!to) return;
    const r = await send("POST", "/api/v1/messages", { ...to, text });
    error.textContent = r.ok ? "" : r.error;
    if (!r.ok) return;
    input.value = "";
    append(r.body);
  }
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) submit(ev); // Enter sends, Shift+Enter a new line
  });
  function append(m) {
    if (seen.has(m.id)) return;
    seen.add(m.id);
    list.append(line(m));
    list.scrollTop = list.scrollHeight;
  }
  container.append(el("h3", {}, title), list,
    el("form.send", { onsubmit: submit }, input, el("button", { type: "submit" }, "Send")), error);
  send("GET", fetchPath).then((r) => r.ok && r.body.messages.forEach(append));
  return { append };
}

export function createMessages(ctx) {
  const threads = new Set(); // {matches(m), append(m)} of threads on screen
  const unread = new Map(); // incident id -> count
  let direct = 0;
  let directThread = null;
  const view = $("view-messages");

  function setDirect(n) {
    direct = n;
    $("messages-unread").textContent = n;
    $("messages-unread").hidden = n === 0;
  }

  ctx.messageThread = (container, to) => {
    const box = threadBox(container, "Messages", `/api/v1/messages?${query(Object.entries(to)[0])}`, () => to);
    const entry = { matches: (m) => m.to?.incident === to.incident, append: box.append };
    threads.add(entry);
    unread.delete(to.incident);
    ctx.emit("unread", { incident: to.incident, count: 0 });
    return { destroy: () => threads.delete(entry) };
  };

  async function openDirect() {
    ctx.show("messages");
    setDirect(0);
    if (directThread) return;
    const me = await whoAmI();
    const agency = el("select", { name: "agency", "aria-label": "To agency" },
      Object.keys(AGENCIES).map((a) => el("option", { value: a }, AGENCIES[a].label)));
    agency.value = Object.keys(AGENCIES).find((a) => a !== me.agency);
    const unit = el("input", { name: "unit", placeholder: "or a unit, e.g. police/P-12", "aria-label": "To unit" });
    view.replaceChildren(el("h2#dm-title", {}, "Direct messages"),
      el("div.inline.to", {}, el("span", {}, "To"), agency, unit));
    const box = threadBox(view, "Agency and unit messages", `/api/v1/messages?agency=${me.agency}`,
      () => (unit.value.trim() ? { unit: unit.value.trim() } : { agency: agency.value }));
    directThread = { matches: (m) => !m.to?.incident, append: box.append };
    threads.add(directThread);
  }
  ctx.on("view", (v) => v === "messages" && setDirect(0));

  return {
    openDirect,
    put(m) {
      let shown = false;
      for (const t of threads) {
        if (t.matches(m)) {
          t.append(m);
          shown = ctx.view === (m.to?.incident ? "incident" : "messages");
        }
      }
      if (shown || m.from === ctx.me?.name) return;
      if (m.to?.incident) {
        unread.set(m.to.incident, (unread.get(m.to.incident) || 0) + 1);
        ctx.emit("unread", { incident: m.to.incident, count: unread.get(m.to.incident) });
      } else setDirect(direct + 1);
    },
  };
}
