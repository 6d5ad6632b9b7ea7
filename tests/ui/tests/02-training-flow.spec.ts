/**
 * The main flow through the forms: an experiment, a training with a form
 * error (client-side, then the server's 4xx under its field), the training
 * going to COMPLETE without a reload, its logs tailing live, metrics,
 * monitoring, status history; save it as a template.
 */
import { Api, expect, openArea, recordStatuses, recordedStatuses, serverState, shot, test, trainingDetail, uniqueName } from './helpers';

test.describe.configure({ mode: 'serial' });

const experiment = uniqueName('exp-ui');
const training = uniqueName('train-ui');

test('create an experiment through the form', async ({ page }) => {
  const panel = await openArea(page, 'experiments');
  await panel.locator('button[data-action="create"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="experiment"]');
  await expect(form.locator('input[name="name"]')).toBeVisible();
  // client-side check from the schema's pattern
  await form.locator('input[name="name"]').fill('bad name!');
  await form.locator('button[data-action="submit"]').click();
  await expect(form.locator('[data-error-for="name"]')).toContainText('letters, digits');
  await shot(page, 'experiment-form-error');
  await form.locator('input[name="name"]').fill(experiment);
  await form.locator('textarea[name="description"], input[name="description"]').fill('made by the UI test');
  await form.locator('button[data-action="submit"]').click();
  await expect(form).toHaveCount(0);
  const list = page.locator('.jp-EasyMaker-panel[data-area="experiments"]');
  const row = list.locator(`.jp-EasyMaker-row[data-name="${experiment}"]`);
  await expect(row).toBeVisible();
  await expect(row.locator('.jp-EasyMaker-badge')).toHaveAttribute('data-status', 'ACTIVE');
  await shot(page, 'experiments');
});

test('create a training through the form, with a server error shown under its field', async ({ page, request }) => {
  const { root } = serverState();
  const panel = await openArea(page, 'trainings');
  await panel.locator('button[data-action="create"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="training"]');
  await expect(form.locator('input[name="name"]')).toBeVisible();
  await form.locator('input[name="name"]').fill(training);
  await form.locator('select[name="experiment"]').selectOption({ label: experiment });
  await form.locator('input[name="algorithm.source_dir"]').fill(`${root}/algo`);
  // an entry point that is not in the algorithm path: only the server can tell
  await form.locator('input[name="algorithm.entry_point"]').fill('missing.py');
  await form.locator('button[data-action="add-hyperparameters"]').click();
  await form.locator('input[name="hyperparameters.key.0"]').fill('steps');
  await form.locator('input[name="hyperparameters.value.0"]').fill('12');
  await form.locator('button[data-action="add-hyperparameters"]').click();
  await form.locator('input[name="hyperparameters.key.1"]').fill('sleep');
  await form.locator('input[name="hyperparameters.value.1"]').fill('0.5');
  await form.locator('input[name="nodes"]').fill('0');
  await form.locator('button[data-action="submit"]').click();
  // the schema's minimum, checked in the browser
  await expect(form.locator('[data-error-for="nodes"]')).toContainText('at least 1');
  await form.locator('input[name="nodes"]').fill('1');
  await form.locator('button[data-action="submit"]').click();
  const serverError = form.locator('[data-error-for="algorithm.entry_point"]');
  await expect(serverError).toContainText('is not in the algorithm path');
  await expect(form.locator('.jp-EasyMaker-formError')).toBeVisible();
  await serverError.scrollIntoViewIfNeeded();
  await shot(page, 'training-form-error');
  // nothing was created
  const listed = await new Api(request).get(`trainings?name=${training}`);
  expect(listed.total).toBe(0);

  await form.locator('input[name="algorithm.entry_point"]').fill('train.py');
  await expect(serverError).toHaveCount(0);
  await form.locator('button[data-action="submit"]').click();
  const detail = trainingDetail(page, training);
  await expect(detail).toBeVisible();
  await expect(form).toHaveCount(0);

  // watch it go to COMPLETE without reloading; tail the logs meanwhile
  const body = detail.locator('.jp-EasyMaker-detailBody');
  await recordStatuses(body);
  await detail.locator('button[data-tab="logs"]').click();
  const lines = detail.locator('.jp-EasyMaker-logLine');
  await expect(lines.filter({ hasText: 'step 2:' })).toBeVisible({ timeout: 30_000 });
  const duringRun = await body.getAttribute('data-status');
  expect(duringRun).toBe('RUNNING');
  await shot(page, 'training-logs-live');
  // pause: lines keep arriving and are counted, the view stays where it is
  const follow = detail.locator('button[data-action="follow"]');
  await follow.click();
  await expect(follow).toHaveAttribute('aria-pressed', 'false');
  await expect(follow).toHaveText(/\(\+\d+\)/, { timeout: 15_000 });
  await follow.click();
  await expect(follow).toHaveAttribute('aria-pressed', 'true');
  await expect(lines.filter({ hasText: 'step 6:' })).toBeVisible();
  await expect(body).toHaveAttribute('data-status', 'COMPLETE', { timeout: 60_000 });
  await expect(lines.filter({ hasText: 'done' })).toBeVisible();
  const seen = await recordedStatuses(body);
  expect(seen.indexOf('RUNNING')).toBeGreaterThanOrEqual(0);
  expect(seen[seen.length - 1]).toBe('COMPLETE');
  await expect(detail.locator('[data-role="log-state"]')).toContainText('ended (COMPLETE)');

  // search and download
  await detail.locator('.jp-EasyMaker-logs input[type="search"]').fill('step 1');
  await expect(lines).toHaveCount(4); // step 1, 10, 11, 12
  await expect(lines.first().locator('mark')).toHaveText('step 1');
  await shot(page, 'training-logs-search');
  const download = page.waitForEvent('download');
  await detail.locator('button[data-action="download-logs"]').click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(`${training}.log`);
  const text = await (await file.createReadStream())!.toArray();
  expect(Buffer.concat(text).toString()).toContain('step 12: loss=');

  // the list row changed without a reload too
  await page.locator('.lm-TabBar-tab', { hasText: 'Trainings' }).first().click();
  const row = panel.locator(`.jp-EasyMaker-row[data-name="${training}"]`);
  await expect(row.locator('.jp-EasyMaker-badge')).toHaveAttribute('data-status', 'COMPLETE');
  await shot(page, 'trainings');
});

