import { test, expect, signIn, hydrated, openCredits } from './fixtures';

// Every page, opened by its address, hydrates without an error: the server's markup and the
// browser's views agree, and the lazy pages' chunks load (a mismatch panics the wasm and the page
// stays dead). Each sign-in kind opens the pages its menu offers.
const pagesOf = {
  direct: ['/reseller/customers', '/transfers', '/alerts', '/api-keys', '/webhooks', '/change-password', '/'],
  reseller1: ['/reseller/customers', '/transfers', '/alerts', '/api-keys', '/webhooks', '/change-password'],
  customer1: ['/account', '/transfers', '/alerts', '/api-keys', '/webhooks', '/change-password', '/'],
};

for (const [login, paths] of Object.entries(pagesOf)) {
  test(`every page ${login} opens hydrates without an error`, async ({ page, creditdesk }) => {
    await signIn(page, creditdesk, login);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`${page.url()}: ${message.text()}`);
    });
    for (const path of paths) {
      await page.goto(`${creditdesk.baseURL}${path}`);
      await hydrated(page);
    }
    expect(errors).toEqual([]);
  });
}

// The pop-ups' code is a chunk of its own (`#[lazy]`, app/src/pages/manage_customers.rs): a page
// loads without it, and the first pop-up opened fetches it, then works as before.
test('the pop-ups are fetched when one first opens, not with the page', async ({ page, creditdesk }) => {
  await signIn(page, creditdesk, 'direct');
  const fetched: string[] = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith('.wasm')) fetched.push(path);
  });
  await page.goto(`${creditdesk.baseURL}/reseller/customers`);
  await hydrated(page);
  expect(fetched.filter((path) => path.includes('dialog_view'))).toEqual([]);

  const dialog = await openCredits(page, 'Reseller One');
  expect(fetched.filter((path) => path.includes('split_dialog_view'))).toHaveLength(1);
  await dialog.getByLabel('Credits').fill('30');
  await expect(dialog.getByTestId('preview')).toHaveText('Reseller One: 0 → 30 · You: 100 → 70');
});
