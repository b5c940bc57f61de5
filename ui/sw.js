// Parkway's service worker: the app shell offline, Web Push, and Background Sync for the
// booking outbox.
//
// - The shell (the page, its scripts, the wasm, MapLibre, the styles and icons) is cached when
//   the worker installs; `cargo xtask ui` writes the list and a version made from the files'
//   contents below, so each build gets a cache of its own and the last one is dropped.
// - A page load goes to the network first and falls back to the cached page offline. Other
//   files of the shell come from the cache. The API, the WebSocket, photos and map tiles are
//   never cached here: they are someone's data, or too big.
// - A push shows its notification (one per booking: a newer one replaces it); a tap opens the
//   booking's page.
// - Background Sync: when the network is back, an open Parkway page is asked to send the
//   bookings kept offline. The page sends them itself, by the same rules as the app. With no
//   page open, they go at the next visit.
const VERSION = '__PARKWAY_BUILD__';
const SHELL = ['./', ...__PARKWAY_SHELL__];
const CACHE = `parkway-shell-${VERSION}`;
const SYNC_TAG = 'parkway-outbox';
// Never cached: data that is someone's, live connections, and large or ranged files.
const PASS_THROUGH = ['api/', 'ws', 'media/', 'tiles/', 'healthz'];

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // `no-cache`: asked again of the server, which answers 304 for a file the browser holds
      // already (the page just loaded it), so only what changed is downloaded, never a stale
      // file of the last build.
      await cache.addAll(SHELL.map((path) => new Request(path, { cache: 'no-cache' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('parkway-shell-') && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

function inScope(url) {
  const scope = new URL(self.registration.scope);
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return null;
  return url.pathname.slice(scope.pathname.length);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const path = inScope(new URL(request.url));
  if (path === null || PASS_THROUGH.some((prefix) => path.startsWith(prefix))) return;
  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request).catch(async () => (await caches.match('./', { cacheName: CACHE })) ?? Response.error()),
    );
    return;
  }
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const kept = await cache.match(request);
      if (kept) return kept;
      const answer = await fetch(request);
      // Files the shell list does not name (the map's glyphs) are kept once fetched.
      if (answer.ok && answer.status === 200) await cache.put(request, answer.clone());
      return answer;
    })(),
  );
});

// The server's push: {id, type, title, body, data: {bookingId, ...}}.
self.addEventListener('push', (event) => {
  let push = {};
  try {
    push = event.data?.json() ?? {};
  } catch {
    push = { body: event.data?.text() ?? '' };
  }
  const data = push.data ?? {};
  const options = {
    body: push.body ?? '',
    icon: 'icons/192x192.png',
    data: { type: push.type, ...data },
    // The reminder that a stay ends soon stays until it is seen.
    requireInteraction: push.type === 'booking_reminder',
  };
  if (data.bookingId) {
    options.tag = `booking-${data.bookingId}`;
    options.renotify = true;
  }
  event.waitUntil(self.registration.showNotification(push.title || 'Parkway', options));
});

// Where a tapped notification leads: the owner's dashboard for what happened on their
// driveway, else My bookings; a message opens its thread.
function pageFor(data) {
  const owner = data.as ? data.as === 'owner' : ['booking_created', 'booking_updated'].includes(data.type);
  const page = owner ? 'owner' : 'bookings';
  return data.type === 'message' && data.bookingId ? `${page}?talk=${data.bookingId}` : page;
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = new URL(pageFor(event.notification.data ?? {}), self.registration.scope).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      for (const client of windows) {
        if (inScope(new URL(client.url)) === null) continue;
        const shown = client.navigate ? await client.navigate(url).catch(() => null) : null;
        await (shown ?? client).focus();
        return;
      }
      await self.clients.openWindow(url);
    })(),
  );
});

self.addEventListener('sync', (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window' });
      await Promise.all(
        windows.map(
          (client) =>
            new Promise((resolve) => {
              const channel = new MessageChannel();
              channel.port1.onmessage = resolve;
              client.postMessage({ type: 'parkway-outbox-sync' }, [channel.port2]);
              // A page that does not answer (an old version) does not hold the sync forever.
              setTimeout(resolve, 10_000);
            }),
        ),
      );
    })(),
  );
});
