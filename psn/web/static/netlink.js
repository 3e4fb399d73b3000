// Each unit's radio link as the network reports it (psn/v1/net/ue/…/link): GET /api/v1/net/links each time the
// live feed (re)opens (its snapshot), then `net_link` live events. psn sends only units the user may see.
import { apiJSON } from "./console/api.js";

const links = new Map();
const fixed = (v, digits, unit) => (v == null ? "—" : `${v.toFixed(digits)} ${unit}`);

async function reload() {
  try {
    for (const link of (await apiJSON("/api/v1/net/links")).links) links.set(link.unit, link);
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

// The details panel's rows for unit `id`: none until the network reported it.
export function linkRows(id) {
  const link = links.get(id);
  if (!link) return [];
  return [
    ["Serving cell", link.cell ?? "no coverage"],
    ["RSRP", fixed(link.rsrp_dbm, 1, "dBm")],
    ["SINR", fixed(link.sinr_db, 1, "dB")],
    ["Uplink", fixed(link.ul_mbps, 2, "Mbit/s")],
    ["Uplifted", link.uplifted ? "yes" : "no"],
  ];
}
