// The time slider over the last 6 h in 5-min steps. Off "live", it loads the history bin (`/segments?at=`)
// and shows a banner; live events keep arriving (and are kept) but only repaint once back to live.
import { apiJSON } from "../console/api.js";
import { hhmm } from "../console/util.js";

const STEP_S = 300;
const $ = (id) => document.getElementById(id);

export function createTimeline(segments, { onChange }) {
  const slider = $("time");
  let request = 0;

  function backToLive() {
    request++;
    slider.value = "0";
    $("time-label").textContent = "live";
    $("history-banner").hidden = true;
    document.body.classList.remove("historic");
    segments.showLive();
    onChange();
  }

  async function show(steps) {
    if (steps === 0) return backToLive();
    const at = Math.floor(Date.now() / 1000) + steps * STEP_S; // the server answers the bin holding it
    $("time-label").textContent = hhmm(at);
    const mine = ++request;
    try {
      const body = await apiJSON(`/api/v1/traffic/segments?at=${at}`);
      if (mine !== request) return; // the slider moved on meanwhile
      segments.showHistory(body);
      $("history-time").textContent = hhmm(body.ts ?? at);
      $("history-banner").hidden = false;
      document.body.classList.add("historic");
      onChange();
    } catch (err) {
      if (mine === request) {
        $("notice").textContent = `History unavailable: ${err.message}`;
        $("notice").hidden = false;
      }
    }
  }

  slider.addEventListener("input", () => {
    $("time-label").textContent = slider.value === "0" ? "live" : hhmm(Date.now() / 1000 + Number(slider.value) * STEP_S);
  });
  slider.addEventListener("change", () => show(Number(slider.value)));
  $("back-to-live").addEventListener("click", backToLive);
  return { show, backToLive };
}
