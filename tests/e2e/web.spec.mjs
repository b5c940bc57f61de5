// The web UI end to end: headless Chromium against the real server with a fresh SQLite file.
// A driver signs up, pans the map, sees markers, books with a quick duration, pays with the
// simulated card (after a decline), and finds the booking in My bookings; the owner confirms it
// and the driver's page shows it live over the WebSocket; the driver extends the stay, pays the
// extension and the owner confirms it too. Screenshots go to
// target/e2e-screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, register, launchBrowser, shoot, assertAccessible, png } from './harness.mjs';
import { streetArchive } from './street-archive.mjs';

// San Francisco, where the map opens by default.
const CENTER = { lat: 37.7749, lng: -122.4194 };

let server;
let browser;
let owner;
const driveways = [];

// The built-in places of this server: a few cities, so the place search is predictable.
const PLACES = [
  'name\talternates\tregion\tcountry_code\tcountry\tlat\tlng\tpopulation',
  'Oakland\t\tCA\tUS\tUnited States\t37.80437\t-122.27080\t419267',
  'Oakley\t\tCA\tUS\tUnited States\t37.99742\t-121.71245\t42895',
  'Oakland\t\tTN\tUS\tUnited States\t35.22898\t-89.51508\t7488',
  'San Francisco\t\tCA\tUS\tUnited States\t37.77493\t-122.41942\t864816',
].join('\n');

