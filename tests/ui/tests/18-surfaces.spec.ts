/**
 * Actions every surface offers, in the panel: rename a training from its
 * detail header, edit a template in the create form filled with it, and an
 * experiment's detail listing its tunings and pipeline runs beside its trainings.
 */
import { Api, createTraining, expect, openArea, shot, test, trainingDetail, uniqueName } from './helpers';

test('rename a training from its detail header', async ({ page, request }) => {
  const api = new Api(request);
  const name = uniqueName('rename');
  const renamed = `${name}-new`;
  const created = await createTraining(api, name, uniqueName('exp-rename'), { steps: '1', sleep: '0' });
  await api.waitStatus(created.id, ['COMPLETE']);
  const panel = await openArea(page, 'trainings');
  await panel.locator('input[type="search"]').fill(name);
  await panel.locator(`.jp-EasyMaker-row[data-name="${name}"]`).dblclick();
  const detail = trainingDetail(page, name);
  await expect(detail).toBeVisible();
  await detail.locator('button[data-action="rename"]').click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog.locator('input[name="name"]')).toHaveValue(name);
  await dialog.locator('input[name="name"]').fill(renamed);
  await dialog.locator('input[name="description"]').fill('renamed in its detail header');
  await shot(page, 'rename-dialog');
  await dialog.locator('button.jp-mod-accept').click();
  await expect(page.locator(`.jp-EasyMaker-detail[data-resource-id="${created.id}"] h2.jp-EasyMaker-detailTitle`)).toHaveText(renamed);
  const t = await api.get(`trainings/${created.id}`);
  expect(t.name).toBe(renamed);
  expect(t.description).toBe('renamed in its detail header');
  // the list follows the change feed (shown again: the detail tab covered it)
  const list = await openArea(page, 'trainings');
  await list.locator('input[type="search"]').fill(renamed);
  await expect(list.locator(`.jp-EasyMaker-row[data-name="${renamed}"]`)).toBeVisible();
});

test('edit a template in the form filled with it', async ({ page, request }) => {
  const api = new Api(request);
  const training = await createTraining(api, uniqueName('tpl-src'), uniqueName('exp-tpl'), { steps: '1', sleep: '0' });
  await api.waitStatus(training.id, ['COMPLETE']);
  const name = uniqueName('tpl-edit');
  const template = await api.post(`trainings/${training.id}/template`, { name, description: 'before' });
  const panel = await openArea(page, 'training-templates');
  await panel.locator(`.jp-EasyMaker-row[data-name="${name}"]`).dblclick();
  const detail = page.locator('.jp-EasyMaker-detail', { has: page.locator('h2', { hasText: name }) });
  await detail.locator('button[data-action="edit"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="template"]');
  await expect(form.locator('input[name="name"]')).toHaveValue(name);
  await expect(form.locator('textarea[name="description"], input[name="description"]')).toHaveValue('before');
  await form.locator('textarea[name="description"], input[name="description"]').fill('after');
  await shot(page, 'template-edit-form');
  await form.locator('button[data-action="submit"]').click();
  await expect(form).toHaveCount(0);
  const saved = await api.get(`training-templates/${template.id}`);
  expect(saved.description).toBe('after');
  expect(saved.spec.hyperparameters).toEqual(template.spec.hyperparameters); // nothing else changed
});

test("an experiment's detail lists its tunings and pipeline runs", async ({ page, request }) => {
  const api = new Api(request);
  const experiment = uniqueName('exp-all');
  await createTraining(api, uniqueName('in-exp'), experiment, { steps: '1', sleep: '0' });
  const panel = await openArea(page, 'experiments');
  await panel.locator(`.jp-EasyMaker-row[data-name="${experiment}"]`).dblclick();
  const detail = page.locator('.jp-EasyMaker-detail', { has: page.locator('h2', { hasText: experiment }) });
  await expect(detail.locator('button[data-tab="trainings"]')).toBeVisible();
  await detail.locator('button[data-tab="tunings"]').click();
  await expect(detail.locator('[data-tab-body="tunings"]')).toBeVisible();
  await detail.locator('button[data-tab="pipeline-runs"]').click();
  await expect(detail.locator('[data-tab-body="pipeline-runs"]')).toBeVisible();
  await shot(page, 'experiment-runs-tab');
});
