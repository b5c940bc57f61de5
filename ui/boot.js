// Starts the app: MapLibre first (its workers warm up while the wasm compiles), then the wasm.
import * as maplibregl from './maplibre-gl.mjs';
import init from './parkway_ui.js';

// MapLibre 6 is an ES module with no global; the wasm bindings look it up on window, and
// its worker URL must be absolute (it is empty under tauri:// otherwise).
window.maplibregl = maplibregl;
maplibregl.setWorkerUrl(new URL('maplibre-gl-worker.mjs', document.baseURI).href);
// Start MapLibre's workers while the wasm compiles, not once the map is created.
maplibregl.prewarm();
init({ module_or_path: new URL('parkway_ui_bg.wasm', document.baseURI) }).catch((e) => {
  const app = document.getElementById('app');
  const p = document.createElement('p');
  p.className = 'boot';
  p.textContent = 'Parkway could not start in this browser. Reload the page to try again.';
  app.replaceChildren(p);
  console.error(e);
});
