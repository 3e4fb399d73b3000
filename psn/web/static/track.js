// The selected unit's track on the live map: its last hour from /api/v1/units/{id}/track, drawn with a white
// casing under the agency colour and extended by each live fix; one unit's at a time.
import { api } from "./console/api.js";
import { agencyInfo, ago, now } from "./console/util.js";

const TRACK_WINDOW_S = 3600;

// The server may route ids with a slash either URL-encoded or as two path segments.
async function fetchTrack(id, since) {
  const q = `?since=${Math.floor(since)}`;
  let r = await api(`/api/v1/units/${encodeURIComponent(id)}/track${q}`);
  if ((r.status === 404 || r.status === 405) && id.includes("/")) {
    r = await api(`/api/v1/units/${id.split("/").map(encodeURIComponent).join("/")}/track${q}`);
  }
  if (!r.ok) throw new Error(`track: HTTP ${r.status}`);
  return r.json();
}

// `note`: the element that says what is drawn; `latest(id)`: the unit's newest live state, if any.
export function createTrack(map, note, latest) {
  let track = null; // {id, line, casing, lastTs}
  let token = 0;

  function extend(u) {
    if (!track || track.id !== u.id || u.ts <= track.lastTs) return;
    track.lastTs = u.ts;
    track.casing.addLatLng([u.lat, u.lon]);
    track.line.addLatLng([u.lat, u.lon]);
  }

  function clear() {
    if (track) {
      track.casing.remove();
      track.line.remove();
    }
    track = null;
  }

  async function load(u) {
    const mine = ++token;
    clear();
    note.textContent = "Loading track…";
    try {
      const feature = await fetchTrack(u.id, now() - TRACK_WINDOW_S);
      if (mine !== token) return; // another unit was selected meanwhile
      const coords = (feature.geometry?.coordinates || []).map(([lon, lat]) => [lat, lon]);
      const times = feature.properties?.times || [];
      const color = agencyInfo(u.agency).color;
      const style = { pane: "track", opacity: 0.9, interactive: false };
      const casing = L.polyline(coords, { ...style, color: "#ffffff", weight: 7, className: "track-casing" });
      const line = L.polyline(coords, { ...style, color, weight: 4, className: "track" });
      track = { id: u.id, casing: casing.addTo(map), line: line.addTo(map), lastTs: times.at(-1) ?? 0 };
      extend(latest(u.id) || u);
      const n = coords.length;
      note.textContent = n
        ? `Track: ${n} fix${n === 1 ? "" : "es"}, first ${ago(times[0] ?? u.ts)}`
        : "No track in the last hour";
    } catch (err) {
      if (mine === token) note.textContent = "Track unavailable";
      console.warn(err);
    }
  }

  return { load, extend, clear };
}
