// The page's one tiny chart maker (no chart library is available offline): inline SVG sparklines and
// per-minute bars, sized in CSS pixels, with a <title> so the figure is also read out.

const NS = "http://www.w3.org/2000/svg";

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

// points: [[t, value | null]]; a null breaks the line (no data in that bin is not zero).
export function sparkline(points, { width = 160, height = 36, color = "#263238", label = "", floor = null } = {}) {
  const root = svg(width, height, label);
  const known = points.filter(([, v]) => v != null && Number.isFinite(v));
  if (!known.length) {
    root.append(Object.assign(node("text", { x: 4, y: height / 2 + 4, class: "chart-empty" }), { textContent: "no data" }));
    return root;
  }
  const t0 = points[0][0];
  const t1 = points[points.length - 1][0];
  const vs = known.map(([, v]) => v).concat(floor == null ? [] : [floor]);
  const lo = Math.min(...vs);
  const hi = Math.max(...vs);
  const x = (t) => (t1 > t0 ? ((t - t0) / (t1 - t0)) * (width - 4) + 2 : width / 2);
  const y = (v) => (hi > lo ? height - 3 - ((v - lo) / (hi - lo)) * (height - 6) : height / 2);
  if (floor != null) {
    root.append(node("line", { x1: 0, x2: width, y1: y(floor), y2: y(floor), class: "chart-floor" }));
  }
  let d = "";
  let pen = false;
  for (const [t, v] of points) {
    if (v == null || !Number.isFinite(v)) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
    pen = true;
  }
  root.append(node("path", { d, fill: "none", stroke: color, "stroke-width": 2, "stroke-linejoin": "round" }));
  const [lt, lv] = known[known.length - 1];
  root.append(node("circle", { cx: x(lt), cy: y(lv), r: 2.5, fill: color }));
  return root;
}

// series: [[t, a, b]]: two bars per bin side by side (a dark, b light), scaled to the largest count.
export function bars(series, { width = 160, height = 36, label = "" } = {}) {
  const root = svg(width, height, label);
  const hi = Math.max(1, ...series.flatMap(([, a, b]) => [a, b]));
  const slot = width / Math.max(series.length, 1);
  const w = Math.max(1, slot / 2 - 0.5);
  series.forEach(([, a, b], i) => {
    for (const [j, n, cls] of [[0, a, "bar-a"], [1, b, "bar-b"]]) {
      const h = (n / hi) * (height - 2);
      root.append(node("rect", { x: i * slot + j * w, y: height - h, width: w, height: h, class: cls }));
    }
  });
  return root;
}
