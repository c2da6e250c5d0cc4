import type { Locator, Page } from '@playwright/test';
import { test, expect, signIn, signOut, hydrated, balanceOf, transfer } from './fixtures';

/** Opens the alert settings pop-up of a row; returns the dialog once the rules in force are shown. */
async function openAlertSettings(page: Page, name: string): Promise<Locator> {
  await page.getByRole('button', { name: `Alert settings for ${name}`, exact: true }).click();
  const dialog = page.getByRole('dialog', { name: `Alert settings · ${name}` });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel('Alert below')).toBeEditable();
  return dialog;
}

test.describe('Alerts', () => {
  test('a balance taken below its alert level shows on the bell and on the alerts page', async ({ page, creditdesk }) => {
    await signIn(page, creditdesk, 'direct');
    const dialog = await openAlertSettings(page, 'Customer One');
    await expect(dialog.getByLabel('Alert below')).toBeFocused();
    await dialog.getByLabel('Alert below').fill('10');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('button', { name: 'Alert settings for Customer One' })).toBeFocused();
    await expect(page.getByTestId('alert-count')).toHaveText('0');

    await transfer(page, 'Customer One', '30', 'Stock up');
    await transfer(page, 'Customer One', '-25', 'Take most back');
    await expect(balanceOf(page, 'Customer One')).toHaveText('5');

    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('alert-count')).toHaveText('1');
    const bell = page.getByRole('link', { name: 'Alerts, 1 unread' });
    await expect(bell).toBeVisible();

    // The rules read back as saved.
    const again = await openAlertSettings(page, 'Customer One');
    await expect(again.getByLabel('Alert below')).toHaveValue('10');
    await again.getByRole('button', { name: 'Cancel' }).click();
    await expect(again).toBeHidden();

    await bell.click();
    await expect(page).toHaveURL(/\/alerts$/);
    await hydrated(page);
    const alert = page.getByTestId('alert-row');
    await expect(alert).toHaveCount(1);
    await expect(alert).toContainText('Customer One fell below 10 credits: 5 left');
    await expect(alert).toContainText('New');
    // Opening the page marked it read.
    await expect(page.getByTestId('alert-count')).toHaveText('0');
    await expect(page.getByRole('link', { name: 'Alerts, 0 unread' })).toBeVisible();
  });

  test('the alert settings pop-up says what is wrong and keeps what was typed', async ({ page, creditdesk }) => {
    await signIn(page, creditdesk, 'direct');
    const dialog = await openAlertSettings(page, 'Reseller One');
    await dialog.getByLabel('When below').fill('10');
    await dialog.getByLabel('Top up to').fill('5');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(dialog.getByRole('alert')).toHaveText('Top up to must be more than When below');
    await expect(dialog.getByLabel('Top up to')).toHaveAttribute('aria-invalid', 'true');
    await expect(dialog.getByLabel('Top up to')).toHaveValue('5');
    await expect(dialog.getByLabel('When below')).toHaveValue('10');

    await dialog.getByLabel('Top up to').fill('');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(dialog.getByRole('alert')).toHaveText('Fill in both When below and Top up to, or neither');

    await dialog.getByLabel('Top up to').fill('lots');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(dialog.getByRole('alert')).toHaveText('Top up to: enter a whole number of credits, e.g. 10');

    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
  });

  test("the signed-in account's own settings have an alert level and no top-up", async ({ page, creditdesk }) => {
    await signIn(page, creditdesk, 'direct');
    await page.getByRole('button', { name: 'Alert settings for your account' }).click();
    const dialog = page.getByRole('dialog', { name: 'Alert settings · Direct Reseller' });
    await expect(dialog.getByLabel('Alert below')).toBeEditable();
    await expect(dialog.getByLabel('When below')).toHaveCount(0);
    await dialog.getByLabel('Alert below').fill('50');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(dialog).toBeHidden();

    await page.getByRole('button', { name: 'Alert settings for your account' }).click();
    await expect(dialog.getByLabel('Alert below')).toHaveValue('50');
  });
});

test.describe('Webhooks', () => {
  test('saving a URL shows its secret once; plain http is refused', async ({ page, creditdesk }) => {
    await signIn(page, creditdesk, 'direct');
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await expect(page).toHaveURL(/\/webhooks$/);
    await hydrated(page);
    await expect(page.getByRole('heading', { name: 'Webhooks', level: 1 })).toBeVisible();

    const url = page.getByLabel('Webhook URL');
    await url.fill('http://example.com');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByRole('alert')).toHaveText('A webhook URL must start with https:// (http:// only to localhost)');
    await expect(url).toHaveAttribute('aria-invalid', 'true');
    await expect(url).toHaveValue('http://example.com');
    await expect(page.getByTestId('webhook-secret')).toHaveCount(0);

    await url.fill('https://example.com/creditdesk');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByTestId('webhook-secret')).toHaveText(/^whsec_[0-9a-f]{64}$/);
    await expect(page.getByRole('main').getByRole('status')).toContainText('it is not shown again');
    await expect(page.getByTestId('webhook-url')).toHaveText('https://example.com/creditdesk');
    await expect(page.getByRole('alert')).toHaveCount(0);

    // Once: a reload shows the URL and never the secret.
    await page.reload();
    await hydrated(page);
    await expect(page.getByTestId('webhook-url')).toHaveText('https://example.com/creditdesk');
    await expect(page.getByTestId('webhook-secret')).toHaveCount(0);
    await expect(page.getByText('No deliveries yet.')).toBeVisible();

    await page.getByRole('button', { name: 'Remove' }).click();
    await expect(page.getByText('No webhook yet: events are not sent anywhere.')).toBeVisible();
  });

  test('a delivery that failed is sent again at once', async ({ page, creditdesk }) => {
    // Customer One's webhook points at a closed port, so its delivery fails; the next retry would
    // wait 10 s (WEBHOOK_RETRY_BASE_MS), Send again makes it now.
    await signIn(page, creditdesk, 'customer1');
    await page.goto(`${creditdesk.baseURL}/webhooks`);
    await hydrated(page);
    await page.getByLabel('Webhook URL').fill('http://localhost:9/creditdesk');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByTestId('webhook-secret')).toBeVisible();
    await signOut(page);

    await signIn(page, creditdesk, 'direct');
    await transfer(page, 'Customer One', '30', 'For the webhook');
    await signOut(page);

    await signIn(page, creditdesk, 'customer1');
    await page.goto(`${creditdesk.baseURL}/webhooks`);
    await hydrated(page);
    const attempts = page.getByTestId('attempt-row');
    await expect(async () => {
      await page.reload();
      await expect(attempts).toHaveCount(1, { timeout: 500 });
    }).toPass({ timeout: 10_000 });
    await hydrated(page);
    const delivery = page.getByTestId('delivery-row');
    await expect(delivery).toHaveCount(1);
    await expect(delivery).toContainText('1');

    await delivery.getByRole('button', { name: /^Send again / }).click();
    await expect(page.getByRole('alert')).toHaveCount(0);
    await expect(async () => {
      await page.reload();
      await expect(attempts).toHaveCount(2, { timeout: 500 });
    }).toPass({ timeout: 5_000 });
  });
});
