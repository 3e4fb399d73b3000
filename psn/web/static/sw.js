// Service worker of the officer's phone app (served as /phone/sw.js, scope /phone): the app shell, Leaflet
// and the offline base map are cached at install, so the page opens and draws its map and last assignment
// (kept by phone.js in localStorage) with the server unreachable. Nothing the officer sends passes here:
// phone.js keeps its own ordered outbox and flushes it when the link is back.
const CACHE = "psn-phone-v1";
const SHELL = [
  "/phone",
  "/phone/manifest.webmanifest",
  "/static/phone.js",
  "/static/phone.css",
  "/static/basemap.js",
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/data/belize/districts.geojson",
  "/static/data/belize/roads.geojson",
  "/static/data/belize/geonames-places.geojson",
  "/static/data/belize/places.geojson",
  "/static/icons/phone-192.png",
  "/static/icons/phone-512.png",
];
// On a weak radio link a request can hang for a minute; after this the cached copy is shown instead.
const NETWORK_WAIT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // The API is never cached here: what the page must keep (its unit, the last assignment) it keeps itself.
  if (url.pathname.startsWith("/api/")) return;
  event.respondWith(networkFirst(request, request.mode === "navigate"));
});

async function networkFirst(request, navigation) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), NETWORK_WAIT_MS);
    // A redirect (the session expired: /phone → /login) or an error is shown but never kept.
    if (response.ok && !response.redirected) await cache.put(request, response.clone());
    return response;
  } catch (err) {
    const cached = await cache.match(request, { ignoreSearch: navigation });
    if (cached) return cached;
    throw err;
  }
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (err) => { clearTimeout(timer); reject(err); },
    );
  });
}
