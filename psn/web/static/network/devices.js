// The devices an agency runs on the network, for who may view them (an agency admin its own agency's, a network
// admin every agency's: the API decides), each with its unit and its certificate's state read from psn's CA; the
// Export CSV link is the inventory's export of the same rows.
import { el, fill } from "../console/util.js";

const $ = (id) => document.getElementById(id);
const CERT = {
  valid: "valid",
  revoked: "REVOKED",
  expired: "EXPIRED",
  unknown: "not issued by psn's CA",
};

function certificate(c) {
  if (!c) return el("span.cert.none", {}, "none on record");
  const words = [CERT[c.state] || c.state];
  if (c.state === "valid" && c.not_after) words.push(`until ${new Date(c.not_after * 1000).toLocaleDateString()}`);
  if (c.state === "revoked" && c.reason) words.push(`(${c.reason})`);
  if (c.matches_unit === false) words.push("— another unit's certificate");
  return el(`span.cert.${c.state}${c.matches_unit === false ? ".mismatch" : ""}`, { title: `serial ${c.serial}` },
    words.join(" "));
}

export function createDevices() {
  return {
    load(body, scope) {
      $("devices-scope").textContent = scope;
      $("devices-empty").hidden = body.devices.length > 0;
      $("devices").hidden = body.devices.length === 0;
      fill($("devices").tBodies[0], body.devices.map((d) => el("tr", { dataset: { id: d.id } },
        el("td", {}, el("b", {}, d.id), el("div.muted", {}, `${d.kind} · ${d.agency} · IMEI ${d.imei}`)),
        el("td", {}, d.unit_id || "—"),
        el("td", {}, certificate(d.certificate)))));
    },
  };
}
