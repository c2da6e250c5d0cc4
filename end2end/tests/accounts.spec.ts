import { test, expect, signIn, signOut, balanceOf, ownBalance, transfer, row, hydrated, changePassword } from './fixtures';

test('a wrong password shows an error and signs nobody in', async ({ page, creditdesk }) => {
  await page.goto(`${creditdesk.baseURL}/reseller/customers`);
  await expect(page).toHaveURL(/\/sign-in$/);
  await hydrated(page);
  await page.getByLabel('Login').fill('direct');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();

  await expect(page.getByRole('alert')).toHaveText('Wrong login or password');
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByLabel('Password')).toHaveValue('not-the-password');
});

test('Reseller One passes on part of what it received to a customer it creates', async ({ page, creditdesk }) => {
  await signIn(page, creditdesk, 'direct');
  await transfer(page, 'Reseller One', '30', 'Stock for June');
  await signOut(page);

  await signIn(page, creditdesk, 'reseller1');
  await expect(page).toHaveURL(/\/reseller\/customers$/);
  await expect(ownBalance(page)).toHaveText('30');
  await expect(page.getByText('You have no sub-accounts yet')).toBeVisible();

  await page.getByRole('button', { name: 'Add customer' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add customer' });
  await dialog.getByLabel('Name').fill('Acme Shop');
  await dialog.getByLabel('Login').fill('acme');
  await dialog.getByLabel('Initial password').fill('acme-password');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  await expect(balanceOf(page, 'Acme Shop')).toHaveText('0');
  await expect(row(page, 'Acme Shop')).toContainText('acme');

  await transfer(page, 'Acme Shop', '12', 'First order');
  await expect(balanceOf(page, 'Acme Shop')).toHaveText('12');
  await expect(ownBalance(page)).toHaveText('18');

  // The new customer signs in with what its reseller chose, replaces it, and sees the same 12.
  await signOut(page);
  await signIn(page, creditdesk, 'acme', 'acme-password');
  await expect(page).toHaveURL(/\/change-password$/);
  await changePassword(page, 'acme-password', 'acme-own-password');
  await expect(page).toHaveURL(/\/account$/);
  await expect(ownBalance(page)).toHaveText('12');
  await expect(page.getByTestId('ledger-line').filter({ hasText: 'First order' })).toContainText('+12');
});

test('a customer sees a read-only view of its balance and transfers', async ({ page, creditdesk }) => {
  await signIn(page, creditdesk, 'direct');
  await transfer(page, 'Customer One', '30', 'Welcome credits');
  await signOut(page);

  await signIn(page, creditdesk, 'customer1');
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();
  await expect(ownBalance(page)).toHaveText('30');
  await expect(page.getByTestId('account-balance')).toHaveText('30');
  await expect(page.getByTestId('ledger-line')).toContainText(['Welcome credits']);
  await expect(page.getByRole('link', { name: 'Manage Customers' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /Add or remove credits/ })).toHaveCount(0);

  // Its own URL for the grid shows why not, rather than someone else's data.
  await page.goto(`${creditdesk.baseURL}/reseller/customers`);
  await expect(page.getByRole('alert')).toHaveText('Only resellers have sub-accounts');
});

test('a suspended sub-account cannot receive credits until reactivated, and can be renamed', async ({ page, creditdesk }) => {
  await signIn(page, creditdesk, 'direct');
  await page.getByRole('button', { name: 'Suspend Reseller Two' }).click();
  await expect(row(page, 'Reseller Two')).toContainText('Suspended');

  const dialog = await (async () => {
    await page.getByRole('button', { name: 'Add or remove credits for Reseller Two' }).click();
    return page.getByRole('dialog');
  })();
  await dialog.getByLabel('Credits').fill('10');
  await dialog.getByLabel('Note').fill('While suspended');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('Reseller Two is suspended; reactivate it before giving it credits');
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('button', { name: 'Reactivate Reseller Two' }).click();
  await expect(row(page, 'Reseller Two')).toContainText('Active');
  await transfer(page, 'Reseller Two', '10', 'Reactivated');
  await expect(balanceOf(page, 'Reseller Two')).toHaveText('10');

  await page.getByRole('button', { name: 'Rename Reseller Two' }).click();
  const rename = page.getByRole('dialog', { name: 'Rename Reseller Two' });
  await rename.getByLabel('Name').fill('Reseller Deux');
  await rename.getByRole('button', { name: 'Save' }).click();
  await expect(rename).toBeHidden();
  await expect(balanceOf(page, 'Reseller Deux')).toHaveText('10');
});
