import { expect, openSidebar, shot, test } from './helpers';

test('sidebar lists the areas the server offers', async ({ page }) => {
  const sidebar = await openSidebar(page);
  await expect(sidebar.locator('button[data-area="trainings"]')).toBeVisible();
  await shot(page, 'smoke');
});