before(async () => {
  const places = join(mkdtempSync(join(tmpdir(), 'parkway-places-')), 'cities.tsv');
  writeFileSync(places, PLACES);
  server = await startServer({ PARKWAY_PLACES: places });
  owner = await register(server.url, 'Olivia Owner', ['owner']);
  const spots = [
    { title: 'Quiet driveway on Fell St', dLat: 0.002, dLng: -0.003, cents: 350, instant: false },
    { title: 'Covered spot near Civic Center', dLat: -0.003, dLng: 0.002, cents: 500, instant: true },
    { title: 'Wide driveway by the park', dLat: 0.004, dLng: 0.004, cents: 275, instant: false },
    { title: 'Garage apron on Hayes', dLat: -0.001, dLng: -0.006, cents: 425, instant: true },
  ];
  for (const s of spots) {
    driveways.push(await owner.api.post('/api/driveways', {
      title: s.title,
      address: `${100 + driveways.length} Example St, San Francisco`,
      lat: CENTER.lat + s.dLat,
      lng: CENTER.lng + s.dLng,
      pricePerHourCents: s.cents,
      instantBook: s.instant,
      timezone: 'America/Los_Angeles',
      accessInstructions: 'Gate code 2468. Park on the left, close to the fence.',
    }));
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A new browser context (own storage) with a page on the server. */
async function newPage(viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({
    viewport,
    baseURL: server.url,
    timezoneId: 'America/Los_Angeles',
    geolocation: { latitude: CENTER.lat + 0.001, longitude: CENTER.lng + 0.001 },
    permissions: ['geolocation'],
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return page;
}

async function markersOnMap(page) {
  await page.waitForFunction(() => Number(document.querySelector('.map')?.dataset.markers ?? 0) > 0, null, { timeout: 20_000 });
  return Number(await page.locator('.map').getAttribute('data-markers'));
}

test('a driver books and pays, the owner confirms, the driver sees it live', { timeout: 180_000 }, async () => {
  const page = await newPage();

  // Sign up as a driver.
  await page.goto('/signup');
  await page.getByLabel('Name').fill('Dana Driver');
  await page.getByLabel('Email').fill(`dana.${Date.now()}@parkway.test`);
  await page.getByLabel('Password').fill('parkway-e2e');
  await shoot(page, '01-sign-up');
  await assertAccessible(page, 'sign up');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  // The car that will park: its plate is normalised, and it becomes the default.
  await page.getByRole('link', { name: 'Vehicles' }).click();
  await page.getByLabel('Plate').fill('7abc-123');
  await page.getByLabel('Name (optional)').fill('Blue hatchback');
  await page.getByRole('button', { name: 'Add vehicle' }).click();
  await page.locator('.vehicle', { hasText: '7ABC123' }).getByText('Default').waitFor();
  await shoot(page, '01b-vehicles');
  await assertAccessible(page, 'vehicles');
  await page.getByRole('link', { name: 'Find parking' }).click();

  // The map shows markers and the list the same driveways.
  const first = await markersOnMap(page);
  assert.ok(first >= 3, `expected markers on the map, saw ${first}`);
  await page.locator('.result').first().waitFor();
  assert.equal(await page.locator('.result').count(), driveways.length);
  await shoot(page, '02-search');
  await assertAccessible(page, 'search');

  // Pan the map: a new search runs for the new area and the markers are still there.
  const canvas = page.locator('.map canvas');
  const box = await canvas.boundingBox();
  const searched = page.waitForResponse((r) => r.url().includes('/api/driveways?bbox='));
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 - 120, box.y + box.height / 2 + 60, { steps: 8 });
  await page.mouse.up();
  await searched;
  assert.ok(await markersOnMap(page) > 0);

  // Selecting in the list highlights it (and the map shows a popup).
  const target = driveways[0];
  const card = page.locator(`.result[data-id="${target.id}"]`);
  await card.locator('.result-main').click();
  await page.waitForSelector(`.result.selected[data-id="${target.id}"]`);
  await page.locator('.maplibregl-popup').waitFor();
  await shoot(page, '03-search-selected');

  // Book with a quick duration: the total is core's price for 2 hours.
  await card.getByRole('link', { name: 'Book' }).click();
  await page.getByRole('heading', { name: target.title }).waitFor();
  await page.getByRole('button', { name: '2 h', exact: true }).click();
  assert.equal(await page.getByRole('button', { name: '2 h', exact: true }).getAttribute('aria-pressed'), 'true');
  const total = `$${(target.pricePerHourCents * 2 / 100).toFixed(2)}`;
  assert.equal(await page.getByTestId('total').textContent(), total);
  assert.equal(await page.getByLabel('Vehicle').inputValue() !== '', true, 'the default vehicle is picked');
  assert.match(await page.locator('#b-vehicle option:checked').textContent(), /7ABC123 — Blue hatchback/);
  await page.getByLabel('Special requests (optional)').fill('Small blue hatchback');
  await shoot(page, '04-booking-form');
  await assertAccessible(page, 'booking form');
  const created = page.waitForResponse((r) => r.url().endsWith('/api/bookings') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Request to book' }).click();
  const bookingAnswer = await created;
  assert.equal(bookingAnswer.status(), 201);
  const sent = bookingAnswer.request();
  assert.ok(sent.headers()['idempotency-key'], 'the booking carries an Idempotency-Key');
  assert.equal(JSON.parse(sent.postData()).expectedTotalCents, target.pricePerHourCents * 2);

  // Pay: the simulated card form, a decline first, then the card that pays.
  await page.getByText('Simulated — no money moves').waitFor();
  await page.getByLabel('Card number').fill('4000 0000 0000 0002');
  await page.getByRole('button', { name: new RegExp(`^(Pay|Authorise) \\${total}$`) }).click();
  await page.locator('.payment .error-banner', { hasText: 'Your card was declined' }).waitFor();
  await shoot(page, '05-payment-declined');
  await assertAccessible(page, 'payment');
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: new RegExp(`^(Pay|Authorise) \\${total}$`) }).click();
  // A request to book starting within 5 days is authorised now and charged when confirmed.
  await page.getByRole('heading', { name: /^(Payment received|Card authorised)$/ }).waitFor();
  await shoot(page, '06-paid');

  // My bookings: pending (the owner has not confirmed yet), paid.
  await page.getByRole('link', { name: 'See my bookings' }).click();
  const booking = page.locator('.booking').first();
  await booking.waitFor();
  await booking.locator('[data-status="pending"], .badge', { hasText: 'Pending' }).first().waitFor();
  await booking.getByText(/^(Paid|Card authorised)$/).waitFor();
  await shoot(page, '07-my-bookings-pending');
  await assertAccessible(page, 'my bookings');

  // The owner signs in and confirms the request on the dashboard.
  const ownerPage = await newPage();
  await ownerPage.goto('/signin');
  await ownerPage.getByLabel('Email').fill(owner.email);
  await ownerPage.getByLabel('Password').fill(owner.password);
  await ownerPage.getByRole('button', { name: 'Sign in' }).click();
  await ownerPage.waitForURL((u) => u.pathname === '/owner');
  const request = ownerPage.locator('#requests .booking').first();
  await request.waitFor();
  await request.getByText('Small blue hatchback').waitFor();
  await request.getByText('Vehicle: 7ABC123 (Blue hatchback)').waitFor();
  await shoot(ownerPage, '08-owner-dashboard');
  await assertAccessible(ownerPage, 'owner dashboard');
  await request.getByRole('button', { name: 'Confirm' }).click();
  await ownerPage.locator('#upcoming .booking').first().waitFor();
  await shoot(ownerPage, '09-owner-confirmed');

  // The owner's earnings list the paid booking with Parkway's fee taken off, not yet settled.
  await ownerPage.getByRole('link', { name: 'Earnings' }).click();
  await ownerPage.waitForURL((u) => u.pathname === '/owner/earnings');
  const line = ownerPage.locator('#earning-lines tbody tr').first();
  await line.waitFor();
  await line.getByText('Upcoming').waitFor();
  await ownerPage.getByRole('list', { name: 'Net earnings per month' }).waitFor();
  await shoot(ownerPage, '09b-owner-earnings');
  // Payout details through the simulated provider's page, and back to the earnings.
  await ownerPage.getByRole('button', { name: 'Add payout details' }).click();
  await ownerPage.getByText('Simulated — no money moves').waitFor();
  await ownerPage.getByRole('button', { name: 'Finish onboarding' }).click();
  await ownerPage.waitForURL((u) => u.pathname === '/owner/earnings');
  await ownerPage.locator('#payouts-on').waitFor();
  await shoot(ownerPage, '09c-owner-payouts-on');

  // The driver's page changes by itself: a toast from the WebSocket, the booking confirmed,
  // and the access instructions shown.
  await page.locator('.toast', { hasText: /confirmed/i }).first().waitFor({ timeout: 10_000 });
  await page.locator('.booking[data-status="confirmed"]').waitFor({ timeout: 10_000 });
  await page.getByText('Gate code 2468').waitFor();
  await page.locator('.booking').first().getByText('Paid', { exact: true }).waitFor();
  await shoot(page, '10-driver-live-confirmed');

  // The driver and the owner talk about the stay: the owner's thread is open when the driver
  // writes, and each sees the other's message arrive live.
  await ownerPage.getByRole('link', { name: 'Dashboard', exact: true }).click();
  const ownerCard = ownerPage.locator('#upcoming .booking').first();
  await ownerCard.getByRole('button', { name: 'Messages', exact: true }).click();
  await ownerCard.getByText('No messages yet.').waitFor();
  const driverCard = page.locator('.booking').first();
  await driverCard.getByRole('button', { name: 'Messages', exact: true }).click();
  await driverCard.getByLabel('Write a message').fill('Where do I park?');
  await driverCard.getByRole('button', { name: 'Send', exact: true }).click();
  await driverCard.getByRole('log').getByText('Where do I park?').waitFor();
  await ownerCard.getByRole('log').getByText('Where do I park?').waitFor({ timeout: 10_000 });
  await ownerCard.getByLabel('Write a message').fill('Right behind the blue gate.');
  await ownerCard.getByRole('button', { name: 'Send', exact: true }).click();
  await driverCard.getByRole('log').getByText('Right behind the blue gate.').waitFor({ timeout: 10_000 });
  assert.equal(await driverCard.getByLabel('Write a message').inputValue(), '');
  await shoot(page, '10a-messages');
  await assertAccessible(page, 'messages');
  await driverCard.getByRole('button', { name: 'Messages', exact: true }).click();
  // With the driver's thread closed, the owner's next message comes as a toast whose Reply
  // opens the thread, caret in the box; reading it there clears the toast.
  await ownerCard.getByLabel('Write a message').fill('The gate code is 2468.');
  await ownerCard.getByRole('button', { name: 'Send', exact: true }).click();
  const toast = page.locator('.toast', { hasText: 'The gate code is 2468.' });
  await toast.getByRole('link', { name: 'Reply', exact: true }).click();
  await driverCard.getByRole('log').getByText('The gate code is 2468.').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.labels?.[0]?.textContent), 'Write a message');
  await toast.waitFor({ state: 'detached' });
  await driverCard.getByRole('button', { name: 'Messages', exact: true }).click();
  await ownerCard.getByRole('button', { name: 'Messages', exact: true }).click();

  // The driver stays an hour longer: the form proposes one more hour and shows core's extra
  // for it before anything is sent; the extension is a booking of its own, paid with its Pay
  // button, and (the driveway is request-to-book) confirmed by the owner.
  await page.locator('.booking').first().getByRole('button', { name: 'Extend', exact: true }).click();
  await page.getByLabel('Stay until').waitFor();
  const extra = `$${(target.pricePerHourCents / 100).toFixed(2)}`;
  assert.equal(await page.getByTestId('extra').textContent(), extra);
  await shoot(page, '10b-extend');
  await assertAccessible(page, 'extend form');
  const extendedAnswer = page.waitForResponse((r) => r.url().endsWith('/extend') && r.request().method() === 'POST');
  await page.getByRole('button', { name: `Extend for ${extra}` }).click();
  const extendAnswer = await extendedAnswer;
  assert.equal(extendAnswer.status(), 201);
  assert.ok(extendAnswer.request().headers()['idempotency-key'], 'the extension carries an Idempotency-Key');
  assert.equal(JSON.parse(extendAnswer.request().postData()).expectedExtraCents, target.pricePerHourCents);
  const extension = page.locator('.booking', { hasText: 'Extends your stay to' });
  await extension.getByText('Extension', { exact: true }).waitFor();
  await extension.getByRole('button', { name: 'Pay now' }).click();
  await page.getByLabel('Card number').fill('4242 4242 4242 4242');
  await page.getByRole('button', { name: new RegExp(`^(Pay|Authorise) \\${extra}$`) }).click();
  await extension.getByText(/^(Paid|Card authorised)$/).waitFor();

  await ownerPage.getByRole('link', { name: 'Dashboard', exact: true }).click();
  const extensionRequest = ownerPage.locator('#requests .booking', { hasText: 'Extension request' });
  await extensionRequest.getByRole('button', { name: 'Confirm' }).click();
  await ownerPage.locator('#upcoming .booking', { hasText: 'Extends the driver' }).waitFor();

  await page.locator('.booking[data-status="confirmed"]', { hasText: 'Extends your stay to' }).waitFor({ timeout: 10_000 });
  await extension.getByText('Paid', { exact: true }).waitFor();
  await shoot(page, '10c-extension-confirmed');

  // Someone else books from half an hour after the new end: asking for another hour says how
  // far the stay can still go, and one click takes that end instead, priced again.
  const extendedEnd = new Date((await extendAnswer.json()).endTime).getTime();
  const other = await register(server.url, 'Otto Other', ['driver']);
  await other.api.post('/api/bookings', {
    driveway: target.id,
    startTime: new Date(extendedEnd + 30 * 60_000).toISOString(),
    endTime: new Date(extendedEnd + 90 * 60_000).toISOString(),
  });
  await extension.getByRole('button', { name: 'Extend', exact: true }).click();
  await page.getByRole('button', { name: `Extend for ${extra}` }).click();
  await page.getByText(/^That time is taken\. The driveway is free until \d\d:\d\d only\.$/).waitFor();
  await shoot(page, '10d-extend-taken');
  await page.getByRole('button', { name: /^Stay until \d\d:\d\d$/ }).click();
  assert.equal(await page.getByTestId('extra').textContent(), `$${(target.pricePerHourCents / 200).toFixed(2)}`);
  await page.getByRole('button', { name: 'Keep my time' }).click();

  // The receipt opens as a page of its own, numbered, with the vehicle that parks, and shows
  // both payments of the extended stay.
  const [receipt] = await Promise.all([
    page.waitForEvent('popup'),
    page.locator('.booking').first().getByRole('button', { name: 'Receipt' }).click(),
  ]);
  await receipt.waitForLoadState();
  const receiptText = await receipt.locator('body').innerText();
  assert.match(receiptText, /\d{4}-\d{6}/, 'a receipt number');
  assert.match(receiptText, /7ABC123/, 'the plate');
  assert.ok(receiptText.includes(target.title), 'the driveway');
  const payments = receipt.locator('table.money tbody th', { hasText: /^Payment$/ });
  assert.equal(await payments.count(), 2, 'the booking\'s payment and the extension\'s');
  await receipt.close();

  // The bell has the notifications.
  await page.getByRole('button', { name: /Notifications/ }).click();
  await page.locator('.inbox-item').first().waitFor();
  await shoot(page, '11-inbox');
  await assertAccessible(page, 'notifications');
  await page.getByRole('button', { name: /Notifications/ }).click();

  // Cancelling shows the refund first (a full refund: within 10 minutes of booking).
  await page.getByRole('button', { name: 'Cancel booking' }).click();
  await page.getByText(`Full refund: ${total} back.`).waitFor();
  await shoot(page, '12-cancel-refund');
  await page.getByRole('button', { name: 'Keep it' }).click();

  await ownerPage.context().close();
  await page.context().close();
});

test('the demo owner adds payout details and sees settled money transferred, paid out and downloadable', {
  timeout: 120_000,
}, async () => {
  // The demo's first owner has six past, paid stays; the job runs every second.
  const demo = await startServer({ PARKWAY_DEMO: '1', PARKWAY_JOB_INTERVAL_SECS: '1' });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: demo.url });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  try {
    await page.goto('/signin');
    await page.getByLabel('Email').fill('olivia@parkway.demo');
    await page.getByLabel('Password').fill('parkway-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/owner');
    await page.getByRole('link', { name: 'Earnings' }).click();
    const rows = page.locator('#earning-lines tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 6);
    assert.equal(await rows.filter({ hasText: 'Waiting for payout details' }).count(), 6);
    await assertAccessible(page, 'earnings before onboarding');

    await page.getByRole('button', { name: 'Add payout details' }).click();
    await page.getByRole('button', { name: 'Finish onboarding' }).click();
    await page.waitForURL((u) => u.pathname === '/owner/earnings');
    await page.locator('#payouts-on').waitFor();
    // The job moves the money within a second or two; the page shows it when opened again.
    while (await rows.filter({ hasText: 'Transferred' }).count() < 6) {
      await page.waitForTimeout(250);
      await page.reload();
      await rows.first().waitFor();
    }
    const payout = page.locator('#payout-lines tbody tr').first();
    await payout.getByText('On its way').waitFor();
    await shoot(page, '09d-owner-transferred-and-paid-out');
    await assertAccessible(page, 'earnings after a payout');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'parkway-earnings.csv');
    const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
    assert.equal(csv[0], 'booking_id,driveway,start_time,end_time,status,currency,gross,refunded,fee,net,state');
    assert.equal(csv.length, 7);
    assert.ok(csv.slice(1).every((row) => row.endsWith(',transferred')), csv.join('\n'));
    await page.getByText('Downloaded parkway-earnings.csv.').waitFor();
  } finally {
    await context.close();
    await demo.stop();
  }
});

