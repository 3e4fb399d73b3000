// The corridor list: travel time now against free flow, the index coloured like the segment levels, coverage,
// and a 6 h sparkline. A click highlights the corridor's segments on the map (rows that carry `edges`), else
// the straight line between its ends.
import { sparkline } from "../chart.js";
import { el, fill } from "../console/util.js";
import { indexLevel, levelInfo, minutes, percent } from "./levels.js";

const HISTORY_S = 6 * 3600;
// Under a fifth of the route with a live speed, the travel time is mostly the free-flow assumption for the rest:
// the row says "too little data" in grey instead of a level (the demo's corridors had 4-85 % coverage).
const THIN = 0.2;
const BIN_S = 300; // the server's corridor bins (psn/traffic/tick.py CORRIDOR_BIN_S)
const $ = (id) => document.getElementById(id);

export function createCorridors(map, segments) {
  const rows = new Map(); // id -> row
  let selected = null;
  let line = null;

  function select(id) {
    selected = selected === id ? null : id;
    line?.remove();
    line = null;
    const row = rows.get(selected);
    segments.highlight(row?.edges || []);
    if (row?.edges?.length) {
      const bounds = L.latLngBounds(row.edges.flatMap((e) => segments.lines.get(e)?.getLatLngs() || []));
      if (bounds.isValid()) map.flyToBounds(bounds, { padding: [40, 40], maxZoom: 12 });
    } else if (row?.origin_lonlat && row?.destination_lonlat) {
      const ends = [row.origin_lonlat, row.destination_lonlat].map(([lon, lat]) => [lat, lon]);
      line = L.polyline(ends, { color: "#1f4e9c", weight: 6, dashArray: "10 8", interactive: false }).addTo(map);
      map.flyToBounds(line.getBounds(), { padding: [40, 40] });
    }
    render();
  }

  function item(row) {
    const thin = !(row.coverage >= THIN);
    const level = thin ? "unknown" : row.level || indexLevel(row.index);
    const info = levelInfo(level);
    const index = Number.isFinite(row.index) ? `${row.index.toFixed(2)} × free-flow time` : "—";
    const points = (row.history || []).map(([t, s]) => [t, s / 60]);
    return el(
      "li.corridor",
      { dataset: { id: row.id, level }, onclick: () => select(row.id), tabIndex: 0, role: "button",
        "aria-pressed": String(selected === row.id),
        onkeydown: (ev) => (ev.key === "Enter" || ev.key === " ") && (ev.preventDefault(), select(row.id)) },
      el("div.corridor-name", {}, row.name),
      el("div.corridor-time", {}, el("b", {}, minutes(row.travel_s)), ` now · free flow ${minutes(row.free_flow_s)}`),
      el("div.corridor-meta", {},
        el("span.level-tag", { style: { "--level": info.color } }, el("i"), thin ? "too little data" : info.label),
        ` ${index} · measured on ${percent(row.coverage)} of the route`),
      sparkline(points, { width: 240, height: 50, color: info.color, floor: row.free_flow_s / 60, unit: "min",
        label: `${row.name}: travel time, last 6 h` }),
    );
  }

  function render() {
    const list = [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
    $("corridors-empty").hidden = list.length > 0;
    fill($("corridors"), list.map(item));
  }

  return {
    rows,
    load(body) {
      for (const row of body.corridors) rows.set(row.id, row);
      render();
    },
    // Rows of a live `traffic` event: the server sends a row's history only when a 5-minute bin closed; a row
    // without one sets the current bin's point of the history shown to the travel time now.
    update(changed, ts) {
      for (const row of changed) {
        const old = rows.get(row.id);
        let history = row.history;
        if (!history) {
          const bin = ts - (ts % BIN_S);
          const kept = (old?.history || []).filter(([t]) => t >= ts - HISTORY_S && t < bin);
          history = row.coverage > 0 ? [...kept, [bin, row.travel_s]] : kept;
        }
        rows.set(row.id, { ...old, ...row, history });
      }
      if (changed.length) render();
    },
    select,
  };
}
