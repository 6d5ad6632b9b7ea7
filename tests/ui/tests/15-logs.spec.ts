/** The log search panel: a search over every job's logs, a syntax error under the query box, a live tail. */
import { Api, createTraining, expect, openArea, shot, test, trainingDetail, uniqueName } from './helpers';

test('search the logs, open the resource of a record', async ({ page, request }) => {
  const api = new Api(request);
  const name = uniqueName('logs');
  const t = await createTraining(api, name, uniqueName('exp-logs'), { steps: '3', sleep: '0.05' });
  await api.waitStatus(t.id, ['COMPLETE']);
  const panel = await openArea(page, 'logs');
  await panel.locator('[data-role="log-query"]').fill(`trainingId:${t.id} AND "learning rate"`);
  await panel.locator('[data-role="log-search"]').click();
  const rows = panel.locator('[data-role="log-row"]');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('starting: 3 steps, learning rate');
  await expect(rows.first()).toContainText('easymaker.training');
  // a level quick filter narrows the same query: the training wrote no ERROR line
  await panel.locator('[data-role="log-level"]').selectOption('ERROR');
  await expect(panel.locator('[data-role="log-empty"]')).toBeVisible();
  await panel.locator('[data-role="log-level"]').selectOption('');
  await expect(rows).toHaveCount(1);
  await shot(page, 'logs-search');
  await rows.first().locator('[data-role="log-resource"]').click();
  await expect(trainingDetail(page, name)).toBeVisible();
});

test('a syntax error is shown under the query box with its position', async ({ page }) => {
  const panel = await openArea(page, 'logs');
  await panel.locator('[data-role="log-query"]').fill('logLevel:ERROR AND');
  await panel.locator('[data-role="log-query"]').press('Enter');
  const error = panel.locator('[data-role="query-error"]');
  await expect(error).toContainText('ends too early');
  await expect(error).toContainText('position 18');
  await panel.locator('[data-role="log-query"]').fill('level:ERROR');
  await panel.locator('[data-role="log-search"]').click();
  await expect(error).toContainText("unknown field 'level'");
  await expect(error).toContainText('logLevel');
  await panel.locator('[data-role="log-query"]').fill('logLevel:ERROR');
  await panel.locator('[data-role="log-search"]').click();
  await expect(error).toHaveCount(0);
});

test('the live toggle shows records as they are written', async ({ page, request }) => {
  const api = new Api(request);
  const name = uniqueName('logs-live');
  const t = await createTraining(api, name, uniqueName('exp-logs'), { steps: '30', sleep: '0.3' });
  const panel = await openArea(page, 'logs');
  await panel.locator('[data-role="log-query"]').fill(`trainingId:${t.id}`);
  await panel.locator('[data-role="log-search"]').click();
  await panel.locator('[data-role="log-live"]').check();
  const rows = panel.locator('[data-role="log-row"]');
  // "done" is the training's last line, written seconds after the tail began; no search is run again
  await expect(rows.filter({ hasText: /done\s*$/ }).first()).toBeVisible({ timeout: 60_000 });
  // each line once: what the search found and what the tail sent do not overlap
  await expect(rows.filter({ hasText: 'step 29:' })).toHaveCount(1);
  await expect(rows.filter({ hasText: 'starting: 30 steps' })).toHaveCount(1);
  await shot(page, 'logs-live');
  await api.waitStatus(t.id, ['COMPLETE']);
});
