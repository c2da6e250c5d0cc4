import { test, expect, signIn, balanceOf, ownBalance, hydrated } from './fixtures';

test.describe('API keys', () => {
  test('a key made on the page moves credits through the API until it is revoked', async ({ page, creditdesk, request }) => {
    await signIn(page, creditdesk, 'direct');
    await page.getByRole('link', { name: 'API keys' }).click();
    await expect(page).toHaveURL(/\/api-keys$/);
    await hydrated(page);
    await expect(page.getByRole('heading', { name: 'API keys', level: 1 })).toBeVisible();

    // A refusal says why and marks its field; the form keeps what was typed.
    const name = page.getByLabel('Name', { exact: true });
    const scopes = page.getByRole('group', { name: 'Scopes' });
    await page.getByRole('button', { name: 'Create key' }).click();
    await expect(page.getByRole('alert')).toHaveText('Enter a name');
    await expect(name).toHaveAttribute('aria-invalid', 'true');
    await expect(name).toHaveCSS('border-color', 'rgb(192, 52, 43)');
    await name.fill('Billing');
    await page.getByRole('checkbox', { name: /^read/ }).uncheck();
    await page.getByRole('button', { name: 'Create key' }).click();
    await expect(page.getByRole('alert')).toHaveText('Choose at least one scope');
    await expect(scopes).toHaveAttribute('aria-invalid', 'true');
    await expect(name).toHaveAttribute('aria-invalid', 'false');
    await expect(name).toHaveValue('Billing');
    await expect(page.getByTestId('api-key-row')).toHaveCount(0);

    await page.getByRole('checkbox', { name: /^read/ }).check();
    await page.getByRole('checkbox', { name: /^transfer/ }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('new-api-key');
    await expect(shown).toHaveText(/^cdk_[0-9a-f]{64}$/);
    await expect(page.getByRole('main').getByRole('status')).toContainText('Your new key “Billing”');
    await expect(page.getByRole('alert')).toHaveCount(0);
    await expect(scopes).toHaveAttribute('aria-invalid', 'false');
    // The form is empty again, ready for the next key.
    await expect(name).toHaveValue('');
    await expect(page.getByRole('checkbox', { name: /^transfer/ })).not.toBeChecked();
    const key = (await shown.textContent())!;
    const row = page.getByTestId('api-key-row').filter({ hasText: 'Billing' });
    await expect(row).toContainText('read, transfer');
    await expect(row).toContainText('Never');

    const headers = { Authorization: `Bearer ${key}`, 'Idempotency-Key': 'e2e-transfer-0001' };
    const subAccounts = await request.get(`${creditdesk.baseURL}/v1/subaccounts?q=reseller%20one`, { headers });
    expect(subAccounts.status()).toBe(200);
    const resellerOne = (await subAccounts.json()).items[0].id;
    const made = await request.post(`${creditdesk.baseURL}/v1/transfers`, {
      headers,
      data: { sub_account_id: resellerOne, credits: 30, note: 'From our billing system' },
    });
    expect(made.status()).toBe(201);

    // The grid shows the API's transfer after a reload, with the key as its author.
    await page.goto(`${creditdesk.baseURL}/reseller/customers`);
    await hydrated(page);
    await expect(balanceOf(page, 'Reseller One')).toHaveText('30');
    await expect(ownBalance(page)).toHaveText('70');
    const line = page.getByTestId('ledger-line').filter({ hasText: 'From our billing system' });
    await expect(line).toContainText('API key: Billing');

    await page.getByRole('link', { name: 'API keys' }).click();
    await hydrated(page);
    await page.getByRole('button', { name: 'Revoke Billing' }).click();
    await expect(page.getByTestId('api-key-row')).toHaveCount(0);

    const refused = await request.get(`${creditdesk.baseURL}/v1/account`, { headers });
    expect(refused.status()).toBe(401);
    expect(refused.headers()['content-type']).toBe('application/problem+json');
  });
});