test('the detail tabs: overview, hyperparameters, metrics, monitoring, history', async ({ page }) => {
  const panel = await openArea(page, 'trainings');
  await panel.locator('input[type="search"]').fill(training);
  const row = panel.locator(`.jp-EasyMaker-row[data-name="${training}"]`);
  await row.dblclick();
  const detail = trainingDetail(page, training);
  await expect(detail.locator('.jp-EasyMaker-details')).toContainText(experiment);
  await shot(page, 'training-overview');
  await detail.locator('button[data-tab="hyperparameters"]').click();
  await expect(detail.locator('[data-role="hyperparameters"]')).toContainText('steps');
  await shot(page, 'training-hyperparameters');
  await detail.locator('button[data-tab="metrics"]').click();
  await expect(detail.locator('[data-chart="loss"] canvas')).toBeVisible();
  await expect(detail.locator('[data-chart="accuracy"] canvas')).toBeVisible();
  await expect(detail.locator('tr[data-metric="loss"]')).toContainText('12');
  await shot(page, 'training-metrics');
  await detail.locator('button[data-tab="monitoring"]').click();
  await expect(detail.locator('[data-role="monitoring"], [data-role="no-usage"]')).toBeVisible();
  await shot(page, 'training-monitoring');
  await detail.locator('button[data-tab="history"]').click();
  const history = detail.locator('[data-role="history"]');
  for (const s of ['CREATE REQUESTED', 'RUNNING', 'COMPLETE']) {
    await expect(history.locator(`.jp-EasyMaker-badge[data-status="${s}"]`)).toBeVisible();
  }
  await shot(page, 'training-history');
});

test('save the training as a template and start a training from it', async ({ page }) => {
  const template = `${training}-tpl`;
  const panel = await openArea(page, 'trainings');
  await panel.locator('input[type="search"]').fill(training);
  await panel.locator(`.jp-EasyMaker-row[data-name="${training}"]`).click();
  await panel.locator('button[data-action="template"]').click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('input').fill(template);
  await dialog.locator('button.jp-mod-accept').click();
  const detail = page.locator('.jp-EasyMaker-detail', { has: page.locator('h2', { hasText: template }) });
  await expect(detail).toBeVisible();
  await detail.locator('button[data-tab="hyperparameters"]').click();
  await expect(detail.locator('[data-role="hyperparameters"]')).toContainText('sleep');
  await shot(page, 'template-detail');
  const templates = await openArea(page, 'training-templates');
  await expect(templates.locator(`.jp-EasyMaker-row[data-name="${template}"]`)).toBeVisible();
  await shot(page, 'templates');
  await templates.locator(`.jp-EasyMaker-row[data-name="${template}"]`).click();
  await templates.locator('button[data-action="use"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="training"]');
  await expect(form.locator('select[name="template_id"] option:checked')).toHaveText(template);
  await expect(form.locator('input[name="algorithm.entry_point"]')).toHaveValue('train.py');
  await expect(form.locator('input[name="hyperparameters.value.0"]')).toHaveValue('12');
  await shot(page, 'training-form-from-template');
  await form.locator('button[data-action="cancel"]').click();
});

test('an experiment shows its trainings', async ({ page }) => {
  const panel = await openArea(page, 'experiments');
  await panel.locator(`.jp-EasyMaker-row[data-name="${experiment}"]`).dblclick();
  const detail = page.locator('.jp-EasyMaker-detail', { has: page.locator('h2', { hasText: experiment }) });
  await expect(detail.locator(`.jp-EasyMaker-row[data-name="${training}"]`)).toBeVisible();
  await shot(page, 'experiment-detail');
});
