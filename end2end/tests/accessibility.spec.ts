import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { test, expect, signIn, hydrated, openCredits, transfer } from './fixtures';

// Every page and dialog meets WCAG 2.1 A and AA as axe-core checks them, with data on screen (a
// transfer with its note, a key) so that tables, charts and messages are audited too.
async function violations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((node) => node.target.join(' ')).join(', ')})`);
}

test('sign-in meets WCAG 2.1 AA', async ({ page, creditdesk }) => {
  await page.goto(`${creditdesk.baseURL}/sign-in`);
  await hydrated(page);
  expect(await violations(page)).toEqual([]);
  // Its refusal too.
  await page.getByLabel('Login').fill('direct');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  expect(await violations(page)).toEqual([]);
});

test('Manage Customers, its credit pop-up and the transfers page meet WCAG 2.1 AA', async ({ page, creditdesk }) => {
  await signIn(page, creditdesk, 'direct');
  await transfer(page, 'Reseller One', '30', 'June order');
  expect(await violations(page)).toEqual([]);

  const dialog = await openCredits(page, 'Reseller One');
  await dialog.getByLabel('Credits').fill('5');
  await expect(dialog.getByTestId('preview')).toBeVisible();
  expect(await violations(page)).toEqual([]);
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('link', { name: 'Transfers', exact: true }).click();
  await expect(page).toHaveURL(/\/transfers$/);
  await hydrated(page);
  await expect(page.getByTestId('ledger-line').first()).toBeVisible();
  expect(await violations(page)).toEqual([]);
});

test('API keys and change password meet WCAG 2.1 AA', async ({ page, creditdesk }) => {
  await signIn(page, creditdesk, 'direct');
  await page.goto(`${creditdesk.baseURL}/api-keys`);
  await hydrated(page);
  expect(await violations(page)).toEqual([]);

  await page.goto(`${creditdesk.baseURL}/change-password`);
  await hydrated(page);
  expect(await violations(page)).toEqual([]);
});

test('alerts, the alert settings pop-up and webhooks meet WCAG 2.1 AA', async ({ page, creditdesk }) => {
  await signIn(page, creditdesk, 'direct');
  await page.getByRole('button', { name: 'Alert settings for Customer One', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.getByLabel('Alert below')).toBeEditable();
  await dialog.getByLabel('Alert below').fill('10');
  await dialog.getByLabel('When below').fill('10');
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(dialog.getByRole('alert')).toBeVisible();
  expect(await violations(page)).toEqual([]);
  await dialog.getByLabel('When below').fill('');
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(dialog).toBeHidden();

  await transfer(page, 'Customer One', '30', 'Stock up');
  await transfer(page, 'Customer One', '-25', 'Take most back');
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('alert-count')).toHaveText('1');
  expect(await violations(page)).toEqual([]);

  await page.goto(`${creditdesk.baseURL}/alerts`);
  await hydrated(page);
  await expect(page.getByTestId('alert-row')).toHaveCount(1);
  expect(await violations(page)).toEqual([]);

  await page.goto(`${creditdesk.baseURL}/webhooks`);
  await hydrated(page);
  await page.getByLabel('Webhook URL').fill('https://example.com/creditdesk');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByTestId('webhook-secret')).toBeVisible();
  expect(await violations(page)).toEqual([]);
});
