// Radio conditions at the open incident's location (GET /api/v1/net/radio): will a body cam's live video get
// through there, and why. Fetched again only when the incident moves; a server without a coverage map says so.
import { send } from "./api.js";
import { el, fill } from "./util.js";

export function createRadio(slot) {
  let shown = null; // "lat,lon" of what the slot shows

  async function show(inc) {
    const key = inc?.lat == null ? null : `${inc.lat},${inc.lon}`;
    if (key === shown) return;
    shown = key;
    if (key === null) return fill(slot);
    const r = await send("GET", `/api/v1/net/radio?lat=${inc.lat}&lon=${inc.lon}`);
    if (shown !== key) return; // moved meanwhile: the newer answer draws
    if (!r.ok) {
      fill(slot, el("p.radio-line.muted", { dataset: { radio: "unknown" }, title: r.error || "" },
        el("b", {}, "Live video: "), r.status === 503 ? "no coverage map on this server" : "not known here"));
      return;
    }
    const a = r.body;
    const works = Object.values(a.video).some(Boolean);
    fill(slot, el(`p.radio-line.${works ? "ok" : "bad"}`, { dataset: { radio: works ? "works" : "fails" },
      title: a.basis },
    el("b", {}, "Live video: "), a.verdict.replace(/^Live video /, ""),
    el("span.muted", {}, ` · ${a.coverage} coverage, ${a.ul_mbps} Mbit/s up`
      + (a.cell ? ` via ${a.cell} (${Math.round(100 * a.cell_load_ul)} % busy${a.load_source === "live" ? "" : ", assumed"})` : ""))));
  }

  return { show };
}
