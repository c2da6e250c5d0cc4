import { readFileSync } from 'node:fs';
import { test, expect, signIn, balanceOf, transfer, hydrated, row } from './fixtures';

/** The balances shown in the grid, as numbers. */
async function shownBalances(page: import('@playwright/test').Page): Promise<number[]> {
  const texts = await page.getByTestId('balance').allTextContents();
  return texts.map((text) => Number(text.replaceAll(',', '')));
}

test.describe('Manage Customers among thousands', () => {
  test.use({ dataset: { subAccounts: 3000, transfers: 600 } });

  test('a search finds one customer among thousands, opens its credit pop-up and survives a reload', async ({ page, creditdesk }) => {
    await signIn(page, creditdesk, 'direct');
    await expect(page.getByTestId('match-count')).toHaveText('3,003');
    await expect(page.getByTestId('account-row')).toHaveCount(50);

    await page.getByLabel('Search sub-accounts').pressSequentially('customer o', { delay: 30 });
    await expect(page.getByTestId('match-count')).toHaveText('1');
    await expect(page.getByTestId('account-row')).toHaveCount(1);
    await expect(page).toHaveURL(/[?&]q=customer(\+|%20)o/);

    await transfer(page, 'Customer One', '25', 'Found among thousands');
    await expect(balanceOf(page, 'Customer One')).toHaveText('25');
    await expect(page.getByTestId('match-credits')).toHaveText('25');

    await page.reload();
    await hydrated(page);
    await expect(page.getByLabel('Search sub-accounts')).toHaveValue('customer o');
    await expect(page.getByTestId('account-row')).toHaveCount(1);
    await expect(balanceOf(page, 'Customer One')).toHaveText('25');
  });

  test('sorting by balance orders every page, both ways, and Back returns to the previous view', async ({ page, creditdesk }) => {
    await signIn(page, creditdesk, 'direct');
    const byName = await page.getByTestId('balance').allTextContents();
    const header = page.getByRole('columnheader', { name: 'Balance', exact: true });
    const largestFirst = (balances: number[]) => balances.every((b, i) => i === 0 || balances[i - 1] >= b);
    const smallestFirst = (balances: number[]) => balances.every((b, i) => i === 0 || balances[i - 1] <= b);

    await header.getByRole('link').click();
    await expect(header).toHaveAttribute('aria-sort', 'descending');
    await expect(page).toHaveURL(/sort=balance&dir=desc/);
    // The rows change once the answer arrives; until then the previous ones stay.
    await expect.poll(async () => largestFirst(await shownBalances(page))).toBe(true);
    const firstTexts = await page.getByTestId('balance').allTextContents();
    expect(firstTexts).not.toEqual(byName);
    const first = await shownBalances(page);

    await page.getByRole('link', { name: 'Next page' }).click();
    await expect(page).toHaveURL(/cursor=/);
    await expect(page.getByRole('link', { name: 'Previous page' })).toBeVisible();
    await expect.poll(async () => (await page.getByTestId('balance').allTextContents()).join()).not.toBe(firstTexts.join());
    const second = await shownBalances(page);
    expect(largestFirst(second)).toBe(true);
    expect(second[0]).toBeLessThanOrEqual(first[first.length - 1]);

    await page.goBack();
    await expect(page).not.toHaveURL(/cursor=/);
    await expect(page.getByTestId('balance')).toHaveText(firstTexts);

    await header.getByRole('link').click();
    await expect(header).toHaveAttribute('aria-sort', 'ascending');
    await expect.poll(async () => smallestFirst(await shownBalances(page))).toBe(true);
    await expect(page.getByRole('columnheader', { name: 'Name', exact: true })).not.toHaveAttribute('aria-sort', /.+/);
  });
});