test('a demo driver reviews a past stay, the owner replies, and the driveway page shows both with the stars', {
  timeout: 120_000,
}, async () => {
  // The demo's six past, paid stays at Olivia's driveways were Dana's (the first demo driver).
  const demo = await startServer({ PARKWAY_DEMO: '1' });
  const signIn = async (email) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, baseURL: demo.url });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto('/signin');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('parkway-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    return { context, page };
  };
  const words = 'Easy to find, and the gate code worked first time.';
  const answer = 'Thank you, Dana. Come back any time!';
  const contexts = [];
  try {
    const { context, page } = await signIn('dana@parkway.demo');
    contexts.push(context);
    await page.waitForURL((u) => u.pathname === '/');
    await page.getByRole('link', { name: 'My bookings' }).click();
    await page.getByRole('tab', { name: /^Past/ }).click();
    const stay = page.locator('.booking[data-status="completed"]').first();
    await stay.waitFor();
    const drivewayPath = await stay.locator('a.booking-title').getAttribute('href');
    await stay.getByRole('button', { name: 'Write a review' }).click();
    const form = stay.getByRole('form', { name: 'Write a review' });
    await form.waitFor();
    // The stars are radios: chosen with the arrow keys.
    await form.getByRole('radio', { name: '3 stars' }).focus();
    await page.keyboard.press('ArrowRight');
    assert.ok(await form.getByRole('radio', { name: '4 stars' }).isChecked());
    await form.getByLabel('Your review (optional)').fill(words);
    await assertAccessible(page, 'review form');
    await shoot(page, '11a-review-form');
    await form.getByRole('button', { name: 'Post review' }).click();
    await stay.getByText(words).waitFor();
    await stay.getByRole('img', { name: '4 stars out of 5' }).waitFor();
    await stay.getByRole('button', { name: 'Edit review' }).waitFor();
    assert.equal(await stay.getByRole('button', { name: 'Write a review' }).count(), 0);
    await shoot(page, '11b-reviewed');

    // The owner answers on the dashboard, once.
    const owner = await signIn('olivia@parkway.demo');
    contexts.push(owner.context);
    await owner.page.waitForURL((u) => u.pathname === '/owner');
    const reviewed = owner.page.locator('#recent .booking').filter({ hasText: words });
    await reviewed.waitFor();
    await reviewed.getByRole('button', { name: 'Reply' }).click();
    await reviewed.getByLabel('Your reply').fill(answer);
    await assertAccessible(owner.page, 'reply form');
    await reviewed.getByRole('button', { name: 'Post reply' }).click();
    await reviewed.getByText(answer).waitFor();
    assert.equal(await reviewed.getByRole('button', { name: 'Reply' }).count(), 0);
    await shoot(owner.page, '11c-owner-replied');

    // The driveway page: its stars, and the review with the answer beneath.
    await page.goto(drivewayPath);
    await page.getByRole('img', { name: 'Rated 4.0 out of 5 from 1 review' }).first().waitFor();
    const reviews = page.locator('.reviews');
    await reviews.getByText(words).waitFor();
    await reviews.getByText(answer).waitFor();
    await reviews.getByText('Dana', { exact: true }).waitFor();
    await reviews.getByRole('img', { name: '4 stars out of 5' }).waitFor();
    await shoot(page, '11d-driveway-reviews');
    await assertAccessible(page, 'driveway with reviews');
  } finally {
    for (const c of contexts) await c.close();
    await demo.stop();
  }
});

