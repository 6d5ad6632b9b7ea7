/** The panels in JupyterLab Dark: colours come from the theme's CSS variables. */
import { galata } from '@jupyterlab/galata';

import { Api, createTraining, expect, openArea, shot, test, trainingDetail, uniqueName } from './helpers';

test.use({
  mockSettings: {
    ...galata.DEFAULT_SETTINGS,
    '@jupyterlab/apputils-extension:themes': { theme: 'JupyterLab Dark' }
  }
});

function luminance(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+/g) ?? ['255', '255', '255']).map(Number);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

test('dark theme renders the panels', async ({ page, request }) => {
  await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', 'false');
  const api = new Api(request);
  const name = uniqueName('dark');
  const t = await createTraining(api, name, uniqueName('exp-dark'), { steps: '4', sleep: '0.05' });
  await api.waitStatus(t.id, ['COMPLETE']);
  const panel = await openArea(page, 'trainings');
  const background = await panel.evaluate(n => getComputedStyle(n).backgroundColor);
  const text = await panel.locator('.jp-EasyMaker-tableHeader').evaluate(n => getComputedStyle(n).color);
  expect(luminance(background)).toBeLessThan(80);
  expect(luminance(text)).toBeGreaterThan(150);
  await shot(page, 'dark-trainings');
  await panel.locator('input[type="search"]').fill(name);
  await panel.locator(`.jp-EasyMaker-row[data-name="${name}"] [data-role="open"]`).click();
  const detail = trainingDetail(page, name);
  await detail.locator('button[data-tab="metrics"]').click();
  await expect(detail.locator('[data-chart="loss"] canvas')).toBeVisible();
  const detailBg = await detail.evaluate(n => getComputedStyle(n).backgroundColor);
  expect(luminance(detailBg)).toBeLessThan(80);
  await shot(page, 'dark-training-metrics');
  await openArea(page, 'dashboard');
  await shot(page, 'dark-dashboard');
});