test.describe('The transfers page', () => {
  test('a row opens its transfers page after the worked example, with the grant and its note', async ({ page, creditdesk }) => {
    await signIn(page, creditdesk, 'direct');
    for (const name of ['Reseller One', 'Reseller Two', 'Customer One']) {
      await transfer(page, name, '30', 'June order');
    }
    await row(page, 'Reseller One').getByRole('link', { name: 'Transfers of Reseller One' }).click();
    await expect(page).toHaveURL(/\/transfers\?account=\d+$/);
    await hydrated(page);
    await expect(page.getByText('Reseller One · balance')).toBeVisible();
    const grant = page.getByTestId('ledger-line');
    await expect(grant).toHaveCount(1);
    await expect(grant).toContainText('Grant');
    await expect(grant).toContainText('Direct Reseller');
    await expect(grant).toContainText('+30');
    await expect(grant).toContainText('June order');
    await expect(page.getByRole('img', { name: /^Balance from \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}: 30 credits at the end/ })).toBeVisible();

    // The top bar leads to the signed-in account's own transfers; the filters live in the URL, and
    // each change loads the page with them (the defaults left out of the URL).
    await page.getByRole('link', { name: 'Transfers', exact: true }).click();
    await expect(page).toHaveURL(/\/transfers$/);
    await hydrated(page);
    await expect(page.getByTestId('ledger-line')).toHaveCount(4);
    await page.getByLabel('Type').selectOption('top_up');
    await expect(page).toHaveURL(/\/transfers\?kind=top_up$/);
    await expect(page.getByTestId('ledger-line')).toHaveCount(1);
    await hydrated(page);
    await expect(page.getByLabel('Type')).toHaveValue('top_up');
    await page.getByLabel('Type').selectOption('');
    await expect(page).toHaveURL(/\/transfers$/);
    await hydrated(page);
    await page.getByLabel('Search notes').fill('june');
    await page.getByLabel('Search notes').press('Enter');
    await expect(page).toHaveURL(/\/transfers\?note=june$/);
    await expect(page.getByTestId('ledger-line')).toHaveCount(3);
    await hydrated(page);
    await expect(page.getByLabel('Search notes')).toHaveValue('june');
    await page.getByLabel('From', { exact: true }).fill('2999-01-01');
    await expect(page).toHaveURL(/\/transfers\?from=2999-01-01&note=june$/);
    await expect(page.getByText('No transfers match these filters.')).toBeVisible();
    await page.goBack();
    await expect(page.getByTestId('ledger-line')).toHaveCount(3);
  });

  test('the CSV download holds the same transfers and reads back', async ({ page, creditdesk }) => {
    await signIn(page, creditdesk, 'direct');
    await transfer(page, 'Reseller One', '30', 'June order');
    await transfer(page, 'Customer One', '12', '=HYPERLINK("http://evil.example","Click")');
    await page.getByRole('link', { name: 'Transfers', exact: true }).click();
    await hydrated(page);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^transfers-\d+-\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = readFileSync(await download.path(), 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('Time (UTC),Type,Counterparty,Credits,Balance after,Note,By,Transfer');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z,grant,Customer One,-12,58,"'=HYPERLINK\(""http:\/\/evil\.example"",""Click""\)",direct,\d+$/);
    expect(lines[2]).toMatch(/,grant,Reseller One,-30,70,June order,direct,\d+$/);
    expect(lines[3]).toMatch(/,top_up,Platform,100,100,Demo opening balance,demo,\d+$/);
  });

  test('the transfers page and its chart read well on a phone', async ({ page, creditdesk }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    await signIn(page, creditdesk, 'direct');
    await transfer(page, 'Reseller One', '30', 'From my phone');
    await page.goto(`${creditdesk.baseURL}/transfers`);
    await hydrated(page);
    await expect(page.getByRole('img', { name: /Balance from/ })).toBeVisible();
    const chart = await page.getByRole('img', { name: /Balance from/ }).boundingBox();
    expect(chart?.width).toBeGreaterThan(250);
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll('body *')]
        .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map((element) => `${element.tagName}.${element.className}`),
    );
    expect(wide).toEqual([]);
  });
});
