// Response KPIs (/api/v1/kpi/response): median minutes of call → dispatch, dispatch → en route and
// en route → on scene per agency as a plain SVG bar chart (no library), and tables by priority and by
// district. Colours are Okabe–Ito (safe for colour-blind readers) and every bar carries its value.
import { send } from "./api.js";
import { agencyInfo, el, fill } from "./util.js";

const $ = (id) => document.getElementById(id);
const STAGES = [
  ["call_to_dispatch", "call → dispatch", "#E69F00"],
  ["dispatch_to_en_route", "dispatch → en route", "#56B4E9"],
  ["en_route_to_on_scene", "en route → on scene", "#009E73"],
];
const TABLE_STAGES = [...STAGES.map(([k, label]) => [k, label]), ["call_to_on_scene", "call → on scene"]];
const PERIODS = [["24 h", 86400], ["7 days", 7 * 86400], ["30 days", 30 * 86400]];
const SVG = "http://www.w3.org/2000/svg";
const mins = (s) => (s == null ? "—" : (s / 60).toFixed(1));

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text != null) node.textContent = text;
  return node;
}

function chart(byAgency) {
  const agencies = Object.keys(byAgency).sort();
  const W = 340;
  const H = 190;
  const pad = { left: 34, bottom: 34, top: 16 };
  const values = agencies.flatMap((a) => STAGES.map(([k]) => byAgency[a][k]?.median_s ?? 0));
  const top = Math.max(60, ...values) / 60;
  const groupW = (W - pad.left) / Math.max(1, agencies.length);
  const barW = Math.min(26, (groupW - 10) / STAGES.length);
  const y = (m) => H - pad.bottom - (m / top) * (H - pad.bottom - pad.top);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", class: "kpi-chart",
    "aria-label": "Median response stage times by agency, minutes" });
  for (const t of [0, top / 2, top]) {
    root.append(svg("line", { x1: pad.left, x2: W, y1: y(t), y2: y(t), class: "grid" }),
      svg("text", { x: pad.left - 4, y: y(t) + 4, "text-anchor": "end", class: "axis" }, t.toFixed(t < 10 ? 1 : 0)));
  }
  agencies.forEach((a, i) => {
    const x0 = pad.left + i * groupW + (groupW - barW * STAGES.length) / 2;
    STAGES.forEach(([k, label, color], j) => {
      const s = byAgency[a][k];
      if (!s) return;
      const m = s.median_s / 60;
      const x = x0 + j * barW;
      const bar = svg("rect", { x, y: y(m), width: barW - 2, height: Math.max(1, y(0) - y(m)), fill: color,
        "data-agency": a, "data-stage": k });
      bar.append(svg("title", {}, `${agencyInfo(a).label}, ${label}: median ${mins(s.median_s)} min (n=${s.count})`));
      root.append(bar, svg("text", { x: x + (barW - 2) / 2, y: y(m) - 3, "text-anchor": "middle", class: "value" },
        m.toFixed(1)));
    });
    root.append(svg("text", { x: pad.left + (i + 0.5) * groupW, y: H - pad.bottom + 16, "text-anchor": "middle",
      class: "label" }, agencyInfo(a).label));
  });
  root.append(svg("text", { x: 2, y: 10, class: "axis" }, "min"));
  return root;
}

function table(caption, groups, name = (g) => g) {
  const keys = Object.keys(groups).sort();
  return el("table.kpi", {}, el("caption", {}, caption),
    el("thead", {}, el("tr", {}, el("th", {}, ""), TABLE_STAGES.map(([, label]) => el("th", {}, label)))),
    el("tbody", {}, keys.length ? keys.map((g) => el("tr", { dataset: { group: g } }, el("th", {}, name(g)),
      TABLE_STAGES.map(([k]) => {
        const s = groups[g][k];
        return el("td", { title: s ? `90th percentile ${mins(s.p90_s)} min, n=${s.count}` : "" },
          s ? `${mins(s.median_s)} (${s.count})` : "—");
      }))) : el("tr", {}, el("td", { colspan: TABLE_STAGES.length + 1 }, "No completed stages yet."))));
}

export function createKpi(ctx) {
  const view = $("view-kpi");
  let period = PERIODS[1][1];

  async function load() {
    const until = Math.floor(Date.now() / 1000);
    const r = await send("GET", `/api/v1/kpi/response?since=${until - period}&until=${until}`);
    if (ctx.view !== "kpi") return;
    const body = r.ok ? r.body : null;
    const charted = body && Object.keys(body.by_agency || {}).length > 0;
    fill(view,
      el("h2#kpi-title", {}, "Response times"),
      el("div.inline.periods", {}, PERIODS.map(([label, s]) => el("button", { type: "button",
        "aria-pressed": String(s === period), onclick: () => { period = s; load(); } }, label))),
      r.ok ? null : el("p.form-error", {}, r.error),
      body && !charted ? el("p.muted", {}, "No incident in this period has a completed stage yet.") : null,
      charted ? [
        el("p.muted", {}, "Median minutes by agency (hover a bar for n):"),
        el("figure", {}, chart(body.by_agency), el("figcaption.legend", {},
          STAGES.map(([, label, color]) => el("span", {}, el("i", { style: { background: color } }), label)))),
      ] : null,
      body ? table("By priority: median min (n)", body.by_priority || {}, (p) => `P${p}`) : null,
      body ? table("By district: median min (n)", body.by_district || {}) : null,
    );
  }

  return {
    open() {
      ctx.show("kpi");
      fill(view, el("h2#kpi-title", {}, "Response times"), el("p.muted", {}, "Loading…"));
      load();
    },
  };
}
