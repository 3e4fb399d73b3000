// Live video beside the map: the feeds this dispatcher may watch (GET /api/v1/streams) and a wall
// of tiles (PsnVideoWall from /video/wall.js, a classic script loaded before this module).
// WHEP requests are same-origin fetches that carry the session cookie: the wall needs no token.
const POLL_MS = 3000;
const $ = (id) => document.getElementById(id);

// Stream ids are "{agency}:{unit}[:{camera}]"; the map's unit ids are "{agency}/{unit}".
const cameraOf = (stream) => stream.split(":")[2];
const label = (unit, stream) => (cameraOf(stream) ? `${unit} · ${cameraOf(stream)}` : unit);

// `api(path)` returns parsed JSON (and handles an expired session); `agencyInfo(agency)` gives
// {label, color}; `onUnit(id)` shows a unit on the map when its tile's name is clicked.
export function createVideoDock({ api, agencyInfo, onUnit }) {
  const dock = $("video");
  const toggle = $("video-toggle");
  let feeds = []; // last answer of /api/v1/streams

  class DockWall extends PsnVideoWall {
    open(stream, unit) {
      const opening = super.open(stream, label(unit, stream));
      const { tile } = this.tiles.get(stream); // added before the WHEP exchange starts
      tile.style.setProperty("--agency", agencyInfo(stream.split(":")[0]).color);
      const name = tile.querySelector(".psn-label");
      name.title = "Show on map";
      name.onclick = () => onUnit(unit);
      tile.scrollIntoView({ block: "nearest" });
      renderFeeds();
      return opening;
    }

    async close(stream) {
      await super.close(stream);
      renderFeeds();
    }
  }
  const wall = new DockWall($("wall"));

  function show(visible) {
    dock.hidden = !visible;
    $("video-note").textContent = "";
    toggle.setAttribute("aria-expanded", String(visible));
    // A hidden tile would still pull and decode its feed: hiding the column ends every session.
    if (!visible) for (const stream of [...wall.tiles.keys()]) wall.close(stream);
  }

  function openStream(stream, unit) {
    show(true);
    wall.open(stream, unit);
  }

  // Every camera of the unit this dispatcher may watch. The list may be a poll behind the map's
  // camera badge, so ask again before saying there is none.
  async function openUnit(unitId) {
    const ofUnit = () => feeds.filter((f) => f.unit === unitId);
    if (!ofUnit().length) await poll();
    for (const f of ofUnit()) openStream(f.id, f.unit);
    if (!ofUnit().length) {
      show(true);
      $("video-note").textContent = `${unitId}: no live feed you may watch (ended, or not shared with your agency).`;
    }
  }

  function renderFeeds() {
    toggle.querySelector("b").textContent = feeds.length;
    toggle.classList.toggle("live", feeds.length > 0);
    const list = $("feeds");
    if (!feeds.length) {
      const empty = document.createElement("li");
      empty.className = "empty";
      empty.textContent = "No live feeds";
      list.replaceChildren(empty);
      return;
    }
    list.replaceChildren(
      ...feeds.map((f) => {
        const li = document.createElement("li");
        const button = li.appendChild(document.createElement("button"));
        button.type = "button";
        button.dataset.stream = f.id;
        button.style.setProperty("--agency", agencyInfo(f.agency).color);
        button.setAttribute("aria-pressed", String(wall.tiles.has(f.id)));
        button.textContent = label(f.unit, f.id);
        if (f.health?.degraded) button.insertAdjacentHTML("beforeend", ' <span class="psn-badge">degraded</span>');
        button.addEventListener("click", () => (wall.tiles.has(f.id) ? wall.close(f.id) : openStream(f.id, f.unit)));
        return li;
      }),
    );
  }

  async function poll() {
    try {
      const previous = new Set(feeds.map((f) => f.id));
      feeds = (await api("/api/v1/streams")).streams.sort((a, b) => a.id.localeCompare(b.id));
      // A feed that was live and has ended leaves a frozen picture: close its tile rather than mislead.
      const current = new Set(feeds.map((f) => f.id));
      for (const stream of wall.tiles.keys()) if (previous.has(stream) && !current.has(stream)) wall.close(stream);
      renderFeeds();
    } catch (err) {
      console.warn(err); // keep the last list; the next round will try again
    }
  }

  toggle.addEventListener("click", () => show(dock.hidden));
  $("video-close").addEventListener("click", () => show(false));
  renderFeeds();
  poll();
  setInterval(poll, POLL_MS);
  return { openUnit, wall };
}