test('a driver finds a city by name and the map goes there', { timeout: 60_000 }, async () => {
  const page = await newPage();
  await page.goto('/');
  await markersOnMap(page);
  const box = page.getByRole('combobox', { name: 'Find a place' });
  await box.fill('oakl');
  const suggestions = page.getByRole('listbox', { name: 'Places' }).getByRole('option');
  await suggestions.filter({ hasText: 'Oakland, CA, United States' }).waitFor();
  // The nearest large Oakland first; the one in Tennessee after it.
  const options = await suggestions.allTextContents();
  assert.match(options[0], /^Oakland, CA, United States/);
  await shoot(page, '12c-place-suggestions');
  await assertAccessible(page, 'place suggestions');

  // Keyboard only: down to the first suggestion, Enter picks it. The map flies there and the
  // driveway search follows it to a box around Oakland.
  const oakland = { lat: 37.80437, lng: -122.2708 };
  const searched = page.waitForRequest((r) => {
    const u = new URL(r.url());
    const bbox = u.pathname === '/api/driveways' && u.searchParams.get('bbox');
    if (!bbox) return false;
    const [west, south, east, north] = bbox.split(',').map(Number);
    return west < oakland.lng && oakland.lng < east && south < oakland.lat && oakland.lat < north;
  }, { timeout: 30_000 });
  await box.press('ArrowDown');
  assert.equal(await box.getAttribute('aria-activedescendant'), 'place-0');
  await box.press('Enter');
  await searched;
  assert.equal(await box.inputValue(), 'Oakland, CA, United States');
  assert.equal(await suggestions.count(), 0, 'the suggestions close');

  // Back later, an empty box offers the place picked last.
  await page.reload();
  await box.waitFor();
  await box.focus();
  await suggestions.filter({ hasText: 'Oakland, CA, United States' }).waitFor();
  await page.context().close();
});

