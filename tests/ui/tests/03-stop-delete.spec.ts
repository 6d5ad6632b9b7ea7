/**
 * Stop a running training from the list (confirmation says what cannot be
 * undone), then multi-select and delete ended ones.
 */
import { Api, createTraining, expect, openArea, recordStatuses, recordedStatuses, serverState, shot, test, uniqueName } from './helpers';

test('stop a running training from the list', async ({ page, request }) => {
  const api = new Api(request);
  const experiment = uniqueName('exp-stop');
  const name = uniqueName('long');
  const panel = await openArea(page, 'trainings');
  await panel.locator('input[type="search"]').fill('long-');
  const created = await createTraining(api, name, experiment, { steps: '1000', sleep: '0.2' });
  // the new row appears without a reload
  const row = panel.locator(`.jp-EasyMaker-row[data-name="${name}"]`);
  await expect(row).toBeVisible();
  const badge = row.locator('.jp-EasyMaker-badge');
  await expect(badge).toHaveAttribute('data-status', 'RUNNING', { timeout: 30_000 });
  const badgeOf = `.jp-EasyMaker-row[data-name="${name}"] .jp-EasyMaker-badge`;
  await recordStatuses(panel, badgeOf); // on the list: the row may be mounted anew
  await row.click();
  await panel.locator('button[data-action="stop"]').click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('cannot be resumed');
  await expect(dialog).toContainText(name);
  await shot(page, 'stop-dialog');
  await dialog.locator('button.jp-mod-warn').click();
  await expect(badge).toHaveAttribute('data-status', 'STOPPED', { timeout: 30_000 });
  const t = await api.get(`trainings/${created.id}`);
  expect(t.status, JSON.stringify(t.history)).toBe('STOPPED');
  expect(t.history.map((h: any) => h.status)).toContain('STOP IN PROGRESS');
  // the list followed it live: from RUNNING, through the stop, to STOPPED
  const seen = await recordedStatuses(panel, badgeOf);
  expect(seen[0], seen.join(' > ')).toBe('RUNNING');
  expect(seen[seen.length - 1], seen.join(' > ')).toBe('STOPPED');
  await shot(page, 'trainings-stopped');
});

test('select several ended trainings and delete them', async ({ page, request }) => {
  const api = new Api(request);
  const experiment = uniqueName('exp-del');
  const prefix = uniqueName('del');
  const ids = [];
  for (const i of [1, 2, 3]) {
    ids.push((await createTraining(api, `${prefix}-${i}`, experiment, { steps: '1', sleep: '0' })).id);
  }
  for (const id of ids) {
    await api.waitStatus(id, ['COMPLETE']);
  }
  const panel = await openArea(page, 'trainings');
  await panel.locator('input[type="search"]').fill(prefix);
  const rows = panel.locator('.jp-EasyMaker-row[data-id]');
  await expect(rows).toHaveCount(3);
  await rows.nth(0).click();
  await rows.nth(2).click({ modifiers: ['Shift'] });
  await expect(panel.locator('[data-role="count"]')).toContainText('3 selected');
  // stop is not offered for ended trainings, copy and delete are
  await expect(panel.locator('button[data-action="stop"]')).toBeDisabled();
  await expect(panel.locator('button[data-action="copy"]')).toBeEnabled();
  await panel.locator('button[data-action="delete"]').click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('cannot be undone');
  await shot(page, 'delete-dialog');
  await dialog.locator('button.jp-mod-warn').click();
  await expect(rows).toHaveCount(0);
  const left = await api.get(`trainings?name=${prefix}`);
  expect(left.total).toBe(0);
});

test('copy opens a pre-filled create form', async ({ page, request }) => {
  const api = new Api(request);
  const name = uniqueName('copy-src');
  const t = await createTraining(api, name, uniqueName('exp-copy'), { steps: '1', sleep: '0' });
  await api.waitStatus(t.id, ['COMPLETE']);
  const panel = await openArea(page, 'trainings');
  await panel.locator('input[type="search"]').fill(name);
  await panel.locator(`.jp-EasyMaker-row[data-name="${name}"]`).click();
  await panel.locator('button[data-action="copy"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="training"]');
  await expect(form.locator('input[name="name"]')).toHaveValue(`${name}-copy`);
  await expect(form.locator('input[name="algorithm.entry_point"]')).toHaveValue('train.py');
  await shot(page, 'training-copy-form');
});

test('create a training template through its form', async ({ page }) => {
  const { root } = serverState();
  const name = uniqueName('tpl-form');
  const panel = await openArea(page, 'training-templates');
  await panel.locator('button[data-action="create"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="template"]');
  await form.locator('input[name="name"]').fill(name);
  await form.locator('input[name="algorithm.type"][value="builtin"]').check();
  await expect(form.locator('select[name="algorithm.name"]')).toBeVisible();
  await form.locator('select[name="algorithm.name"]').selectOption('sklearn-tabular');
  // the built-in algorithm's hyperparameters are pre-filled with their defaults
  await expect(form.locator('input[name="hyperparameters.key.0"]')).toHaveValue('target');
  await form.locator('input[name="hyperparameters.value.0"]').fill('label');
  await form.locator('button[data-action="add-datasets"]').click();
  await form.locator('input[name="datasets[0].name"]').fill('train');
  await form.locator('input[name="datasets[0].path"]').fill(`${root}/algo`);
  await shot(page, 'template-form');
  await form.locator('button[data-action="submit"]').click();
  const detail = page.locator('.jp-EasyMaker-detail', { has: page.locator('h2', { hasText: name }) });
  await expect(detail).toBeVisible();
  await expect(detail).toContainText('sklearn-tabular');
});
