// Benchmark: time from navigation to the first driveway markers drawn on the map, in headless
// Chromium against the real server holding 10,000 driveways, plus the gzipped size of what the
// UI ships. Not a test (no thresholds): it prints the figures and writes target/bench/ui.json.
//
//   node first-markers.bench.mjs            (PARKWAY_SERVER_BIN, PARKWAY_UI_DIR as for the tests)
import { gzipSync } from 'node:zlib';
import { readFileSync, readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, register, launchBrowser, root } from './harness.mjs';

const DRIVEWAYS = Number(process.env.BENCH_DRIVEWAYS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const CENTER = { lat: 37.7749, lng: -122.4194 };

function sizes(dist) {
  const out = { ui: { raw: 0, gzip: 0 }, maplibre: { raw: 0, gzip: 0 }, files: {} };
  for (const name of readdirSync(dist)) {
    const data = readFileSync(join(dist, name));
    const gz = gzipSync(data, { level: 9 }).length;
    out.files[name] = { raw: data.length, gzip: gz };
    const bucket = name.startsWith('maplibre-gl') ? out.maplibre : out.ui;
    bucket.raw += data.length;
    bucket.gzip += gz;
  }
  return out;
}

async function seed(base) {
  const owner = await register(base, 'Bench Owner', ['owner']);
  // A deterministic spread over about 20 km × 20 km around the centre.
  let seedValue = 42;
  const random = () => ((seedValue = (seedValue * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let next = 0;
  const started = Date.now();
  async function worker() {
    while (next < DRIVEWAYS) {
      const i = next++;
      await owner.api.post('/api/driveways', {
        title: `Driveway ${i}`,
        address: `${i} Bench St, San Francisco`,
        lat: CENTER.lat + (random() - 0.5) * 0.18,
        lng: CENTER.lng + (random() - 0.5) * 0.22,
        pricePerHourCents: 150 + Math.floor(random() * 900),
        instantBook: i % 3 === 0,
      });
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker));
  return (Date.now() - started) / 1000;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await startServer();
const browser = await launchBrowser();
try {
  const seedSeconds = await seed(server.url);
  console.log(`seeded ${DRIVEWAYS} driveways in ${seedSeconds.toFixed(1)} s`);
  const times = [];
  let markers = 0;
  for (let run = 0; run < RUNS; run++) {
    // A fresh context each time: nothing cached from the previous run.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(server.url + '/');
    await page.waitForFunction(() => document.querySelector('.map')?.dataset.firstMarkersMs, null, { timeout: 30_000 });
    const ms = Number(await page.locator('.map').getAttribute('data-first-markers-ms'));
    await page.waitForFunction(() => Number(document.querySelector('.map')?.dataset.markers ?? 0) > 0, null, { timeout: 30_000 });
    markers = Number(await page.locator('.map').getAttribute('data-markers'));
    times.push(ms);
    console.log(`run ${run + 1}: first markers after ${ms} ms (${markers} on screen)`);
    await context.close();
  }
  const dist = process.env.PARKWAY_UI_DIR ?? join(root, 'ui', 'dist');
  const report = {
    driveways: DRIVEWAYS,
    runs: RUNS,
    firstMarkersMs: { median: median(times), min: Math.min(...times), max: Math.max(...times), all: times },
    markersOnScreen: markers,
    sizes: sizes(dist),
  };
  const wasm = report.sizes.files['parkway_ui_bg.wasm'];
  const js = report.sizes.files['parkway_ui.js'];
  console.log(`first markers: median ${report.firstMarkersMs.median} ms (min ${report.firstMarkersMs.min}, max ${report.firstMarkersMs.max})`);
  console.log(`UI wasm ${(wasm.gzip / 1000).toFixed(1)} KB gzipped, UI JS ${(js.gzip / 1000).toFixed(1)} KB gzipped, ` +
    `MapLibre ${(report.sizes.maplibre.gzip / 1000).toFixed(1)} KB gzipped`);
  mkdirSync(join(root, 'target', 'bench'), { recursive: true });
  writeFileSync(join(root, 'target', 'bench', 'ui.json'), JSON.stringify(report, null, 2));
} finally {
  await browser.close();
  await server.stop();
}
