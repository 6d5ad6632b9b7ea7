import { Api, expect, openArea, openSidebar, shot, test } from './helpers';

test.describe('sidebar and dashboard', () => {
  test('the sidebar lists the areas the server offers, with a panel each', async ({ page, request }) => {
    const sidebar = await openSidebar(page);
    const info = await new Api(request).get('');
    const areas = sidebar.locator('button[data-area]');
    await expect(areas.first()).toBeVisible();
    const shown = await areas.evaluateAll(nodes => nodes.map(n => (n as HTMLElement).dataset.area));
    // the four areas of this issue, in the guide's order; areas without a panel are not listed
    expect(shown).toEqual(['dashboard', 'experiments', 'trainings', 'training-templates']);
    for (const area of shown) {
      expect(info.capabilities.areas).toContain(area);
    }
    await expect(sidebar.locator('.jp-EasyMaker-live')).toHaveAttribute('data-mode', 'live');
    await expect(sidebar).toContainText(`Server ${info.version}`);
    await shot(page, 'sidebar');
  });

  test('the dashboard shows the guide counts and resource usage', async ({ page }) => {
    const panel = await openArea(page, 'dashboard');
    for (const id of ['active_notebooks', 'complete_trainings', 'complete_hpo', 'active_endpoints']) {
      await expect(panel.locator(`[data-count="${id}"]`)).toBeVisible();
    }
    await expect(panel).toContainText('Resource usage');
    await expect(panel.locator('.jp-EasyMaker-meter').first()).toBeVisible();
    await shot(page, 'dashboard');
  });
});