test('zoomed out over the region, the map groups driveways and a click zooms into a group', { timeout: 90_000 }, async () => {
  // One driveway across the bay, so the wide view has more than one place to show.
  await owner.api.post('/api/driveways', {
    title: 'Driveway off Main St', address: '1500 N Main St, Walnut Creek', lat: 37.9063, lng: -122.065,
    pricePerHourCents: 800, timezone: 'America/Los_Angeles',
  });
  const page = await newPage();
  await page.goto('/');
  await markersOnMap(page);
  const zoomOut = page.getByRole('button', { name: 'Zoom out' });
  // The app's next question about the view: a search or groups.
  const nextAsk = () => page.waitForResponse((r) => /^\/api\/driveways(\/clusters)?$/.test(new URL(r.url()).pathname), { timeout: 30_000 });

  // Zoom out one step at a time (each waits for the map to rest and the app to ask again)
  // until the view is wider than a search: the app then asks for groups.
  let grouped;
  for (let step = 0; step < 8 && !grouped; step++) {
    const next = nextAsk();
    await zoomOut.click();
    const r = await next;
    if (new URL(r.url()).pathname === '/api/driveways/clusters') grouped = r;
  }
  assert.ok(grouped, 'zooming out far enough asks for groups');
  const page1 = await grouped.json();
  const total = page1.total;
  assert.ok(total >= driveways.length + 1, `the groups stand for every driveway: ${total}`);
  assert.equal(page1.items.reduce((n, c) => n + c.count, 0), total);
  const zoom = Number(new URL(grouped.url()).searchParams.get('zoom'));
  assert.ok(zoom >= 6 && zoom <= 9, `the map's zoom is sent: ${zoom}`);
  await page.getByRole('heading', { name: new RegExp(`^${total.toLocaleString('en-US')} driveways in view: zoom in to choose one$`) }).waitFor();
  await page.waitForFunction(() => Number(document.querySelector('.map')?.dataset.marks ?? 0) >= 2, null, { timeout: 20_000 });
  assert.equal(await page.locator('.result').count(), 0, 'no list of driveways for a view that wide');
  await shoot(page, '12d-country-groups');
  await assertAccessible(page, 'groups over the country');

  // The San Francisco group sits where the map was centred: clicking it zooms in until the
  // search takes over and its driveways are listed again.
  const canvas = await page.locator('.map canvas').boundingBox();
  let searched = false;
  for (let step = 0; step < 4 && !searched; step++) {
    const next = nextAsk();
    await page.mouse.click(canvas.x + canvas.width / 2, canvas.y + canvas.height / 2);
    searched = new URL((await next).url()).pathname === '/api/driveways';
  }
  assert.ok(searched, 'clicking the group zooms in until a search covers the view');
  await page.locator('.result').first().waitFor();
  assert.ok(await markersOnMap(page) > 0);
  await page.context().close();
});

