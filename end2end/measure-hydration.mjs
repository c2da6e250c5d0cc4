// Time from navigation to `body[data-hydrated="true"]` (the app's own marker, set once the page
// has hydrated) on one page, in Chromium, cold cache and warm cache, and the wasm a cold visit
// downloads (the main module and the page's chunks, as sent: compressed). Prints p50 and max per
// case. On a page with credit pop-ups (Manage Customers), also the time from a click on the first
// row's card icon to the pop-up shown, the first time (its code fetched then) and once cached.
//
//   node measure-hydration.mjs http://127.0.0.1:3000 /reseller/customers [runs]
//
// Signs in as the demo's `direct` first (password `creditdesk-demo`).
import { chromium } from '@playwright/test';

const [base = 'http://127.0.0.1:3000', path = '/reseller/customers', runsArg = '10'] = process.argv.slice(2);
const runs = Number(runsArg);

// Records when the marker appears, measured from the navigation's start (performance.now()).
const recordHydration = () => {
  new MutationObserver((_, observer) => {
    if (document.body?.dataset.hydrated === 'true') {
      window.__hydratedAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-hydrated'] });
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
await context.addInitScript(recordHydration);
const page = await context.newPage();
await page.goto(`${base}/sign-in`);
await page.waitForFunction(() => window.__hydratedAt !== undefined);
await page.getByLabel('Login').fill('direct');
await page.getByLabel('Password').fill('creditdesk-demo');
await page.getByRole('button', { name: 'Sign in' }).click();
await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));

/** Bytes of wasm received over the network (encoded body; none when from the cache). */
let wasmBytes = 0;
const wasmDownloads = [];
page.on('requestfinished', (request) => {
  if (new URL(request.url()).pathname.endsWith('.wasm')) {
    wasmDownloads.push(request.sizes().then((sizes) => (wasmBytes += Math.max(0, sizes.responseBodySize))));
  }
});
async function takeWasmBytes() {
  await Promise.all(wasmDownloads.splice(0));
  const bytes = wasmBytes;
  wasmBytes = 0;
  return bytes;
}

async function timeOnce(cold) {
  if (cold) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.clearBrowserCache');
    await cdp.detach();
  }
  await takeWasmBytes();
  await page.goto(`${base}${path}`);
  await page.waitForFunction(() => window.__hydratedAt !== undefined, null, { timeout: 30_000 });
  return { time: await page.evaluate(() => window.__hydratedAt), bytes: await takeWasmBytes() };
}

/** Runs `once` the given number of times and prints p50 and max of its times, and the most wasm received. */
async function measure(label, once) {
  const runsOf = [];
  for (let i = 0; i < runs; i++) runsOf.push(await once());
  const times = runsOf.map((run) => run.time).sort((a, b) => a - b);
  const p50 = times[Math.floor((times.length - 1) / 2)];
  const bytes = Math.max(...runsOf.map((run) => run.bytes));
  console.log(
    `${path} ${label}, ${runs} runs: p50 ${p50.toFixed(0)} ms, max ${times.at(-1).toFixed(0)} ms; wasm received ${bytes} B`,
  );
}

for (const cold of [true, false]) {
  await measure(`${cold ? 'cold' : 'warm'} cache, to hydrated`, () => timeOnce(cold));
}

const cardIcons = page.getByRole('button', { name: /^Add or remove credits for / });

/** Click to pop-up shown, on a freshly loaded page: the pop-ups' code is fetched on the first open. */
async function openOnce(cold) {
  await timeOnce(cold);
  const started = performance.now();
  await cardIcons.first().click();
  await page.getByRole('dialog').waitFor({ state: 'visible' });
  return { time: performance.now() - started, bytes: await takeWasmBytes() };
}

for (const cold of (await cardIcons.count()) > 0 ? [true, false] : []) {
  await measure(`${cold ? 'cold' : 'warm'} cache, click to first pop-up shown`, () => openOnce(cold));
}
await browser.close();
