// A fresh Creditdesk per test: its own database loaded with the demo data, its own server on a free
// port, and `server verify` after the test to prove the ledger still balances.
import { test as base, expect, type Page, type Locator } from '@playwright/test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(__dirname, '../..');
// The release build (`.ci/build-release`): the journeys run against what ships, and its
// server renders the same type-erased views as its wasm hydrates (a plain `cargo build` does not).
const serverBin = process.env.CREDITDESK_BIN ?? join(repo, 'target/release/server');
const siteRoot = process.env.CREDITDESK_SITE_ROOT ?? join(repo, 'target/site');

type Creditdesk = {
  baseURL: string;
  databaseURL: string;
  verify: () => string;
  /** Runs a `server` command on this test's database (e.g. `api-key create`); returns its stdout. */
  cli: (args: string[]) => string;
  /** Another server process on the same database, stopped after the test. */
  anotherServer: () => Promise<{ baseURL: string }>;
};

type Server = { baseURL: string; stop: () => Promise<void> };

/** `server serve` on a free port over `env`'s database, once it answers. */
async function startServer(env: NodeJS.ProcessEnv): Promise<Server> {
  const port = await freePort();
  const baseURL = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(serverBin, ['serve', '--addr', `127.0.0.1:${port}`, '--site-root', siteRoot], { env });
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const stop = async () => {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  };
  try {
    await waitUntilServing(baseURL, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseURL, stop };
}

/** `server seed`'s dataset instead of the bare demo data: the demo plus this many sub-accounts and transfers. */
type Dataset = { subAccounts: number; transfers: number } | undefined;

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

/** A fresh database: a SQLite file, or a new database on the PostgreSQL server in TEST_DATABASE_URL. */
function freshDatabase(): { url: string; drop: () => void } {
  const server = process.env.TEST_DATABASE_URL ?? '';
  if (server.startsWith('postgres')) {
    const name = `creditdesk_e2e_${randomUUID().replaceAll('-', '')}`;
    execFileSync('psql', [server, '-qc', `CREATE DATABASE ${name}`]);
    const url = new URL(server);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      drop: () => execFileSync('psql', [server, '-qc', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'creditdesk-e2e-'));
  return { url: `sqlite://${join(dir, 'e2e.db')}?mode=rwc`, drop: () => rmSync(dir, { recursive: true, force: true }) };
}

async function waitUntilServing(baseURL: string, child: ChildProcess, log: () => string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${log()}`);
    try {
      if ((await fetch(`${baseURL}/sign-in`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server did not start:\n${log()}`);
}

export const test = base.extend<{ creditdesk: Creditdesk; dataset: Dataset }>({
  dataset: [undefined, { option: true }],
  creditdesk: async ({ dataset }, use) => {
    const database = freshDatabase();
    const env = { ...process.env, DATABASE_URL: database.url, RUST_LOG: 'warn' };
    const load = dataset
      ? ['seed', '--sub-accounts', `${dataset.subAccounts}`, '--transfers', `${dataset.transfers}`]
      : ['demo'];
    execFileSync(serverBin, load, { env });
    const servers: Server[] = [];
    try {
      const first = await startServer(env);
      servers.push(first);
      const verify = () => execFileSync(serverBin, ['verify'], { env }).toString();
      const cli = (args: string[]) => execFileSync(serverBin, args, { env }).toString();
      const anotherServer = async () => {
        const server = await startServer(env);
        servers.push(server);
        return { baseURL: server.baseURL };
      };
      await use({ baseURL: first.baseURL, databaseURL: database.url, verify, cli, anotherServer });
      // Whatever the test did, the balances must still equal the ledger.
      expect(verify()).toContain('OK: every balance equals the ledger');
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
      database.drop();
    }
  },
});

export { expect };

export const DEMO_PASSWORD = 'creditdesk-demo';

/** Waits until the app has hydrated: a click before that would be lost. */
export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** Signs in through the sign-in page and waits for the landing page to hydrate. */
export async function signIn(page: Page, creditdesk: Creditdesk, login: string, password = DEMO_PASSWORD) {
  await page.goto(`${creditdesk.baseURL}/sign-in`);
  await hydrated(page);
  await page.getByLabel('Login').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).not.toHaveURL(/sign-in/);
  await hydrated(page);
}

/** Fills in and saves the change-password page, which must be open and hydrated. */
export async function changePassword(page: Page, current: string, next: string) {
  await hydrated(page);
  await page.getByLabel('Current password').fill(current);
  await page.getByLabel('New password', { exact: true }).fill(next);
  await page.getByLabel('Repeat new password').fill(next);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).not.toHaveURL(/change-password/);
  await hydrated(page);
}

export async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await hydrated(page);
}

export function row(page: Page, name: string): Locator {
  return page.getByTestId('account-row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
}

export function balanceOf(page: Page, name: string): Locator {
  return row(page, name).getByTestId('balance');
}

export function ownBalance(page: Page): Locator {
  return page.getByTestId('own-balance');
}

/** Opens the credit pop-up of a row; returns the dialog. */
export async function openCredits(page: Page, name: string): Promise<Locator> {
  await page.getByRole('button', { name: `Add or remove credits for ${name}`, exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  return dialog;
}

export async function fillCredits(dialog: Locator, credits: string, note: string) {
  await dialog.getByLabel('Credits').fill(credits);
  await dialog.getByLabel('Note').fill(note);
}

/** Gives (or, with a minus sign, revokes) credits through the pop-up and waits for it to close. */
export async function transfer(page: Page, name: string, credits: string, note: string) {
  const dialog = await openCredits(page, name);
  await fillCredits(dialog, credits, note);
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(dialog).toBeHidden();
}
