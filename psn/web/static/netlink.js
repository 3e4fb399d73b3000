// Each unit's radio link as the network reports it (psn/v1/net/ue/…/link): GET /api/v1/net/links each time the
// live feed (re)opens (its snapshot), then `net_link` live events. psn sends only units the user may see.
import { apiJSON } from "./console/api.js";
import { ago, now } from "./console/util.js";

const links = new Map();
// The equipment reports every period (psn's net_kpi_period_s, sent with the links); a link older than 3 periods is
// no longer reported (the unit left the network or psn's view), as a cell is silent after 3: shown greyed.
const OLD_AFTER_PERIODS = 3;
let periodS = 5;
const fixed = (v, digits, unit) => (v == null ? "—" : `${v.toFixed(digits)} ${unit}`);

async function reload() {
  try {
    const body = await apiJSON("/api/v1/net/links");
    periodS = body.period_s;
    for (const link of body.links) links.set(link.unit, link);
  } catch {
    // the live events fill it in; the next reconnect tries again
  }
}

// True when `msg` was a link (then it is nobody else's); a snapshot reloads them and is left to the map.
export function liveLink(msg) {
  if (msg.type === "snapshot") reload();
  if (msg.type !== "net_link") return false;
  links.set(msg.link.unit, msg.link);
  return true;
}

// The details panel's rows [label, value, class] for unit `id`: none until the network reported it.
export function linkRows(id) {
  const link = links.get(id);
  if (!link) return [];
  const old = now() - link.ts > OLD_AFTER_PERIODS * periodS;
  const cls = old ? "old-link" : "";
  return [
    ["Link report", old ? `${ago(link.ts)} · no longer reported` : ago(link.ts), cls],
    ["Serving cell", link.cell ?? "no coverage", cls],
    ["RSRP", fixed(link.rsrp_dbm, 1, "dBm"), cls],
    ["SINR", fixed(link.sinr_db, 1, "dB"), cls],
    ["Uplink", fixed(link.ul_mbps, 2, "Mbit/s"), cls],
    ["Uplifted", link.uplifted ? "yes" : "no", cls],
  ];
}
