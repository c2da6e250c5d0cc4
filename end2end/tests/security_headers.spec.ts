import { test, expect, signIn, transfer, balanceOf, ownBalance } from './fixtures';

// The Content-Security-Policy allows scripts from this site and inline ones with the response's
// nonce only: the app must still hydrate and work, and the browser must report no violation.
test('the app hydrates and moves credits under its Content-Security-Policy', async ({ page, creditdesk }) => {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  page.on('pageerror', (error) => violations.push(`uncaught: ${error.message}`));

  const response = await page.goto(`${creditdesk.baseURL}/sign-in`);
  const policy = response?.headers()['content-security-policy'] ?? '';
  expect(policy).toMatch(/script-src 'self' 'nonce-[\w-]+' 'wasm-unsafe-eval'/);
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).not.toContain('unsafe-inline');

  await signIn(page, creditdesk, 'direct');
  await transfer(page, 'Reseller One', '30', 'Under the policy');
  await expect(balanceOf(page, 'Reseller One')).toHaveText('30');
  await expect(ownBalance(page)).toHaveText('70');
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');

  expect(violations).toEqual([]);
});
