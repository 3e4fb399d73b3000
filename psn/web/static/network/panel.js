// The panel of one clicked cell: who it is (site, sector, azimuth, tilt, band from the inventory), its latest KPIs,
// charts of a chosen window (1 h, 6 h, 24 h, 7 d: GET /api/v1/net/cells/{id}/kpi) and its alarms.
import { bars, lines, sparkline } from "../chart.js";
import { apiJSON } from "../console/api.js";
import { ago, el, fill, hhmm, now } from "../console/util.js";
import { KINDS, LOADS, mbps, pct, span } from "./levels.js";

const $ = (id) => document.getElementById(id);
// About 150–250 points a window, on the steps the KPI API serves (raw samples only within 48 h).
const STEPS = { 3600: 15, 21600: 120, 86400: 600, 604800: 3600 };
const CHART = { width: 330, height: 84 };
const UL = "#1f4e9c";
const DL = "#90caf9";
const day = (ts) => new Date(ts * 1000).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit",
  hour12: false });

// A gap of more than 1.5 steps between points is a break in the line (no report is not zero).
function withGaps(points, step, pick) {
  const rows = [];
  points.forEach((p, i) => {
    if (i && p.ts - points[i - 1].ts > 1.5 * step) rows.push([points[i - 1].ts + step, ...pick(p).map(() => null)]);
    rows.push([p.ts, ...pick(p)]);
  });
  return rows;
}

export function createPanel({ cells, inventory, alarmsOf, onAck }) {
  const panel = $("cell");
  let current = null;
  let windowS = 3600;
  let loadSeq = 0;
  $("cell-close").addEventListener("click", () => close());
  for (const b of document.querySelectorAll("#cell-window button")) {
    b.addEventListener("click", () => {
      windowS = Number(b.dataset.window);
      for (const o of document.querySelectorAll("#cell-window button")) o.setAttribute("aria-pressed", o === b);
      loadCharts();
    });
  }

  function close() {
    current = null;
    panel.hidden = true;
    cells.select(null);
  }

  function stateLine(row) {
    const lvl = cells.level(row.id);
    if (lvl === "silent") {
      return el("span.state.silent", {}, row.kpi ? `Silent: no report for ${span(now() - row.kpi.ts)}` : "Silent: no report");
    }
    if (lvl === "unknown") return el("span.state.unknown", {}, "No report since psn started");
    return el("span.state", { style: { "--level": LOADS[lvl].color } }, el("i"), `Load ${LOADS[lvl].label}`,
      ` · reported ${ago(row.kpi.ts)}`);
  }

  function render() {
    if (current == null) return;
    const row = cells.row(current) || { id: current };
    const inv = inventory().get(current) || {};
    const sector = current.startsWith(`${row.site}-`) ? current.slice(row.site.length + 1) : "—";
    $("cell-title").textContent = current;
    fill($("cell-state"), stateLine(row));
    const pair = (k, v) => [el("dt", {}, k), el("dd", {}, v)];
    fill($("cell-identity"),
      pair("Site", row.site || inv.site || "—"), pair("Sector", sector),
      pair("Azimuth", (inv.azimuth_deg ?? row.azimuth_deg) != null ? `${inv.azimuth_deg ?? row.azimuth_deg}°` : "—"),
      pair("Tilt", inv.tilt_deg != null ? `${inv.tilt_deg}°` : "—"),
      pair("Band", inv.band ? `${inv.band} (${inv.technology})` : "—"));
    const k = row.kpi;
    // A silent cell's numbers are its last report's, not its load now: said so, and greyed.
    const stale = k != null && cells.level(current) === "silent";
    $("cell-kpi").classList.toggle("stale", stale);
    fill($("cell-kpi"), k
      ? [...(stale ? pair("Last report", `${ago(k.ts)}: it is silent since`) : []),
        ...pair("PRBs UL / DL", `${pct(k.prb_util_ul)} / ${pct(k.prb_util_dl)}`),
        ...pair("Throughput UL / DL", `${mbps(k.thr_ul_mbps)} / ${mbps(k.thr_dl_mbps)}`),
        ...pair("Connected UEs", String(k.connected_ues)),
        ...pair("Rejected / pre-empted", `${k.bearers_rejected} / ${k.bearers_preempted} bearers`)]
      : [pair("Latest KPIs", "none since psn started")]);
    const mine = alarmsOf(current);
    fill($("cell-alarms"), mine.length
      ? mine.map((a) => el(`li.mini.sev-${a.severity}`, {}, el("b", {}, a.severity), ` ${KINDS[a.kind] || a.kind} · `,
        a.state === "acknowledged" ? `acknowledged by ${a.acknowledged_by}` : "not acknowledged",
        ` · ${a.detail || ""}`, onAck(a)))
      : el("li.empty", {}, "No active alarm on this cell."));
  }

  async function loadCharts() {
    if (current == null) return;
    const id = current;
    const seq = ++loadSeq;
    const step = STEPS[windowS];
    const to = Math.floor(now() / step) * step + step;
    const from = to - windowS;
    const box = $("cell-charts");
    fill(box, el("p.muted", {}, "Loading KPI history…"));
    try {
      const body = await apiJSON(`/api/v1/net/cells/${encodeURIComponent(id)}/kpi?from=${from}&to=${to}&step=${step}`);
      if (seq !== loadSeq) return;
      const pts = body.points;
      const time = windowS > 86400 ? day : hhmm;
      const opts = { ...CHART, time, since: from, until: to };
      const title = (t) => el("p.chart-title", {}, t);
      fill(box,
        el("p.muted", {}, `${pts.length} point${pts.length === 1 ? "" : "s"}, one per ${span(body.step_s)} (${body.source})`),
        title("PRB utilisation — UL dark, DL light"),
        lines(withGaps(pts, step, (p) => [p.prb_util_ul * 100, p.prb_util_dl * 100]), [UL, DL],
          { ...opts, unit: "%", floor: 85, label: "PRB utilisation, uplink and downlink, percent" }),
        title("Throughput — UL dark, DL light"),
        lines(withGaps(pts, step, (p) => [p.thr_ul_mbps, p.thr_dl_mbps]), [UL, DL],
          { ...opts, unit: "Mbit/s", label: "throughput, uplink and downlink, Mbit/s" }),
        title("Connected UEs"),
        sparkline(withGaps(pts, step, (p) => [p.connected_ues]), { ...opts, unit: "UEs", color: UL,
          label: "connected UEs" }),
        title("Bearers rejected (dark) and pre-empted (light)"),
        bars(pts.map((p) => [p.ts, p.bearers_rejected, p.bearers_preempted]),
          { ...opts, unit: "bearers", step, label: "bearers rejected and pre-empted" }));
    } catch (err) {
      if (seq === loadSeq) fill(box, el("p.error", {}, `KPI history unavailable: ${err.message}`));
    }
  }

  return {
    open(id) {
      current = id;
      panel.hidden = false;
      cells.select(id);
      render();
      loadCharts();
      $("cell-close").focus();
    },
    refresh: render,
    close,
    get cell() {
      return current;
    },
  };
}
