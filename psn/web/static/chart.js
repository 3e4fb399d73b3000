// The pages' one tiny chart maker (no chart library is available offline; the traffic and network views): inline
// SVG sparklines, several lines on one scale and per-bin bars, sized in CSS pixels, with a <title> so the figure
// is also read out. Given a `unit`, a chart has axes: its top value with the unit and 0 on the left, its first
// and last time under it (`time` formats them: HH:MM by default); the value axis starts at 0 (a 1 km/h
// difference no longer fills the chart's height).
import { hhmm } from "./console/util.js";

const NS = "http://www.w3.org/2000/svg";
const GUTTER = 66; // px left of the plot for "120 km/h", "45 veh/min" at 11 px (58 cut "8 veh/min")
const FOOT = 13; // px under the plot for the times

function svg(width, height, label) {
  const root = document.createElementNS(NS, "svg");
  root.setAttribute("viewBox", `0 0 ${width} ${height}`);
  root.setAttribute("width", width);
  root.setAttribute("height", height);
  root.setAttribute("role", "img");
  root.classList.add("chart");
  const title = document.createElementNS(NS, "title");
  title.textContent = label;
  root.append(title);
  return root;
}

function node(tag, attrs) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  return n;
}

function text(x, y, words, anchor = "start") {
  return Object.assign(node("text", { x, y, class: "chart-axis", "text-anchor": anchor }), { textContent: words });
}

// The plot's box inside a chart of `width` x `height`, and with a unit its axes: `hi` (with the unit) and 0 on
// the left, the times `t0` and `t1` under it.
function frame(root, { width, height, unit, hi, t0, t1, time = hhmm }) {
  if (!unit) return { left: 2, right: width - 2, top: 3, bottom: height - 3 };
  const box = { left: GUTTER, right: width - 2, top: 6, bottom: height - FOOT - 2 };
  root.append(
    node("line", { x1: box.left - 2, x2: box.left - 2, y1: box.top, y2: box.bottom, class: "chart-axis-line" }),
    node("line", { x1: box.left - 2, x2: box.right, y1: box.bottom, y2: box.bottom, class: "chart-axis-line" }),
    text(box.left - 5, box.top + 8, `${Math.round(hi)} ${unit}`, "end"),
    text(box.left - 5, box.bottom, "0", "end"),
    text(box.left, height - 1, time(t0)),
    text(box.right, height - 1, time(t1), "end"),
  );
  return box;
}

// points: [[t, value | null]]; a null breaks the line (no data in that bin is not zero).
export function sparkline(points, { color = "#263238", ...options } = {}) {
  return lines(points.map(([t, v]) => [t, v]), [color], options);
}

// rows: [[t, v1, v2, …]], one line per value column in `colors` on one scale (UL and DL together); a null
// breaks that line. Each line ends in a dot at its newest value. The time axis spans `since`…`until` (default: the
// first and last row's).
export function lines(rows, colors, { width = 160, height = 36, label = "", floor = null, unit = "", time, since,
  until } = {}) {
  const root = svg(width, height, label);
  const finite = (v) => v != null && Number.isFinite(v);
  const vs = rows.flatMap(([, ...v]) => v.filter(finite));
  if (!vs.length) {
    root.append(Object.assign(node("text", { x: 4, y: height / 2 + 4, class: "chart-empty" }), { textContent: "no data" }));
    return root;
  }
  const t0 = since ?? rows[0][0];
  const t1 = until ?? rows[rows.length - 1][0];
  if (floor != null) vs.push(floor);
  const lo = unit ? 0 : Math.min(...vs);
  const hi = Math.max(...vs);
  const box = frame(root, { width, height, unit, hi, t0, t1, time });
  const x = (t) => (t1 > t0 ? box.left + ((t - t0) / (t1 - t0)) * (box.right - box.left) : (box.left + box.right) / 2);
  const y = (v) => (hi > lo ? box.bottom - ((v - lo) / (hi - lo)) * (box.bottom - box.top) : (box.top + box.bottom) / 2);
  if (floor != null) {
    root.append(node("line", { x1: box.left, x2: box.right, y1: y(floor), y2: y(floor), class: "chart-floor" }));
  }
  colors.forEach((color, i) => {
    let d = "";
    let pen = false;
    let last = null;
    for (const row of rows) {
      const v = row[i + 1];
      if (!finite(v)) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${x(row[0]).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
      last = [row[0], v];
    }
    if (!last) return;
    root.append(node("path", { d, fill: "none", stroke: color, "stroke-width": 2, "stroke-linejoin": "round" }));
    root.append(node("circle", { cx: x(last[0]), cy: y(last[1]), r: 2.5, fill: color }));
  });
  return root;
}

// series: [[t, a, b]] per `step` s (minutes with nothing may be left out): two bars per bin side by side (a dark,
// b light) at their time between `since` and `until`, scaled to the largest count; bins outside are not drawn.
export function bars(series, { width = 160, height = 36, label = "", unit = "", since, until, step = 60,
  time } = {}) {
  const root = svg(width, height, label);
  const shown = series.filter(([t]) => t >= since && t < until);
  const hi = Math.max(1, ...shown.flatMap(([, a, b]) => [a, b]));
  const box = frame(root, { width, height, unit, hi, t0: since, t1: until, time });
  const slot = ((box.right - box.left) * step) / (until - since);
  const w = Math.max(1, slot / 2 - 0.25);
  for (const [t, a, b] of shown) {
    const x = box.left + ((t - since) / (until - since)) * (box.right - box.left);
    for (const [j, n, cls] of [[0, a, "bar-a"], [1, b, "bar-b"]]) {
      const h = (n / hi) * (box.bottom - box.top);
      root.append(node("rect", { x: x + j * w, y: box.bottom - h, width: w, height: h, class: cls }));
    }
  }
  return root;
}
