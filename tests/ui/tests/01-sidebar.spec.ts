import { Api, createTraining, expect, openArea, openSidebar, shot, test, uniqueName } from './helpers';

test.describe('sidebar and dashboard', () => {
  test('the sidebar lists the areas the server offers, with a panel each', async ({ page, request }) => {
    const sidebar = await openSidebar(page);
    const info = await new Api(request).get('');
    const areas = sidebar.locator('button[data-area]');
    await expect(areas.first()).toBeVisible();
    const shown = await areas.evaluateAll(nodes => nodes.map(n => (n as HTMLElement).dataset.area));
    // the areas with a panel, in the guide's order
    expect(shown).toEqual([
      'dashboard',
      'notebooks',
      'experiments',
      'trainings',
      'hyperparameter-tuning',
      'training-templates',
      'models',
      'model-evaluations',
      'endpoints',
      'batch-inferences',
      'images',
      'registry-accounts',
      'pipelines',
      'pipeline-schedules',
      'rags',
      'llm',
      'modelfiles',
      'logs'
    ]);
    // each one offered by the server, under its id or the server's singular alias
    const alias: { [area: string]: string } = {
      'model-evaluations': 'model-evaluation',
      'batch-inferences': 'batch-inference',
      rags: 'rag'
    };
    for (const area of shown) {
      expect(info.capabilities.areas).toContain(alias[area as string] ?? area);
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

  test('the dashboard shows the most used resource per core type, its details on hover', async ({ page, request }) => {
    const api = new Api(request);
    const name = uniqueName('dash-busy');
    const created = await createTraining(api, name, uniqueName('exp-dash'), { steps: '1000', sleep: '0.05' });
    try {
      const panel = await openArea(page, 'dashboard');
      const top = panel.locator('[data-role="top-by-core-type"] .jp-EasyMaker-topResource[data-core-type="CPU"]');
      await expect(top).toContainText(name, { timeout: 30_000 });
      const title = await top.getAttribute('title');
      expect(title).toContain('training');
      expect(title).toContain('cpu-1');
      await expect(panel.locator('[data-role="usage-by-type"] tr[data-instance-type="cpu-1"] [data-kind="training"]')).toBeVisible();
      await shot(page, 'dashboard-top-resource');
    } finally {
      await api.post(`trainings/${created.id}/stop`).catch(() => undefined);
    }
  });
});
