// Shared by the live map (app.js) and the dispatch console: agency colours, clock words, a DOM builder.
// Colours always come with a text label or icon beside them (colour-blind dispatchers).

export const AGENCIES = {
  police: { label: "Police", color: "#1f4e9c" },
  nemo: { label: "NEMO", color: "#e8790c" },
  fire: { label: "Fire", color: "#c62828" },
  ems: { label: "EMS", color: "#2e7d32" },
  bdf: { label: "BDF", color: "#5d6b2f" },
};
const UNKNOWN_COLOR = "#757575";
export const agencyInfo = (a) => AGENCIES[a] || { label: a || "unknown", color: UNKNOWN_COLOR };

export const now = () => Date.now() / 1000;

// psn's clock as the browser reckons it: the browser's own plus the skew measured against a time psn sent
// (`serverNow`, epoch s, e.g. the `now` of GET /api/v1/net/uplifts). A deadline psn set (an uplift's `until`)
// counts down on this: on the browser's clock alone, one 10 min fast showed 10 min too few.
let skew = 0;
export function syncServerClock(serverNow) {
  if (Number.isFinite(serverNow)) skew = serverNow - now();
}
export const serverNow = () => now() + skew;

// "12 s ago", "4 min ago", "2 h ago", "3 d ago": a dispatcher reads the age, not the clock.
export function ago(ts) {
  const s = Math.max(0, Math.round(now() - ts));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

// Local wall-clock time of an epoch second, 24 h (the control room's clock).
export const clock = (ts) => new Date(ts * 1000).toLocaleTimeString([], { hour12: false });

// 24 h wall clock, minutes only: the traffic slider's steps and the charts' axes.
export const hhmm = (ts) =>
  new Date(ts * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });

// "agency/unit" whatever form the server used (some payloads carry the agency apart).
export const unitId = (unit, agency) => (unit.includes("/") || !agency ? unit : `${agency}/${unit}`);

// el("li.item", {dataset: {id: 3}, onclick}, "text", child…): text children are always plain text.
export function el(spec, props = {}, ...children) {
  const [head, ...classes] = spec.split(".");
  const [tag, id] = head.split("#");
  const node = document.createElement(tag);
  if (id) node.id = id;
  if (classes.length) node.className = classes.join(" ");
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "style") for (const [p, x] of Object.entries(v)) node.style.setProperty(p, x);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k in node && typeof v !== "string") node[k] = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  return fill(node, ...children);
}

// Replaces a node's children, leaving out null and false (a part that is not there).
export function fill(node, ...children) {
  const present = children.flat().filter((c) => c != null && c !== false);
  node.replaceChildren(...present.map((c) => (typeof c === "number" ? String(c) : c)));
  return node;
}

// A full re-read (on reconnecting, every minute) races the live events that arrive while it is in flight:
// `reread(state, items, mark)` keeps whatever a live event changed after `mark` and takes the read for the rest.
export function liveSet() {
  const items = new Map();
  const changed = new Map(); // id -> sequence number of its last live change
  let seq = 0;
  return {
    items,
    put(id, value) {
      changed.set(id, ++seq);
      items.set(id, value);
    },
    remove(id) {
      changed.set(id, ++seq);
      return items.delete(id);
    },
    mark: () => seq,
    // `read`: id -> value of everything the server says is there now; `keep(id)`: never dropped (on screen).
    reread(read, mark, keep = () => false) {
      const stale = (id) => (changed.get(id) ?? 0) <= mark;
      for (const id of [...items.keys()]) if (!read.has(id) && stale(id) && !keep(id)) items.delete(id);
      for (const [id, value] of read) if (stale(id)) items.set(id, value);
    },
  };
}

// A coloured dot plus the agency's name: the colour never carries the meaning alone.
export const agencyTag = (agency) =>
  el("span.agency-tag", { style: { "--agency": agencyInfo(agency).color } }, el("i"), agencyInfo(agency).label);
