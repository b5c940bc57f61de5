// The web UI's booking outbox store: one IndexedDB record per booking request made with no
// network, keyed by its id (also its idempotency key). This file only keeps the records and
// says when the network is back; every decision about them is the wasm's (the same rules as the
// Parkway app's outbox).
(() => {
  const DB = 'parkway';
  const STORE = 'outbox';
  // The service worker's Background Sync tag (see sw.js).
  const SYNC_TAG = 'parkway-outbox';
  let opened;
  let wake = null;

  function open() {
    opened ??= new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'id' });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => {
        opened = undefined;
        reject(request.error);
      };
    });
    return opened;
  }

  // Runs `work` on the store in one transaction; resolves with its request's result once the
  // transaction has committed, so a record said to be kept is on disk.
  async function run(mode, work) {
    const db = await open();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  }

  window.parkwayOutbox = {
    // Oldest first, each record as its own JSON text, so that one the page cannot read spoils
    // no other.
    all: async () => {
      const records = (await run('readonly', (s) => s.getAll())) ?? [];
      records.sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
      return JSON.stringify(records.map((r) => JSON.stringify(r)));
    },
    put: (json) => run('readwrite', (s) => s.put(JSON.parse(json))),
    remove: (id) => run('readwrite', (s) => s.delete(id)),
    // Asks the service worker to wake a Parkway page when the network is back, where the
    // browser has Background Sync; elsewhere the page's `online` event and the next visit do.
    wakeWhenOnline: async () => {
      try {
        const registration = await navigator.serviceWorker?.getRegistration();
        await registration?.sync?.register(SYNC_TAG);
      } catch {
        // No service worker or no Background Sync: the other ways remain.
      }
    },
    // The page's sender: the latest one replaces the last (a renewed session makes a new one).
    onWake: (callback) => {
      wake = callback;
    },
  };

  window.addEventListener('online', () => wake?.());
  navigator.serviceWorker?.addEventListener('message', (event) => {
    if (event.data?.type !== 'parkway-outbox-sync') return;
    wake?.();
    event.ports[0]?.postMessage('sending');
  });
})();
