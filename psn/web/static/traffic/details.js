// The panel of one clicked segment: its name, speed against free flow, confidence, samples, last update, and
// a sparkline of its speed over the last 6 h (`/segments/{edge}/history`).
import { apiJSON } from "../console/api.js";
import { sparkline } from "../chart.js";
import { ago, el, fill, hhmm } from "../console/util.js";
import { kmh, levelInfo, percent } from "./levels.js";

const HISTORY_S = 6 * 3600;
const $ = (id) => document.getElementById(id);

export function createDetails(segments) {
  const panel = $("segment");
  let current = null;
  $("segment-close").addEventListener("click", () => close());

  function close() {
    current = null;
    panel.hidden = true;
    segments.highlight([]);
  }

  function render() {
    if (current == null) return;
    const p = segments.props(current) || { edge: current, level: "unknown" };
    const info = levelInfo(p.level);
    $("segment-title").textContent = p.name || `Segment ${current}`;
    fill(
      $("segment-fields"),
      el("dt", {}, "Level"),
      el("dd", {}, el("span.level-tag", { style: { "--level": info.color } }, el("i"), info.label)),
      el("dt", {}, "Speed"),
      el("dd", {}, `${kmh(p.speed_kmh)} (free flow ${kmh(p.free_flow_kmh)})`),
      el("dt", {}, "Confidence"),
      el("dd", {}, percent(p.confidence)),
      el("dt", {}, "Samples"),
      el("dd", {}, String(p.samples ?? 0)),
      el("dt", {}, "Updated"),
      el("dd", {}, p.updated ? `${hhmm(p.updated)} (${ago(p.updated)})` : "never"),
    );
  }

  async function loadHistory(edge) {
    const box = $("segment-chart");
    fill(box, el("p.muted", {}, "Loading history…"));
    const until = Date.now() / 1000;
    try {
      const h = await apiJSON(`/api/v1/traffic/segments/${edge}/history?since=${until - HISTORY_S}&until=${until}`);
      if (current !== edge) return;
      const free = segments.props(edge)?.free_flow_kmh ?? null;
      const points = h.bins.map(([t, v]) => [t, v]);
      fill(box, el("p.muted", {}, "Speed, last 6 h (dashed: free flow)"),
        sparkline(points, { width: 260, height: 76, color: "#1f4e9c", floor: free, unit: "km/h",
          label: "speed, last 6 hours" }));
    } catch (err) {
      if (current === edge) fill(box, el("p.error", {}, `History unavailable: ${err.message}`));
    }
  }

  return {
    open(edge) {
      current = edge;
      panel.hidden = false;
      segments.highlight([edge]);
      render();
      loadHistory(edge);
    },
    // A live event or a history bin changed what is shown: the open panel follows.
    refresh: render,
    close,
    get edge() {
      return current;
    },
  };
}
