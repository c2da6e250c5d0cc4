import { test, expect, signIn, hydrated } from './fixtures';

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
