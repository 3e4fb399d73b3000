// The header and footer lines of the live map and the traffic view: who is signed in (access rules decide which
// agencies' units this screen shows, so it says whose view it is) with sign-out, links to the other views the
// roles may use (`<a data-right="traffic">`: shown if /auth/me's rights let them view or manage it — a trainer only
// manages the simulation; `data-right="network qos"`: any of them), and the operator's
// ingest counters (shown only to those allowed to read /api/v1/stats).
import { apiJSON, signIn, whoAmI } from "./console/api.js";
import { agencyInfo } from "./console/util.js";

const $ = (id) => document.getElementById(id);

export function showSignedIn() {
  whoAmI()
    .then((me) => {
      $("user-name").textContent = `${me.name} · ${agencyInfo(me.agency).label}`;
      $("user").hidden = false;
      for (const a of document.querySelectorAll("a[data-right]")) {
        a.hidden = !a.dataset.right.split(" ").some((r) => (me.rights?.[r] || []).some((x) => x === "view" || x === "manage"));
      }
    })
    .catch((err) => console.warn(err));
  $("sign-out").addEventListener("click", async () => {
    await fetch("/api/v1/auth/logout", { method: "POST" });
    signIn();
  });
}

export function pollOperatorStats() {
  async function poll() {
    try {
      const s = await apiJSON("/api/v1/stats");
      const rejected = Object.entries(s.rejected || {});
      const nRejected = rejected.reduce((a, [, n]) => a + n, 0);
      const el = $("stats");
      el.textContent = `fixes accepted ${s.accepted.toLocaleString()} · rejected ${nRejected.toLocaleString()}`;
      el.title = rejected.map(([k, n]) => `${k}: ${n}`).join("\n") || "no rejected fixes";
      el.hidden = false;
    } catch {
      $("stats").hidden = true;
    }
  }
  poll();
  setInterval(poll, 10000);
}
