// Live balances: two people in two browsers (a parent and its customer), each on its own server
// process when the database is PostgreSQL (one server per SQLite file). What one does, and usage
// charged through the API, shows on the other's screen without a reload.
import { randomUUID } from 'node:crypto';
import { test, expect, signIn, balanceOf, ownBalance, openCredits, row, transfer } from './fixtures';

// "Within a second" on the page, with room for a loaded CI machine.
const LIVE = { timeout: 2_000 };

test('a grant shows in the other window, and usage through the API in the grid', async ({ browser, creditdesk }) => {
  const onPostgres = creditdesk.databaseURL.startsWith('postgres');
  const second = onPostgres ? await creditdesk.anotherServer() : creditdesk;

  const parent = await (await browser.newContext()).newPage();
  await signIn(parent, creditdesk, 'direct');
  const customer = await (await browser.newContext()).newPage();
  await signIn(customer, { ...creditdesk, baseURL: second.baseURL }, 'customer1');
  await expect(parent.getByTestId('live-status')).toHaveText('Live');
  await expect(customer.getByTestId('live-status')).toHaveText('Live');

  await transfer(parent, 'Customer One', '30', 'Live grant');
  await expect(ownBalance(customer)).toHaveText('30', LIVE);

  const key = creditdesk.cli(['api-key', 'create', '--operator', '--name', 'gateway', '--scope', 'usage']).trim();
  const accountId = Number(await row(parent, 'Customer One').getAttribute('data-account-id'));
  const charged = await fetch(`${second.baseURL}/v1/usage`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Idempotency-Key': randomUUID(), 'Content-Type': 'application/json' },
    body: JSON.stringify({ account_id: accountId, credits: 8, reference: 'batch-0001' }),
  });
  expect(charged.ok).toBe(true);

  await expect(balanceOf(parent, 'Customer One')).toHaveText('22', LIVE);
  await expect(ownBalance(customer)).toHaveText('22', LIVE);
  // The balance on its home page too.
  await expect(customer.getByTestId('account-balance')).toHaveText('22', LIVE);
  await expect(ownBalance(parent)).toHaveText('70');
});

test('a live update leaves an open pop-up and the focus where they are', async ({ browser, creditdesk }) => {
  const parent = await (await browser.newContext()).newPage();
  await signIn(parent, creditdesk, 'direct');
  const other = await (await browser.newContext()).newPage();
  await signIn(other, creditdesk, 'direct');
  await expect(parent.getByTestId('live-status')).toHaveText('Live');

  const dialog = await openCredits(parent, 'Reseller One');
  await dialog.getByLabel('Credits').fill('12');
  await transfer(other, 'Customer One', '30', 'From the other window');

  await expect(balanceOf(parent, 'Customer One')).toHaveText('30', LIVE);
  await expect(ownBalance(parent)).toHaveText('70', LIVE);
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Credits')).toBeFocused();
  await expect(dialog.getByLabel('Credits')).toHaveValue('12');
});
