// Congestion levels as the traffic API names them, their colours (always with a word beside them on the lists:
// colour-blind operators) and the units an operator reads: km/h, minutes.

// `range`: the speed as a share of free flow (traffic.speeds.Level's thresholds), for the legend.
export const LEVELS = {
  free: { label: "free", color: "#2e7d32", range: "≥ 75 %" },
  slow: { label: "slow", color: "#f2a900", range: "50–75 %" },
  congested: { label: "congested", color: "#d32f2f", range: "25–50 %" },
  jammed: { label: "jammed", color: "#6d0a0a", range: "< 25 %" },
  unknown: { label: "no data", color: "#9e9e9e", range: "" },
};
export const levelInfo = (level) => LEVELS[level] || LEVELS.unknown;

// Speed / free flow thresholds of traffic.speeds.Level (.75, .5, .25): an index (travel / free-flow time) is
// the inverse ratio.
export function indexLevel(index) {
  if (!(index > 0)) return "unknown";
  const ratio = 1 / index;
  return ratio >= 0.75 ? "free" : ratio >= 0.5 ? "slow" : ratio >= 0.25 ? "congested" : "jammed";
}

export const kmh = (v) => (v == null || !Number.isFinite(v) ? "—" : `${Math.round(v)} km/h`);

export function minutes(s) {
  if (s == null || !Number.isFinite(s)) return "—";
  const m = Math.round(s / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

export const percent = (f) => (f == null || !Number.isFinite(f) ? "—" : `${Math.round(f * 100)}%`);
