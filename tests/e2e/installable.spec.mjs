// The web UI as an installable app, in headless Chromium against the real server: a booking
// made with the network off is kept in the browser and booked exactly once when the network is
// back; the manifest and the service worker pass Chromium's installability checks; and once
// visited, the app starts with its server gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, register, launchBrowser, launchProfile, shoot, assertAccessible } from './harness.mjs';

let server;
let browser;
let owner;
let driveway;

before(async () => {
  server = await startServer({
    // Web Push on, with RFC 8291's example key (public, for tests only), and the made-up push
    // service the fake subscription below points at.
    PARKWAY_VAPID_PRIVATE_KEY: 'q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94',
    PARKWAY_VAPID_SUBJECT: 'mailto:ops@parkway.test',
    PARKWAY_WEB_PUSH_ORIGINS: 'https://push.example.test',
  });
  owner = await register(server.url, 'Olivia Owner', ['owner']);
  driveway = await owner.api.post('/api/driveways', {
    title: 'Quiet driveway on Fell St',
    address: '100 Fell St, San Francisco',
    lat: 37.776,
    lng: -122.42,
    pricePerHourCents: 350,
    instantBook: false,
    timezone: 'America/Los_Angeles',
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signedIn(driver, options = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    baseURL: server.url,
    timezoneId: 'America/Los_Angeles',
    ...options,
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto('/signin');
  await page.getByLabel('Email').fill(driver.email);
  await page.getByLabel('Password').fill(driver.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return { context, page };
}

/** Tomorrow's date in San Francisco, as a date input takes it. */
function tomorrow() {
  const day = new Date(Date.now() + 24 * 3600 * 1000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Los_Angeles' }).format(day);
}

/** Fills the booking form: tomorrow at `start` for `hours` (each test its own time, so that
 * none takes another's slot, whenever the suite runs). */
async function chooseSlot(page, start, hours) {
  await page.getByLabel('Date', { exact: true }).fill(tomorrow());
  await page.getByLabel('Start', { exact: true }).fill(start);
  await page.getByRole('button', { name: `${hours} h`, exact: true }).click();
}

async function bookingsOn(driver, id) {
  const { items } = await driver.api.get('/api/bookings?limit=200');
  return items.filter((b) => b.driveway === id);
}

test('a booking made offline is kept in the browser and booked exactly once when the network is back', {
  timeout: 120_000,
}, async () => {
  const driver = await register(server.url, 'Dana Driver', ['driver']);
  const { context, page } = await signedIn(driver);
  try {
    await page.goto(`/driveways/${driveway.id}`);
    await page.getByRole('heading', { name: driveway.title }).waitFor();
    await chooseSlot(page, '08:00', 2);

    // The network goes; the request is kept in IndexedDB under its idempotency key.
    await context.setOffline(true);
    await page.getByRole('button', { name: 'Request to book' }).click();
    await page.getByRole('heading', { name: /Saved offline/ }).waitFor();
    const kept = await page.evaluate(async () => JSON.parse(await window.parkwayOutbox.all()).map((r) => JSON.parse(r)));
    assert.equal(kept.length, 1);
    assert.equal(kept[0].state, 'queued');
    assert.equal(kept[0].request.driveway, driveway.id);
    assert.deepEqual(await bookingsOn(driver, driveway.id), [], 'nothing reached the server');

    // My bookings lists it with the app's states.
    await page.getByRole('link', { name: 'See my bookings' }).click();
    const item = page.locator('.outbox-item');
    await item.locator('.badge', { hasText: 'Saved offline' }).waitFor();
    assert.equal(await item.getAttribute('data-state'), 'queued');
    await shoot(page, 'pwa-01-saved-offline');
    await assertAccessible(page, 'my bookings with a request saved offline');

    // The network is back: the page sends it by itself and shows it booked.
    await context.setOffline(false);
    await page.locator('.outbox-item[data-state="synced"]').waitFor({ timeout: 30_000 });
    await item.locator('.badge', { hasText: 'Booked' }).waitFor();
    let booked = await bookingsOn(driver, driveway.id);
    assert.equal(booked.length, 1, 'booked once');
    assert.equal(booked[0].status, 'pending');
    await shoot(page, 'pwa-02-booked-when-online');

    // A reload (the next visit) sends nothing again.
    await page.reload();
    await page.locator('.outbox-item[data-state="synced"]').waitFor();
    booked = await bookingsOn(driver, driveway.id);
    assert.equal(booked.length, 1, 'still booked once after the next visit');
  } finally {
    await context.close();
  }
});

test('a request kept while offline goes at the next visit when the page was closed', { timeout: 120_000 }, async () => {
  const driver = await register(server.url, 'Sam Driver', ['driver']);
  const { context, page } = await signedIn(driver);
  try {
    await page.goto(`/driveways/${driveway.id}`);
    await page.getByRole('heading', { name: driveway.title }).waitFor();
    await chooseSlot(page, '11:00', 1);
    await context.setOffline(true);
    await page.getByRole('button', { name: 'Request to book' }).click();
    await page.getByRole('heading', { name: /Saved offline/ }).waitFor();
    await page.close();
    assert.deepEqual(await bookingsOn(driver, driveway.id), []);

    await context.setOffline(false);
    const again = await context.newPage();
    await again.goto('/bookings');
    await again.locator('.outbox-item[data-state="synced"]').waitFor({ timeout: 30_000 });
    assert.equal((await bookingsOn(driver, driveway.id)).length, 1);
  } finally {
    await context.close();
  }
});

test('after a booking the driver turns on notifications: the browser is registered, a push shows, sign-out removes it', {
  timeout: 120_000,
}, async () => {
  const driver = await register(server.url, 'Pia Driver', ['driver']);
  const { context, page } = await signedIn(driver, { permissions: ['notifications'] });
  await fakePushSubscription(context);
  try {
    await page.goto(`/driveways/${driveway.id}`);
    await page.getByRole('heading', { name: driveway.title }).waitFor();
    // Never asked on load.
    assert.equal(await page.getByRole('button', { name: 'Turn on notifications' }).count(), 0);
    await bookAndPay(page, '13:00');

    await page.getByRole('button', { name: 'Turn on notifications' }).click();
    await page.getByText('Notifications are on for this device.').waitFor();
    await assertAccessible(page, 'booked, with notifications on');
    const devices = await driver.api.get('/api/devices');
    assert.deepEqual(devices.items.map((d) => d.platform), ['web']);

    // A push to the service worker shows its notification, one per booking. The worker must be
    // active to take it (it registers once the page is idle, and installs the shell first).
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    const cdp = await context.newCDPSession(page);
    const registered = new Promise((resolve) => cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const ours = registrations.find((r) => r.scopeURL.startsWith(server.url) && !r.isDeleted);
      if (ours) resolve(ours.registrationId);
    }));
    await cdp.send('ServiceWorker.enable');
    const registrationId = await registered;
    const bookingId = '5f0c6f1e-8d2a-4b7e-9c1d-2a3b4c5d6e7f';
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: new URL(server.url).origin,
      registrationId,
      data: JSON.stringify({ id: 7, type: 'booking_confirmed', title: 'Booking confirmed', body: 'See you at 13:00', data: { bookingId } }),
    });
    // Polled from here: `page.waitForFunction` takes an async predicate's promise itself as
    // truthy, and would answer before the worker has shown anything.
    const shownNotifications = () => page.evaluate(async () => {
      const all = await (await navigator.serviceWorker.ready).getNotifications();
      return all.map((n) => ({ title: n.title, body: n.body, tag: n.tag }));
    });
    await waitFor(async () => (await shownNotifications()).length > 0);
    assert.deepEqual(await shownNotifications(), [{ title: 'Booking confirmed', body: 'See you at 13:00', tag: `booking-${bookingId}` }]);

    // Signing out removes this browser from the driver's devices.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('link', { name: 'Sign in' }).first().waitFor();
    const again = await driver.api.post('/api/auth/login', { email: driver.email, password: driver.password });
    await waitFor(async () => (await driver.api.withToken(again.token).get('/api/devices')).items.length === 0);
  } finally {
    await context.close();
  }
});

/** A FAKE push subscription in every page of `context`: Chromium's real one needs Google's
 * push service, which this machine cannot reach. Its keys are RFC 8291's example browser's;
 * `window.pushUnsubscribed` says whether the page gave it up. */
async function fakePushSubscription(context) {
  await context.addInitScript(() => {
    const subscription = {
      toJSON: () => ({
        endpoint: 'https://push.example.test/send/e2e',
        expirationTime: null,
        keys: {
          p256dh: 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4',
          auth: 'BTBZMqHH6r4Tts7J_aSIgg',
        },
      }),
      unsubscribe: async () => {
        localStorage.setItem('e2e.pushUnsubscribed', 'yes');
        return true;
      },
    };
    PushManager.prototype.subscribe = async () => subscription;
    PushManager.prototype.getSubscription = async () => subscription;
  });
}

/** Books tomorrow at `start` for an hour on the test driveway, and pays with the simulated card. */
async function bookAndPay(page, start) {
  await chooseSlot(page, start, 1);
  await page.getByRole('button', { name: 'Request to book' }).click();
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: /^(Pay|Authorise) \$3\.50$/ }).click();
  await page.getByRole('heading', { name: /^(Payment received|Card authorised)$/ }).waitFor();
}

