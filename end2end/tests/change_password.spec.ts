import { test, expect, signIn, signOut, hydrated, changePassword } from './fixtures';

test('a freshly created customer must choose its own password, then lands on its home', async ({ page, creditdesk }) => {
  await signIn(page, creditdesk, 'direct');
  await page.getByRole('button', { name: 'Add customer' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add customer' });
  await dialog.getByLabel('Name').fill('Fresh Shop');
  await dialog.getByLabel('Login').fill('fresh');
  await dialog.getByLabel('Initial password').fill('from-the-reseller');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await expect(dialog).toBeHidden();
  await signOut(page);

  await signIn(page, creditdesk, 'fresh', 'from-the-reseller');
  await expect(page).toHaveURL(/\/change-password$/);
  // Nothing else is open to it until it has chosen its own password.
  await page.goto(`${creditdesk.baseURL}/account`);
  await expect(page).toHaveURL(/\/change-password$/);
  await hydrated(page);

  await page.getByLabel('Current password').fill('not-the-password');
  await page.getByLabel('New password', { exact: true }).fill('only-mine-now');
  await page.getByLabel('Repeat new password').fill('only-mine-now');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toHaveText('That is not your current password');
  await expect(page.getByLabel('Current password')).toHaveAttribute('aria-invalid', 'true');

  await page.getByLabel('Current password').fill('from-the-reseller');
  await page.getByLabel('Repeat new password').fill('only-mine-n0w');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toHaveText('The two new passwords differ; type the same one twice');

  await page.getByLabel('Repeat new password').fill('only-mine-now');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Your account' })).toBeVisible();

  // From now on its own password is the one that signs in, straight to its home.
  await signOut(page);
  await signIn(page, creditdesk, 'fresh', 'only-mine-now');
  await expect(page).toHaveURL(/\/account$/);
});

test('a signed-in user changes its password from the top bar', async ({ page, creditdesk }) => {
  await signIn(page, creditdesk, 'reseller1');
  await page.getByRole('link', { name: 'Change password' }).click();
  await expect(page).toHaveURL(/\/change-password$/);
  await changePassword(page, 'creditdesk-demo', 'reseller-one-own');
  await expect(page).toHaveURL(/\/reseller\/customers$/);

  await signOut(page);
  await signIn(page, creditdesk, 'reseller1', 'reseller-one-own');
  await expect(page).toHaveURL(/\/reseller\/customers$/);
});