test('with a street map archive, the map draws its streets under the driveways', { timeout: 90_000 }, async () => {
  const archive = join(mkdtempSync(join(tmpdir(), 'parkway-tiles-')), 'city.pmtiles');
  writeFileSync(archive, streetArchive(CENTER.lat, CENTER.lng));
  const streets = await startServer({ PARKWAY_TILES: archive });
  try {
    const host = await register(streets.url, 'Stella Owner', ['owner']);
    await host.api.post('/api/driveways', {
      title: 'Driveway on a mapped street', address: '1 Market St, San Francisco', lat: CENTER.lat, lng: CENTER.lng,
      pricePerHourCents: 300, timezone: 'America/Los_Angeles',
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: streets.url });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    // The archive is read in ranges, as a PMTiles reader does: the header and directory first.
    const ranged = page.waitForRequest((r) => r.url().endsWith('/tiles/map.pmtiles') && (r.headers().range ?? '').startsWith('bytes='), { timeout: 30_000 });
    // Street names are drawn with the glyphs the server itself serves.
    const glyphs = page.waitForResponse((r) => new URL(r.url()).pathname.startsWith('/fonts/DejaVu%20Sans/'), { timeout: 30_000 });
    await page.goto('/');
    await ranged;
    const glyph = await glyphs;
    assert.equal(glyph.status(), 200, `${glyph.url()} is served`);
    await page.waitForFunction(() => Number(document.querySelector('.map')?.dataset.streetFeatures ?? 0) > 0, null, { timeout: 30_000 });
    await markersOnMap(page);
    // The street map's credit is shown, as its licence asks.
    await page.locator('.maplibregl-ctrl-attrib').getByText('OpenStreetMap', { exact: false }).waitFor({ state: 'attached' });
    await shoot(page, '12e-street-map');
    await assertAccessible(page, 'search over the street map');
    await context.close();
  } finally {
    await streets.stop();
  }
});

