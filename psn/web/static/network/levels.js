// What a cell's colour means and the words an operator reads: load levels from the latest KPI's PRB utilisation
// (the busier of uplink and downlink; the top level is the load alarm's raise threshold, 0.85, and the one under
// it starts at its clear threshold, 0.70), alarm severities in their order, and the units of the numbers.

export const LOADS = {
  low: { label: "light", color: "#2e7d32", range: "< 50 %" },
  medium: { label: "busy", color: "#f2a900", range: "50–70 %" },
  high: { label: "heavy", color: "#ef6c00", range: "70–85 %" },
  full: { label: "full", color: "#c62828", range: "≥ 85 %" },
  silent: { label: "silent", color: "#616161", range: "no KPI" },
  unknown: { label: "no report yet", color: "#bdbdbd", range: "" },
};

export function loadLevel(kpi) {
  if (!kpi) return "unknown";
  const u = Math.max(kpi.prb_util_ul ?? 0, kpi.prb_util_dl ?? 0);
  return u >= 0.85 ? "full" : u >= 0.7 ? "high" : u >= 0.5 ? "medium" : "low";
}

// Most severe first; an alarm list sorts on this, then unacknowledged first, then the oldest first.
export const SEVERITIES = ["critical", "major", "minor", "warning"];
export const KINDS = {
  cell_silent: "Cell silent",
  cell_load: "Cell overloaded",
  admission_rejected: "Bearers rejected",
  preempted: "Bearers pre-empted",
  unit_no_coverage: "Unit without coverage",
};

export function alarmOrder(a, b) {
  const s = SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity);
  if (s) return s;
  const acked = (a.state === "acknowledged") - (b.state === "acknowledged");
  return acked || a.raised - b.raised || a.id.localeCompare(b.id);
}

// psn's refusal of a request (send()'s {status, error}) prefixed in plain words: "Not allowed: …".
const PLAIN = { 403: "Not allowed", 404: "Not found", 409: "Not possible now" };
export const refusal = (r, what) => `${r.status === 422 ? `Check ${what}` : PLAIN[r.status] || "Refused"}: ${r.error}`;

export const pct = (f) => (f == null || !Number.isFinite(f) ? "—" : `${Math.round(f * 100)} %`);
export const mbps = (v) => (v == null || !Number.isFinite(v) ? "—" : `${v.toFixed(1)} Mbit/s`);

// "12:34" left of a countdown, "1:02:03" past an hour; never negative.
export function countdown(s) {
  const t = Math.max(0, Math.ceil(s));
  const [h, m, sec] = [Math.floor(t / 3600), Math.floor((t % 3600) / 60), t % 60];
  const two = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

// "45 s", "4 min", "2 h 05 min": how long something has lasted.
export function span(s) {
  const t = Math.max(0, Math.round(s));
  if (t < 60) return `${t} s`;
  if (t < 3600) return `${Math.floor(t / 60)} min`;
  return `${Math.floor(t / 3600)} h ${String(Math.floor((t % 3600) / 60)).padStart(2, "0")} min`;
}
