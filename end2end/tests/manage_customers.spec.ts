import { test, expect, signIn, balanceOf, ownBalance, openCredits, fillCredits, transfer, row } from './fixtures';

test.describe('Manage Customers', () => {
  test.beforeEach(async ({ page, creditdesk }) => {
    await signIn(page, creditdesk, 'direct');
    await expect(page).toHaveURL(/\/reseller\/customers$/);
  });

  test('the worked example: 100 credits, 30 to each of three sub-accounts, 10 left', async ({ page }) => {
    await expect(page.getByRole('heading', { name: 'Manage Customers' })).toBeVisible();
    await expect(ownBalance(page)).toHaveText('100');
    for (const name of ['Reseller One', 'Reseller Two', 'Customer One']) {
      await expect(balanceOf(page, name)).toHaveText('0');
    }

    await transfer(page, 'Reseller One', '30', 'June order');
    await expect(balanceOf(page, 'Reseller One')).toHaveText('30');
    await expect(ownBalance(page)).toHaveText('70');

    await transfer(page, 'Reseller Two', '30', 'June order');
    await transfer(page, 'Customer One', '30', 'June order');

    for (const name of ['Reseller One', 'Reseller Two', 'Customer One']) {
      await expect(balanceOf(page, name)).toHaveText('30');
    }
    await expect(ownBalance(page)).toHaveText('10');

    // The note stays with each transfer, and a reload shows the same balances.
    await expect(page.getByTestId('ledger-line').filter({ hasText: 'June order' })).toHaveCount(3);
    await page.reload();
    await expect(ownBalance(page)).toHaveText('10');
    await expect(balanceOf(page, 'Customer One')).toHaveText('30');
  });

  test('a minus sign revokes credits back to the reseller', async ({ page }) => {
    await transfer(page, 'Customer One', '30', 'Trial credits');
    await transfer(page, 'Customer One', '-5', 'Unused trial credits');

    await expect(balanceOf(page, 'Customer One')).toHaveText('25');
    await expect(ownBalance(page)).toHaveText('75');
    const line = page.getByTestId('ledger-line').filter({ hasText: 'Unused trial credits' });
    await expect(line).toContainText('Revoke');
    await expect(line).toContainText('+5');
  });

  test('the pop-up previews the result before Save', async ({ page }) => {
    const dialog = await openCredits(page, 'Reseller One');
    await dialog.getByLabel('Credits').fill('30');
    await expect(dialog.getByTestId('preview')).toHaveText('Reseller One: 0 → 30 · You: 100 → 70');
  });

  const refused = [
    { credits: 'abc', note: 'x', message: 'Enter a whole number of credits, e.g. 30 or -5' },
    { credits: '1.5', note: 'x', message: 'Enter a whole number of credits, e.g. 30 or -5' },
    { credits: '0', note: 'x', message: 'Enter a number of credits other than 0, e.g. 30 to give or -5 to take back' },
    { credits: '30', note: '', message: 'Add a note so you can track this transfer' },
    { credits: '101', note: 'Too much', message: 'You have 100 credits; you cannot give 101' },
    { credits: '-1', note: 'Nothing to take', message: 'Reseller Two has 0 credits; you cannot revoke 1' },
  ];
  for (const { credits, note, message } of refused) {
    test(`"${credits}" with note "${note}" is refused with its reason and changes nothing`, async ({ page }) => {
      const dialog = await openCredits(page, 'Reseller Two');
      await fillCredits(dialog, credits, note);
      await dialog.getByRole('button', { name: 'Save', exact: true }).click();

      await expect(dialog.getByRole('alert')).toHaveText(message);
      // The pop-up stays open with what was typed.
      await expect(dialog.getByLabel('Credits')).toHaveValue(credits);
      await expect(dialog.getByLabel('Note')).toHaveValue(note);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await expect(dialog).toBeHidden();
      await expect(balanceOf(page, 'Reseller Two')).toHaveText('0');
      await expect(ownBalance(page)).toHaveText('100');
      await page.reload();
      await expect(ownBalance(page)).toHaveText('100');
        await expect(page.getByTestId('ledger-line')).toHaveCount(1);
    });
  }

  test('a double click on Save moves credits once', async ({ page, creditdesk }) => {
    const dialog = await openCredits(page, 'Reseller One');
    await fillCredits(dialog, '30', 'Double click');
    await dialog.getByRole('button', { name: 'Save', exact: true }).dblclick();
    await expect(dialog).toBeHidden();

    await expect(balanceOf(page, 'Reseller One')).toHaveText('30');
    await expect(ownBalance(page)).toHaveText('70');
    await page.reload();
    await expect(balanceOf(page, 'Reseller One')).toHaveText('30');
    await expect(ownBalance(page)).toHaveText('70');
    expect(creditdesk.verify()).toContain('transfers:       2');
  });

  // The test above would pass without the server's idempotency, since the page drops the second
  // click itself. Here the Save request is sent twice more as it was, with the page's cookies, as a
  // retry after a lost answer would send it: only the server can make those move nothing.
  test('the same Save request sent three times moves credits once', async ({ page, creditdesk }) => {
    const dialog = await openCredits(page, 'Reseller One');
    await fillCredits(dialog, '30', 'Sent three times');
    const sent = page.waitForRequest((request) => request.url().endsWith('/api/transfer_credits'));
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    const save = await sent;
    const receipt = await (await save.response())!.body();
    await expect(dialog).toBeHidden();

    for (const retry of [1, 2]) {
      const answer = await page.request.post(save.url(), { headers: save.headers(), data: save.postDataBuffer()! });
      expect(answer.status(), `retry ${retry}`).toBe(200);
      expect(await answer.body(), `retry ${retry}`).toEqual(receipt);
    }

    await page.reload();
    await expect(balanceOf(page, 'Reseller One')).toHaveText('30');
    await expect(ownBalance(page)).toHaveText('70');
    await expect(page.getByTestId('ledger-line').filter({ hasText: 'Sent three times' })).toHaveCount(1);
    expect(creditdesk.verify()).toContain('transfers:       2');
  });

  test('after a refusal, a corrected Save from the same pop-up goes through', async ({ page }) => {
    const dialog = await openCredits(page, 'Reseller Two');
    await fillCredits(dialog, '101', 'All of it');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(dialog.getByRole('alert')).toHaveText('You have 100 credits; you cannot give 101');

    await dialog.getByLabel('Credits').fill('100');
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();

    await expect(dialog).toBeHidden();
    await expect(balanceOf(page, 'Reseller Two')).toHaveText('100');
    await expect(ownBalance(page)).toHaveText('0');
  });

  test('Escape closes the pop-up and focus returns to the row', async ({ page }) => {
    const dialog = await openCredits(page, 'Customer One');
    await expect(dialog.getByLabel('Credits')).toBeFocused();
    await dialog.getByLabel('Credits').fill('30');
    await page.keyboard.press('Escape');

    await expect(dialog).toBeHidden();
    await expect(page.getByRole('button', { name: 'Add or remove credits for Customer One' })).toBeFocused();
    await expect(balanceOf(page, 'Customer One')).toHaveText('0');
  });

  test('the grid reads well on a phone', async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    await expect(row(page, 'Reseller One')).toBeVisible();
    await transfer(page, 'Reseller One', '30', 'From my phone');
    await expect(balanceOf(page, 'Reseller One')).toHaveText('30');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
