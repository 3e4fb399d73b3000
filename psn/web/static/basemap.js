// Offline base map of Belize from the layers shipped in static/data/belize: districts, roads and
// settlements, with labels that never pile up. No tile server is needed (field sites have none).

const DATA = "/static/data/belize/";
const BELIZE = [[15.8, -89.3], [18.6, -87.4]];
const ATTRIBUTION =
  '<a href="/static/data/belize/ATTRIBUTION.md" target="_blank">© OpenStreetMap contributors (ODbL)' +
  " · geoBoundaries (CC BY 4.0) · GeoNames (CC BY 4.0)</a>";

// The Leaflet map in #map of the live map, traffic and network views, fitted to Belize, with its attribution,
// scale and `panes` ([name, z-index], one of them "labels", which never takes the pointer).
export function belizeMap(panes) {
  const map = L.map("map", {
    zoomSnap: 0.25,
    minZoom: 6,
    maxZoom: 18,
    maxBounds: [[14.3, -91.0], [20.0, -85.8]],
    attributionControl: false,
    zoomControl: !L.Browser.mobile, // phones pinch; the buttons only cover the map
  });
  L.control.attribution({ prefix: false }).addAttribution(ATTRIBUTION).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  for (const [name, z] of panes) map.createPane(name).style.zIndex = z;
  map.getPane("labels").style.pointerEvents = "none";
  map.fitBounds(BELIZE);
  // The header can change height (sign-in name arriving, chips wrapping); Leaflet only watches the window.
  new ResizeObserver(() => map.invalidateSize()).observe(map.getContainer());
  return map;
}
const FILES = ["districts.geojson", "roads.geojson", "geonames-places.geojson", "places.geojson"];

// Leaflet treats string content as HTML; names from data files and the wire stay plain text.
export const text = (s) => document.createTextNode(s);

