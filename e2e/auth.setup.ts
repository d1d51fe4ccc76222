import { test as setup } from './fixtures';
import { AUTH_FILE, demoUser, expectAccessible, signIn, snap } from './support';

setup('sign in as the demo user', async ({ page }, testInfo) => {
  await page.goto('/sign-in');
  await expectAccessible(page, testInfo, 'sign-in');
  await snap(page, testInfo, '00-sign-in');
  await signIn(page, demoUser);
  await page.context().storageState({ path: AUTH_FILE });
});
