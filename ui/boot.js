// Starts the app: MapLibre first (its workers warm up while the wasm compiles), then the
// street map when the server has one, then the wasm.
import * as maplibregl from './maplibre-gl.mjs';
import init from './parkway_ui.js';

// MapLibre 6 is an ES module with no global; the wasm bindings look it up on window, and
// its worker URL must be absolute (it is empty under tauri:// otherwise).
window.maplibregl = maplibregl;
maplibregl.setWorkerUrl(new URL('maplibre-gl-worker.mjs', document.baseURI).href);
// Start MapLibre's workers while the wasm compiles, not once the map is created.
maplibregl.prewarm();
// The wasm downloads while the street map is looked for (the preload in index.html started it).
const wasm = fetch(new URL('parkway_ui_bg.wasm', document.baseURI));

// When a PMTiles archive is at hand and nothing else chose a style, the map draws its streets
// with the style `cargo xtask ui` made from the Protomaps basemap. Inside the app that is
// `map.pmtiles` in its data folder (the app's `parkway-tiles` scheme); else, or in a browser,
// the server's (PARKWAY_TILES). The style goes to the app as JSON text, in place of a style
// URL. Any failure (no archive, an old browser, a slow answer) leaves the built-in offline map.
async function streets() {
  const config = window.parkwayConfig ?? {};
  if (config.mapStyleUrl || localStorage.getItem('parkway.mapStyleUrl') || !window.pmtiles) return;
  const base = localStorage.getItem('parkway.apiBase') || config.apiBase || '';
  const places = [new URL(`${base.replace(/\/$/, '')}/tiles/map.pmtiles`, document.baseURI).href];
  const convert = window.__TAURI__?.core?.convertFileSrc;
  if (convert) places.unshift(convert('map.pmtiles', 'parkway-tiles'));
  const signal = AbortSignal.timeout(3000);
  const style = fetch(new URL('streets.json', document.baseURI), { signal });
  let archive;
  for (const place of places) {
    if (await isArchive(place, signal)) {
      archive = place;
      break;
    }
  }
  const answer = await style;
  if (!archive || !answer.ok) return;
  const json = await answer.json();
  json.sources.protomaps.url = `pmtiles://${archive}`;
  // Braces stay as they are: MapLibre fills them in for each font and range.
  json.glyphs = new URL('fonts/', document.baseURI).href + '{fontstack}/{range}.pbf';
  maplibregl.addProtocol('pmtiles', new window.pmtiles.Protocol().tile);
  config.mapStyleUrl = JSON.stringify(json);
}

// The first bytes, not just a 200: a server or app shell that answers unknown paths with its
// page must not pass for a map.
async function isArchive(url, signal) {
  try {
    const head = await fetch(url, { headers: { Range: 'bytes=0-6' }, signal });
    return head.ok && (await head.text()) === 'PMTiles';
  } catch {
    return false;
  }
}

// In a browser, the service worker keeps the app usable offline and receives Web Push (the
// Parkway app has its own offline store and notifications). Registered once the app has
// started and the page has loaded, when the browser is idle, so that caching the shell never
// competes with the first map.
function registerServiceWorker() {
  if (window.__TAURI__ || !('serviceWorker' in navigator)) return;
  const register = () =>
    navigator.serviceWorker.register(new URL('sw.js', document.baseURI), { scope: './' }).catch((e) => {
      console.warn('the service worker could not be registered; the app works online only', e);
    });
  const whenIdle = () => (window.requestIdleCallback ? requestIdleCallback(register) : setTimeout(register));
  if (document.readyState === 'complete') whenIdle();
  else window.addEventListener('load', whenIdle, { once: true });
}

streets()
  .catch(() => {})
  .then(() => init({ module_or_path: wasm }))
  .then(registerServiceWorker)
  .catch((e) => {
    const app = document.getElementById('app');
    const p = document.createElement('p');
    p.className = 'boot';
    p.textContent = 'Parkway could not start in this browser. Reload the page to try again.';
    app.replaceChildren(p);
    console.error(e);
  });