export async function getJSON(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

// Draws every layer that loads (one missing file must not blank the whole map), then rejects
// naming the ones that did not.
export async function loadBaseMap(map) {
  const results = await Promise.allSettled(FILES.map((f) => getJSON(DATA + f)));
  const none = { type: "FeatureCollection", features: [] };
  const [districts, roads, geonames, osmPlaces] = results.map((r) => r.value ?? none);
  const labels = new Labels(map);
  L.geoJSON(districts, {
    interactive: false,
    style: { className: "district", color: "#59616d", weight: 1.2, fillColor: "#f4f1e8", fillOpacity: 1 },
    onEachFeature: (f, layer) => labels.add(layer.getBounds().getCenter(), f.properties.name, "lbl-district", 0, 2.5),
  }).addTo(map);
  drawRoads(map, roads);
  for (const [latlng, name] of [
    [[18.75, -88.6], "MEXICO"],
    [[16.9, -89.55], "GUATEMALA"],
    [[16.55, -87.8], "Caribbean Sea"],
  ]) {
    labels.add(latlng, name, "lbl-region", 0, -1);
  }
  for (const p of mergePlaces(geonames, osmPlaces)) {
    const latlng = [p.coords[1], p.coords[0]];
    const dot = L.circleMarker(latlng, {
      interactive: false,
      radius: p.rank <= 1 ? 3.5 : 2.5,
      className: "place",
      color: "#263238",
      weight: 1,
      fillColor: p.rank <= 2 ? "#263238" : "#ffffff",
      fillOpacity: 1,
    });
    labels.add(latlng, p.name, `lbl-place lbl-rank${p.rank}`, RANK_MIN_ZOOM[p.rank], p.rank, dot);
  }
  labels.declutter();
  map.on("zoomend", () => labels.declutter());
  const failed = FILES.filter((_, i) => results[i].status === "rejected");
  if (failed.length) throw new Error(`missing ${failed.join(", ")}`);
}

// Roads are drawn twice (dark casing, light fill) so they read on the pale land without
// competing with the agency colours of the units; they widen as the map zooms in.
function drawRoads(map, roads) {
  const isTrunk = (f) => f.properties.class === "trunk";
  const roadStyle = (casing) => (f) => {
    const z = map.getZoom();
    const scale = z >= 12 ? 1.8 : z >= 10 ? 1.3 : 1;
    return {
      className: casing ? "road-casing" : `road road-${f.properties.class}`,
      color: casing ? "#8c7a5b" : isTrunk(f) ? "#ffd37a" : "#ffffff",
      weight: ((isTrunk(f) ? 3.5 : 2) + (casing ? 2 : 0)) * scale,
      opacity: 1,
    };
  };
  for (const casing of [true, false]) {
    const layer = L.geoJSON(roads, { interactive: false, style: roadStyle(casing) }).addTo(map);
    map.on("zoomend", () => layer.setStyle(roadStyle(casing)));
  }
}

// Base-map labels, most important first. A label shows once the map is zoomed in to its
// minZoom and only if it does not overlap a label already placed: no pile-ups at any zoom.
class Labels {
  constructor(map) {
    this.map = map;
    this.items = []; // {tip, dot, minZoom, priority}
  }

  add(latlng, name, className, minZoom, priority, dot = null) {
    const tip = L.tooltip({
      permanent: true,
      direction: dot ? "right" : "center",
      offset: dot ? [4, 0] : [0, 0],
      className: `lbl ${className}`,
      pane: "labels",
    });
    tip.setLatLng(latlng).setContent(text(name)).addTo(this.map);
    dot?.addTo(this.map);
    this.items.push({ tip, dot, minZoom, priority });
  }

  declutter() {
    const z = this.map.getZoom();
    const items = this.items.sort((a, b) => a.priority - b.priority);
    const wanted = items.filter((l) => z >= l.minZoom);
    for (const l of items) l.tip.getElement().style.display = "";
    const rects = wanted.map((l) => l.tip.getElement().getBoundingClientRect()); // one layout pass
    const placed = [];
    const shown = new Set();
    wanted.forEach((l, i) => {
      const r = rects[i];
      if (!placed.some((q) => r.left < q.right && q.left < r.right && r.top < q.bottom && q.top < r.bottom)) {
        placed.push(r);
        shown.add(l);
      }
    });
    for (const l of items) {
      const display = shown.has(l) ? "" : "none";
      l.tip.getElement().style.display = display;
      if (l.dot) l.dot.getElement().style.display = display;
    }
  }
}

// GeoNames has the fuller settlement list; OSM's kind says which are cities and towns. Neither
// carries population, so the district capitals and San Pedro are named here to rank as towns.
// rank: 0 city, 1 main town, 2 other town, 3 village, 4 hamlet/suburb.
const RANK_MIN_ZOOM = [0, 7.5, 9.5, 11, 12.5];
const MAIN_TOWNS = /^(Corozal|Orange Walk|San Ignacio|Dangriga|Punta Gorda|San Pedro|Benque Viejo)/;
const SAME_PLACE_DEG = 0.02; // ~2 km: the two sources put a town's point slightly differently
const baseName = (name) => name.toLowerCase().replace(/ town$/, "");

function mergePlaces(geonames, osmPlaces) {
  const places = geonames.features.map((f) => ({
    name: f.properties.name,
    coords: f.geometry.coordinates,
    rank: f.properties.kind !== "town" ? 3 : MAIN_TOWNS.test(f.properties.name) ? 1 : 2,
  }));
  for (const f of osmPlaces.features) {
    const { name, kind } = f.properties;
    const rank = { city: 0, town: 1, village: 3 }[kind] ?? 4;
    const [lon, lat] = f.geometry.coordinates;
    const same = places.find(
      (p) =>
        baseName(p.name) === baseName(name) ||
        (Math.abs(p.coords[0] - lon) < SAME_PLACE_DEG && Math.abs(p.coords[1] - lat) < SAME_PLACE_DEG),
    );
    if (!same) places.push({ name, coords: [lon, lat], rank });
    else if (rank <= same.rank) {
      // Keep the GeoNames point (a town centre, not an outline's centroid) but the OSM name,
      // which is the locally used one ("Benque Viejo del Carmen", "Dangriga Town").
      Object.assign(same, { name, rank });
    }
  }
  return places;
}