test('the search works on a phone screen and the owner can list a driveway', { timeout: 120_000 }, async () => {
  const page = await newPage({ width: 390, height: 844 });
  await page.goto('/');
  assert.ok(await markersOnMap(page) > 0);
  await page.locator('.result').first().waitFor();
  await shoot(page, '13-phone-search');
  await assertAccessible(page, 'search on a phone');

  // Filters: a price cap leaves only the cheaper driveways; a time window adds each one's total.
  const cheap = driveways.filter((d) => d.pricePerHourCents <= 300).length;
  // The cap applies as it is typed, and the typing survives the results arriving.
  await page.getByLabel('Max $/h').fill('3');
  await page.waitForFunction((n) => document.querySelectorAll('.result').length === n, cheap);
  assert.equal(await page.getByLabel('Max $/h').inputValue(), '3');
  await page.getByLabel('Max $/h').fill('');
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel('Date').fill(tomorrow);
  await page.getByLabel('From').fill('10:00');
  await page.getByLabel('Until').fill('12:00');
  await page.getByLabel('Until').press('Tab');
  await page.locator('.result-price small', { hasText: 'total' }).first().waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('.result').length === n, driveways.length);
  await shoot(page, '13b-phone-search-window');

  // Owner: list a new driveway with opening hours, then flip instant book.
  await page.goto('/signin');
  await page.getByLabel('Email').fill(owner.email);
  await page.getByLabel('Password').fill(owner.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname === '/owner');

  // An access token the server no longer accepts (as after a while away): the page renews it
  // with its refresh cookie, carries on signed in, and keeps the renewed token, never the
  // refresh token, where scripts can read it.
  const stale = await page.evaluate(() => {
    const s = JSON.parse(localStorage.getItem('parkway.session'));
    s.token = s.token.slice(0, -6) + (s.token.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
    localStorage.setItem('parkway.session', JSON.stringify(s));
    return s.token;
  });
  await page.reload();
  await page.waitForFunction((old) => {
    const s = JSON.parse(localStorage.getItem('parkway.session') || 'null');
    return s && s.token && s.token !== old;
  }, stale);
  assert.equal(new URL(page.url()).pathname, '/owner');
  assert.ok(!(await page.evaluate(() => JSON.stringify(localStorage))).includes('refresh'));
  await page.locator('.driveway-row').first().waitFor();
  await page.getByRole('link', { name: '+ Add a driveway' }).click();
  await page.getByLabel('Title').fill('Sunny spot on Oak St');
  await page.getByLabel('Address', { exact: true }).fill('42 Oak St, San Francisco');
  await page.getByLabel('Price per hour ($)').fill('3.75');
  // The position: found by name (the pin goes there), then dragged a little east on the map.
  const find = page.getByRole('combobox', { name: 'Find the address on the map' });
  await find.fill('Oakland');
  await page.getByRole('option').filter({ hasText: 'Oakland, CA, United States' }).click();
  await page.waitForFunction(() => document.querySelector('#d-lat')?.value === '37.804370');
  assert.equal(await page.locator('#d-lng').inputValue(), '-122.270800');
  // The map pans to the place it found: the pin is dragged once it is in view and still.
  await page.locator('.pin-map').scrollIntoViewIfNeeded();
  await page.waitForFunction(() => new Promise((done) => {
    const marker = document.querySelector('.pin-map .maplibregl-marker');
    const at = () => JSON.stringify(marker?.getBoundingClientRect());
    let last = at();
    let still = 0;
    const frame = () => {
      const now = at();
      still = now === last ? still + 1 : 0;
      last = now;
      if (still >= 10) done(true); else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }));
  const pin = await page.locator('.pin-map .maplibregl-marker').boundingBox();
  await page.mouse.move(pin.x + pin.width / 2, pin.y + pin.height / 2);
  await page.mouse.down();
  await page.mouse.move(pin.x + pin.width / 2 + 60, pin.y + pin.height / 2, { steps: 6 });
  await page.mouse.up();
  await page.waitForFunction(() => Number(document.querySelector('#d-lng')?.value) > -122.2708);
  await shoot(page, '14a-phone-pin-dragged');
  // And finally from the browser's geolocation (granted to this context), back in the city.
  await page.getByRole('button', { name: 'use my location' }).click();
  await page.waitForFunction(() => document.querySelector('#d-lat')?.value.startsWith('37.77'));
  await page.getByLabel('Only at set times').check();
  await page.locator('.window-row').first().waitFor();
  await shoot(page, '14-phone-new-driveway');
  await assertAccessible(page, 'driveway editor on a phone');
  await page.getByRole('button', { name: 'List driveway' }).click();
  await page.waitForURL((u) => u.pathname === '/owner');
  const row = page.locator('.driveway-row', { hasText: 'Sunny spot on Oak St' });
  await row.waitFor();
  await row.getByRole('switch').click();
  await page.locator('.toast', { hasText: 'Instant book on' }).waitFor();
  await page.waitForFunction(
    () => [...document.querySelectorAll('.driveway-row')].find((r) => r.textContent.includes('Sunny spot on Oak St'))
      ?.querySelector('input[role=switch]')?.checked === true,
  );
  await shoot(page, '15-phone-owner');
  await assertAccessible(page, 'owner dashboard on a phone');

  // Edit it: two photos uploaded (with progress), the second moved first, then the price.
  await row.getByRole('link', { name: 'Edit' }).click();
  await page.waitForURL((u) => /^\/owner\/driveways\/[0-9a-f-]{36}$/.test(u.pathname));
  const drivewayId = new URL(page.url()).pathname.split('/').at(-1);
  for (const [i, file] of [
    { name: 'front.png', mimeType: 'image/png', buffer: png(640, 480, [200, 60, 40]) },
    { name: 'gate.png', mimeType: 'image/png', buffer: png(480, 640, [40, 90, 200]) },
  ].entries()) {
    await page.getByLabel('Add a photo').setInputFiles(file);
    await page.getByRole('status').filter({ hasText: `${i + 1} of 8 photos` }).waitFor();
  }
  assert.equal(await page.locator('.photo-item').count(), 2);
  const order = () => page.locator('.photo-item img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('src')));
  const [front, gate] = await order();
  await assertAccessible(page, 'photo manager on a phone');
  await page.getByRole('button', { name: 'Move Photo 2 of 2 earlier' }).click();
  await page.waitForFunction((first) => document.querySelector('.photo-item img')?.getAttribute('src') === first, gate);
  assert.deepEqual(await order(), [gate, front]);
  await shoot(page, '15b-phone-photos');
  // Anyone sees the gallery in the owner's order, the files served by the server.
  const viewer = await newPage({ width: 390, height: 844 });
  await viewer.goto(`/driveways/${drivewayId}`);
  await viewer.locator('.gallery img').nth(1).waitFor();
  const shown = await viewer.locator('.gallery img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('src')));
  assert.deepEqual(shown, [gate, front]);
  assert.ok(await viewer.locator('.gallery img').first().evaluate((i) => i.complete && i.naturalWidth > 0), 'the photo loads');
  await assertAccessible(viewer, 'driveway page with photos');
  await viewer.context().close();
  await page.getByLabel('Price per hour ($)').fill('4.25');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.waitForURL((u) => u.pathname === '/owner');
  const edited = page.locator('.driveway-row', { hasText: 'Sunny spot on Oak St' });
  await edited.getByText('$4.25/h').waitFor();
  await edited.getByRole('button', { name: 'Delete' }).click();
  await edited.getByRole('button', { name: 'Delete' }).click();
  await page.locator('.toast', { hasText: 'Driveway deleted' }).waitFor();
  await edited.waitFor({ state: 'detached' });
  await page.context().close();
});

// Stripe: a second server talks to the local Stripe emulator (localstripe), whose mock Stripe.js
// the UI loads from the URL the server hands out with the publishable key.
const SECRET_KEY = 'sk_test_parkway';
const WEBHOOK_SECRET = 'whsec_parkway_test';
const PUBLISHABLE_KEY = 'pk_test_parkway';

async function freePort() {
  const { createServer } = await import('node:net');
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => probe.once('listening', r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  return port;
}

/** localstripe on a free loopback port; resolves once it answers. */
async function startLocalStripe() {
  const { spawn } = await import('node:child_process');
  const port = await freePort();
  const binary = process.env.PARKWAY_LOCALSTRIPE ?? '../../.venv/bin/localstripe';
  const child = spawn(binary, ['--port', String(port), '--from-scratch'], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`${base}/v1/payment_intents`, { headers: { authorization: `Bearer ${SECRET_KEY}` } });
      if (res.ok) return { base, stop: () => child.kill('SIGTERM') };
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new Error(`localstripe (${binary}) did not start; run scripts/setup.sh`);
}

// Paying through the card form runs as a todo subtest (reported, not failing the suite) because
// localstripe's mock Stripe.js cannot complete it, for two reasons found by running it:
// - the mock declares `class Element` at the top level of a classic script, which shadows the
//   DOM's `Element` for every script of the page (`document.body instanceof Element` is false
//   once it has loaded), so wasm-bindgen's type checks fail and the UI stops handling events;
//   Pay then submits the form natively. Real Stripe.js declares no such global.
// - its confirmCardPayment only completes 3D Secure for an intent that already has a card;
//   it cannot attach the card typed into its element, so no path reaches "paid".
// Everything up to the card form (Stripe.js loaded only for the payment step, from the
// server's URL, with the publishable key, the mock's element mounted) is checked for real.
test('with Stripe, the payment step loads Stripe.js from the server\'s setting and shows its card form', {
  timeout: 120_000,
}, async (t) => {
  const ls = await startLocalStripe();
  const stripeServer = await startServer({
    STRIPE_SECRET_KEY: SECRET_KEY,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    STRIPE_API_BASE: ls.base,
    STRIPE_PUBLISHABLE_KEY: PUBLISHABLE_KEY,
    STRIPE_JS_URL: `${ls.base}/js.stripe.com/v3/`,
  });
  let page;
  try {
    const hook = await fetch(`${ls.base}/_config/webhooks/parkway`, {
      method: 'POST',
      body: new URLSearchParams({ url: `${stripeServer.url}/api/payments/webhook`, secret: WEBHOOK_SECRET }),
    });
    assert.ok(hook.ok, 'webhook registered');
    const host = await register(stripeServer.url, 'Sam Stripe Owner', ['owner']);
    const spot = await host.api.post('/api/driveways', {
      title: 'Card-paid driveway on Grove St', address: '7 Grove St, San Francisco',
      lat: CENTER.lat, lng: CENTER.lng, pricePerHourCents: 400, instantBook: true, timezone: 'America/Los_Angeles',
    });
    const driver = await register(stripeServer.url, 'Casey Card', ['driver']);

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: stripeServer.url, timezoneId: 'America/Los_Angeles' });
    page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    const toStripe = [];
    page.on('request', (r) => { if (r.url().startsWith(ls.base)) toStripe.push(r); });

    await page.goto('/signin');
    await page.getByLabel('Email').fill(driver.email);
    await page.getByLabel('Password').fill(driver.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    // Stripe.js is not loaded until a payment step needs it.
    assert.equal(await page.evaluate(() => typeof window.Stripe), 'undefined');
    const card = page.locator(`.result[data-id="${spot.id}"]`);
    await card.waitFor({ timeout: 20_000 });
    await card.getByRole('link', { name: 'Book' }).click();
    await page.getByRole('button', { name: '2 h', exact: true }).click();
    await page.getByRole('button', { name: 'Book and pay' }).click();

    // The card form is the emulator's mock element, mounted in the payment step.
    const number = page.locator('#stripe-card input[placeholder="number"]');
    await number.waitFor({ timeout: 20_000 });
    const scripts = await page.evaluate(() => [...document.scripts].map((s) => s.src).filter((s) => s.includes('js.stripe.com')));
    assert.deepEqual(scripts, [`${ls.base}/js.stripe.com/v3/`], 'Stripe.js comes from the server\'s setting, once');
    await number.fill('4242424242424242');
    await page.locator('#stripe-card input[placeholder="exp_month"]').fill('12');
    await page.locator('#stripe-card input[placeholder="exp_year"]').fill('34');
    await page.locator('#stripe-card input[placeholder="cvc"]').fill('123');
    await page.locator('#stripe-card input[placeholder="postal_code"]').fill('94103');
    await shoot(page, '16-stripe-card-form');
    const intent = await page.locator('#stripe-card').getAttribute('data-intent');
    assert.ok(intent.includes(PUBLISHABLE_KEY), 'the page has the publishable key');
    assert.ok(!intent.includes(SECRET_KEY), 'the secret key never reaches the browser');

    await t.test('pays through the mock card form', {
      todo: 'localstripe\'s mock Stripe.js shadows the DOM Element class and cannot attach a card',
    }, async () => {
      await page.getByRole('button', { name: 'Pay $8.00' }).click();
      // The mock's confirmCardPayment always asks for 3D Secure.
      await page.getByRole('button', { name: 'Complete authentication' }).click({ timeout: 5_000 });

      // localstripe's mock confirmCardPayment ignores the card element: it only completes the
      // 3D Secure step of an intent that already has a card attached, and this intent (as with
      // real Stripe) has none, so the emulator answers 400. What the UI must do then is say so
      // in a sentence and leave the driver able to try again; the booking stays unpaid.
      await page.locator('.payment .error-banner', { hasText: 'The payment could not be completed' }).waitFor({ timeout: 20_000 });
      await shoot(page, '17-stripe-mock-refused');
      assert.ok(await page.getByRole('button', { name: 'Pay $8.00' }).isEnabled(), 'the driver can try again');
      const sentToStripe = toStripe.map((r) => `${r.url()} ${r.postData() ?? ''}`).join('\n');
      assert.ok(sentToStripe.includes(PUBLISHABLE_KEY), 'the browser uses the publishable key');
      assert.ok(!sentToStripe.includes(SECRET_KEY), 'the secret key never reaches the browser');
      const [booking] = (await driver.api.get('/api/bookings')).items;
      assert.equal(booking.paymentStatus, 'pending');
    });
  } finally {
    await page?.context().close();
    await stripeServer.stop();
    ls.stop();
  }
});