async function waitFor(check, ms = 20_000) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('a browser whose session ended elsewhere stops taking that user\'s pushes', { timeout: 120_000 }, async () => {
  const driver = await register(server.url, 'Lee Driver', ['driver']);
  const { context, page } = await signedIn(driver, { permissions: ['notifications'] });
  await fakePushSubscription(context);
  try {
    await page.goto(`/driveways/${driveway.id}`);
    await page.getByRole('heading', { name: driveway.title }).waitFor();
    await bookAndPay(page, '15:00');
    await page.getByRole('button', { name: 'Turn on notifications' }).click();
    await page.getByText('Notifications are on for this device.').waitFor();

    // The session is ended from elsewhere (another device, a stolen token revoked).
    const token = await page.evaluate(() => JSON.parse(localStorage.getItem('parkway.session')).token);
    await driver.api.withToken(token).post('/api/auth/logout');
    await page.reload();
    await page.getByRole('link', { name: 'Sign in' }).first().waitFor();
    await page.waitForFunction(() => localStorage.getItem('e2e.pushUnsubscribed') === 'yes');
    assert.equal(await page.evaluate(() => localStorage.getItem('parkway.pushDevice')), null);
  } finally {
    await context.close();
  }
});

// Last: it stops the server.
test('the page is installable, and once visited it starts with the server gone', { timeout: 120_000 }, async () => {
  // A profile of its own: Chromium offers to install apps only outside incognito windows.
  const context = await launchProfile({ viewport: { width: 1280, height: 900 }, baseURL: server.url });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => console.error('page error:', e.message));
  try {
    await page.goto('/');
    await page.getByRole('link', { name: 'Find parking' }).waitFor();
    // The service worker installs (the shell cached) and takes the page over.
    await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: 60_000 });

    const cdp = await context.newCDPSession(page);
    const manifest = await cdp.send('Page.getAppManifest');
    assert.deepEqual(manifest.errors, [], 'the manifest parses');
    assert.match(manifest.url, /manifest\.webmanifest$/);
    const parsed = JSON.parse(manifest.data);
    assert.equal(parsed.display, 'standalone');
    assert.deepEqual(parsed.icons.map((i) => i.sizes).sort(), ['192x192', '512x512']);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, [], 'Chromium finds nothing that stops installing it');

    // No server at all now: a reload still starts the app from the service worker's cache.
    await server.stop();
    server = null;
    await page.reload();
    await page.getByRole('link', { name: 'Find parking' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByText('Parkway could not start').count(), 0);
    await shoot(page, 'pwa-03-offline-start');
  } finally {
    await context.close();
  }
});
