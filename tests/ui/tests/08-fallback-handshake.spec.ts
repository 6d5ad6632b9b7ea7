/**
 * Without the event stream the panels poll at the refresh interval (a
 * setting); a missing or different server extension is said plainly.
 */
import { galata } from '@jupyterlab/galata';

import { Api, createTraining, expect, openArea, openSidebar, shot, test, uniqueName } from './helpers';

test.describe('polling fallback', () => {
  test.use({
    mockSettings: { ...galata.DEFAULT_SETTINGS, 'jupyter-easymaker:plugin': { refreshInterval: 1, defaultExperiment: 'polling-exp' } },
    autoGoto: false
  });

  test('statuses still arrive when the event stream is blocked', async ({ page, request }) => {
    await page.route(/easymaker\/api\/v1\/events/, route => route.abort());
    await page.goto();
    const sidebar = await openSidebar(page);
    await expect(sidebar.locator('.jp-EasyMaker-live')).toHaveAttribute('data-mode', 'polling');
    const panel = await openArea(page, 'trainings');
    const name = uniqueName('poll');
    await panel.locator('input[type="search"]').fill(name);
    await createTraining(new Api(request), name, uniqueName('exp-poll'), { steps: '3', sleep: '0.2' });
    const badge = panel.locator(`.jp-EasyMaker-row[data-name="${name}"] .jp-EasyMaker-badge`);
    await expect(badge).toHaveAttribute('data-status', 'COMPLETE', { timeout: 30_000 });
    await shot(page, 'trainings-polling');
    // the default experiment setting preselects a new experiment in the form
    await panel.locator('button[data-action="create"]').click();
    const form = page.locator('.jp-EasyMaker-createForm[data-kind="training"]');
    await expect(form.locator('input[name="experiment_name"]')).toHaveValue('polling-exp');
  });
});

test.describe('handshake', () => {
  test.use({ autoGoto: false });

  test('a different server version is reported', async ({ page }) => {
    await page.route(/easymaker\/api\/v1\/?(\?.*)?$/, async route => {
      const response = await route.fetch();
      const body = await response.json();
      await route.fulfill({ response, json: { ...body, version: '99.0.0' } });
    });
    await page.goto();
    const sidebar = await openSidebar(page);
    await expect(sidebar.locator('[data-role="handshake-mismatch"]')).toContainText('99.0.0');
    await expect(page.locator('.jp-toast-container, .Toastify')).toContainText('Version mismatch');
    await shot(page, 'handshake-mismatch');
  });

  test('a missing server extension is reported', async ({ page }) => {
    await page.route(/easymaker\/api\/v1\/.*/, route => route.fulfill({ status: 404, json: { message: 'Not Found' } }));
    await page.route(/easymaker\/api\/v1\/?(\?.*)?$/, route => route.fulfill({ status: 404, json: { message: 'Not Found' } }));
    await page.goto();
    const sidebar = await openSidebar(page);
    await expect(sidebar.locator('[data-role="handshake-error"]')).toContainText('not enabled');
    await expect(sidebar.locator('button[data-area]')).toHaveCount(0);
    await shot(page, 'handshake-missing');
  });
});
