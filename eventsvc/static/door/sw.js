// The door's service worker (served as /organizer/door-sw.js, scope /organizer/events/): it keeps
// the door page and the site's static files, so that a door opened once online opens again
// without a network. The check-in list and the scans live in IndexedDB (store.js), not here; the
// API is never cached. Logging out clears these caches with the rest of the site's storage.
/* global workbox */
importScripts("/static/vendor/workbox-7.4.1/workbox-sw.js");

workbox.setConfig({ modulePathPrefix: "/static/vendor/workbox-7.4.1/", debug: false });
workbox.core.setCacheNameDetails({ prefix: "eventsvc-door" });
workbox.core.skipWaiting();
workbox.core.clientsClaim();

const { registerRoute } = workbox.routing;
const { NetworkFirst, StaleWhileRevalidate } = workbox.strategies;
const { CacheableResponsePlugin } = workbox.cacheableResponse;
const { ExpirationPlugin } = workbox.expiration;

// The door page of an event: the network first (it carries the session's CSRF token and the
// latest words), the kept copy when there is no answer within a few seconds.
registerRoute(
  ({ request, url }) => request.mode === "navigate" && /^\/organizer\/events\/[^/]+\/door$/.test(url.pathname),
  new NetworkFirst({
    cacheName: "eventsvc-door-pages",
    networkTimeoutSeconds: 4,
    plugins: [new CacheableResponsePlugin({ statuses: [200] }), new ExpirationPlugin({ maxEntries: 10 })],
  }),
);

// The scripts, styles, icons and the manifest the page needs.
registerRoute(
  ({ url }) => url.origin === self.location.origin
    && (url.pathname.startsWith("/static/") || /^\/organizer\/events\/[^/]+\/door\.webmanifest$/.test(url.pathname)),
  new StaleWhileRevalidate({
    cacheName: "eventsvc-door-static",
    // Pages ask for /static/site.css?v=<hash> (eventsvc/assets.py); the files kept at install
    // have no ?v=: match them all the same.
    matchOptions: { ignoreSearch: true },
    plugins: [new CacheableResponsePlugin({ statuses: [200] }), new ExpirationPlugin({ maxEntries: 60 })],
  }),
);

// What the door needs besides its page, kept at install: a door opened once must open again
// offline, though the page's first load came before this worker was there to see it.
const DOOR_FILES = [
  "/static/site.css", "/static/favicon.svg",
  "/static/door/door.js", "/static/door/api.js", "/static/door/chart.js", "/static/door/codes.js",
  "/static/door/decide.js",
  "/static/door/memory-store.js", "/static/door/repeats.js", "/static/door/scanner.js",
  "/static/door/search.js", "/static/door/store.js", "/static/door/sync.js", "/static/door/ui.js",
  "/static/door/decoder-worker.js", "/static/door/icon-192.png", "/static/door/icon-512.png",
  "/static/vendor/idb-8.0.4/idb.js", "/static/vendor/jsqr-1.4.0/jsQR.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open("eventsvc-door-static").then((cache) => cache.addAll(DOOR_FILES)));
});

// The page asks for itself to be kept (its first load was not seen by this worker).
self.addEventListener("message", (event) => {
  const url = event.data && event.data.keepPage;
  if (!url || new URL(url).origin !== self.location.origin) return;
  event.waitUntil(fetch(url, { credentials: "same-origin" }).then((response) => {
    if (response.ok) return caches.open("eventsvc-door-pages").then((cache) => cache.put(url, response));
    return undefined;
  }));
});
