// The cells on the map: each a wedge from its site along its azimuth, filled by its load (the latest KPI), grey when
// silent, with a red ring and a "!" badge while it has an active alarm. Keyboard reachable (Tab, Enter) like any
// marker; drawn in the map's pane "cells". The rows are GET /api/v1/net/cells; `kpi` (a net_kpi event) and `setAlarms` keep them current.
import { el, fill } from "../console/util.js";
import { LOADS, loadLevel, pct } from "./levels.js";

const SIZE = 48; // px: three sectors of a site read apart at every zoom
const R = 21;
const HALF = Math.PI / 6; // a 60° wedge: the sectors of a three-sector site leave gaps between them

function wedge(azimuth) {
  const a = ((azimuth ?? 0) * Math.PI) / 180;
  const c = SIZE / 2;
  const at = (ang, r) => [(c + r * Math.sin(ang)).toFixed(1), (c - r * Math.cos(ang)).toFixed(1)];
  const [x1, y1] = at(a - HALF, R);
  const [x2, y2] = at(a + HALF, R);
  const [bx, by] = at(a, R * 0.62);
  return { d: `M${c},${c} L${x1},${y1} A${R},${R} 0 0 1 ${x2},${y2} Z`, badge: [bx, by] };
}

export function createCells(map, { onSelect }) {
  const cells = new Map(); // id -> {row, alarms: [], marker, drawn}
  let selected = null;

  const level = (c) => (silent(c) ? "silent" : loadLevel(c.row.kpi));
  const silent = (c) => c.row.state === "silent" || c.alarms.some((a) => a.kind === "cell_silent");

  function title(c) {
    const info = LOADS[level(c)];
    const k = c.row.kpi;
    const load = k ? ` (UL ${pct(k.prb_util_ul)}, DL ${pct(k.prb_util_dl)})` : "";
    const alarms = c.alarms.length ? ` · ${c.alarms.length} active alarm${c.alarms.length > 1 ? "s" : ""}` : "";
    return `${c.row.id}: ${info.label}${level(c) === "silent" ? "" : load}${alarms}`;
  }

  function draw(c) {
    const lvl = level(c);
    const alarm = c.alarms.length > 0;
    const sig = `${lvl}|${alarm}|${c.row.id === selected}|${title(c)}`;
    if (sig === c.drawn) return;
    c.drawn = sig;
    const { d, badge } = wedge(c.row.azimuth_deg);
    const html = `<svg class="cell" viewBox="0 0 ${SIZE} ${SIZE}" width="${SIZE}" height="${SIZE}" aria-hidden="true"
      data-level="${lvl}" data-alarm="${alarm}"><path class="wedge" d="${d}" fill="${LOADS[lvl].color}"/>${
      alarm ? `<circle class="badge" cx="${badge[0]}" cy="${badge[1]}" r="6"/><text class="badge-text"
        x="${badge[0]}" y="${Number(badge[1]) + 4}" text-anchor="middle">!</text>` : ""}</svg>`;
    const classes = ["cell-icon", `level-${lvl}`, alarm ? "alarm" : "", c.row.id === selected ? "selected" : ""];
    const icon = L.divIcon({ className: classes.filter(Boolean).join(" "), html, iconSize: [SIZE, SIZE],
      iconAnchor: [SIZE / 2, SIZE / 2] });
    if (!c.marker) {
      c.marker = L.marker([c.row.lat, c.row.lon], { icon, pane: "cells", keyboard: true, title: title(c) })
        .on("click", () => onSelect(c.row.id))
        // Leaflet's Enter on a focused marker only opens a bound popup.
        .on("keypress", (e) => e.originalEvent.key === "Enter" && onSelect(c.row.id))
        .addTo(map);
    } else {
      c.marker.setIcon(icon);
    }
    const node = c.marker.getElement();
    if (node) {
      node.dataset.cell = c.row.id;
      node.title = title(c);
      node.setAttribute("aria-label", title(c));
    }
  }

  function put(row) {
    const c = cells.get(row.id) || { alarms: [], marker: null, drawn: "" };
    c.row = { ...c.row, ...row };
    cells.set(row.id, c);
    if (c.row.lat != null && c.row.lon != null) draw(c);
    return c;
  }

  return {
    cells,
    load(body) {
      for (const row of body.cells) put(row);
    },
    // A net_kpi event: the cell reported, so it is up (a cell psn learns of only now has no position yet).
    kpi(cell, kpi) {
      put({ id: cell, kpi, state: "up" });
    },
    // id -> its active alarms (the alarm list's), for every cell at once.
    setAlarms(byCell) {
      for (const [id, c] of cells) {
        c.alarms = byCell.get(id) || [];
        if (c.marker || c.row.lat != null) draw(c);
      }
    },
    select(id) {
      const before = selected;
      selected = id;
      for (const other of [before, id]) if (other && cells.get(other)?.row.lat != null) draw(cells.get(other));
    },
    level: (id) => (cells.has(id) ? level(cells.get(id)) : "unknown"),
    silentOnes: () => [...cells.values()].filter(silent).map((c) => c.row),
    row: (id) => cells.get(id)?.row,
    // Into view left of the cell panel (it covers the map's right 390 px), at a zoom where its site reads among its neighbours.
    flyTo(id) {
      const r = cells.get(id)?.row;
      if (r?.lat == null) return;
      const panel = map.getSize().x > 700 ? 390 : 0;
      map.flyToBounds(L.latLng(r.lat, r.lon).toBounds(4000), { paddingBottomRight: [panel, 0], maxZoom: 10 });
    },
  };
}

// The legend: what each colour means, with its threshold, and the alarm mark.
export function addLegend(box) {
  fill(box,
    el("span.legend-title", {}, "Cell load (busier of UL/DL PRBs):"),
    ...Object.values(LOADS).map((l) =>
      el("span.legend-item", {}, el("i", { style: { background: l.color } }), l.label, l.range ? el("small", {}, l.range) : null)),
    el("span.legend-item", {}, el("i.legend-alarm"), "active alarm"));
}
