/**
 * Pipelines: compiled Kubeflow pipelines from the shared data uploaded
 * through the dialog (a broken one refused under its file field), the
 * graph drawn by React Flow (one task; nested conditions as groups with
 * their badges), a node's details on click, a run of add_numbers started
 * from the form with typed parameters (a=5, b=5) whose node turns
 * SUCCEEDED with the output 10, and a schedule whose 5-field cron gets the
 * seconds hint before a valid one is created.
 *
 * The server side it needs: the `pipelines` and `pipeline-schedules` areas
 * (REST under easymaker/api/v1/pipelines, pipeline-runs,
 * pipeline-schedules) and kfp importable by the server's Python (the
 * add_numbers task runs kfp's executor).
 */
import * as fs from 'fs';
import * as path from 'path';

import type { APIRequestContext, Locator, Page } from '@playwright/test';

import { Api, expect, openArea, serverState, shot, test, uniqueName } from './helpers';

test.describe.configure({ mode: 'serial' });
test.setTimeout(180_000);
test.use({ actionTimeout: 30_000 });

const SHARED = process.env.EASYMAKER_SHARED_DATA ?? path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data');
const IR = path.join(SHARED, 'kfp-ir');
const ADD_NUMBERS = path.join(IR, 'valid', 'add_numbers.yaml');
const FLIP_COIN = path.join(IR, 'valid', 'flip_coin.yaml');
const NO_NAME = path.join(IR, 'invalid', 'no_name.yaml');

const pipeline = uniqueName('add');
const nested = uniqueName('flip');
const run = `${pipeline}-run`;
const experiment = uniqueName('pl-exp');
const schedule = uniqueName('sch');

function url(p: string): string {
  const s = serverState();
  return `http://127.0.0.1:${s.port}${s.base_url}easymaker/api/v1/${p}`;
}

/** Delete through the API, retried while the server refuses (a run still ending). */
async function remove(request: APIRequestContext, p: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const r = await request.delete(url(p));
    if (r.ok() || r.status() === 404) {
      return;
    }
    await new Promise(res => setTimeout(res, 1000));
  }
}

function detail(page: Page, kind: string, name: string): Locator {
  return page.locator(`.jp-EasyMaker-detail[data-kind="${kind}"]`, { has: page.locator('h2.jp-EasyMaker-detailTitle', { hasText: name }) });
}

/** The experiment control of a run or schedule form: a new one by name. */
async function newExperiment(form: Locator): Promise<void> {
  await form.locator('select[name="experiment"]').selectOption('__new__');
  await form.locator('input[name="experiment_name"]').fill(experiment);
}

/** A node drawn whole inside its graph's canvas (the view is fitted again when the details narrow it). */
async function expectInSight(graph: Locator, id: string): Promise<void> {
  const node = graph.locator(`.react-flow__node[data-id="${id}"]`);
  // the poll answers with both boxes when the node is not inside, so that a failure shows where it was
  const box = (b: { x: number; y: number; width: number; height: number } | null) =>
    b ? `${Math.round(b.x)},${Math.round(b.y)} ${Math.round(b.width)}x${Math.round(b.height)}` : 'none';
  await expect
    .poll(async () => {
      const [g, n] = [await graph.boundingBox(), await node.boundingBox()];
      const inside = !!g && !!n && n.x >= g.x && n.x + n.width <= g.x + g.width && n.y >= g.y && n.y + n.height <= g.y + g.height;
      return inside ? 'inside' : `node ${box(n)} in graph ${box(g)}`;
    }, { timeout: 15_000, message: `node ${id} whole in sight` })
    .toBe('inside');
}

test.beforeAll(() => {
  test.skip(!fs.existsSync(ADD_NUMBERS), `the shared compiled pipelines are not at ${IR} (EASYMAKER_SHARED_DATA)`);
});

test.afterAll(async ({ request }) => {
  for (const p of [`pipeline-schedules/${schedule}`, `pipeline-runs/${run}`, `pipelines/${pipeline}`, `pipelines/${nested}`]) {
    await remove(request, p);
  }
});

test('upload through the dialog, the graph drawn, a node\'s details', async ({ page, request }) => {
  const api = new Api(request);
  const panel = await openArea(page, 'pipelines');
  await expect(panel.locator('button[data-tab="pipelines"]')).toHaveAttribute('aria-selected', 'true');
  await panel.locator('button[data-action="create"]').click();
  const dialog = page.locator('.jp-EasyMaker-uploadDialog');
  await expect(dialog).toBeVisible();

  // a spec the server refuses: its message under the file field, the dialog still open
  await dialog.locator('input[type="file"]').setInputFiles(NO_NAME);
  await expect(dialog.locator('input[name="name"]')).toHaveValue('echo');
  await dialog.locator('input[name="name"]').fill(pipeline);
  await dialog.locator('button[data-action="submit"]').click();
  const fileError = dialog.locator('[data-error-for="file"]');
  await expect(fileError).toContainText('pipelineInfo.name');
  await shot(page, 'pipeline-upload-error');

  // the real one: the name typed stays, the pipeline's tab opens once it is stored
  await dialog.locator('input[type="file"]').setInputFiles(ADD_NUMBERS);
  await expect(fileError).toHaveCount(0);
  await dialog.locator('textarea[name="description"]').fill('a + b');
  await shot(page, 'pipeline-upload');
  await dialog.locator('button[data-action="submit"]').click();
  await expect(dialog).toHaveCount(0);
  // the server's status first, then the tab's: a failure says which side did not move
  await expect
    .poll(async () => (await api.get(`pipelines/${pipeline}`)).status, { timeout: 60_000, message: 'the server drawing the pipeline' })
    .toBe('ACTIVE');
  const d = detail(page, 'pipeline', pipeline);
  await expect(d.locator('.jp-EasyMaker-detailBody')).toHaveAttribute('data-status', 'ACTIVE', { timeout: 30_000 });
  expect((await api.get(`pipelines/${pipeline}`)).description).toBe('a + b');

  const graph = d.locator('[data-role="pipeline-graph"]');
  await expect(graph).toHaveAttribute('data-node-count', '1');
  await expect(graph.locator('.react-flow__node')).toHaveCount(1);
  await expect(graph.locator('.react-flow__minimap')).toBeVisible();
  await expect(graph.getByRole('button', { name: 'Fit view' })).toBeVisible();
  await graph.locator('.jp-EasyMaker-pipelineNode[data-node-id="add-numbers"]').click();
  const details = d.locator('.jp-EasyMaker-pipelineDetails[data-node-id="add-numbers"]');
  await expect(details.locator('[data-role="function-source"]')).toContainText('def add_numbers(a: int, b: int) -> int:');
  await expect(details).toContainText('comp-add-numbers');
  await expect(details).toContainText('python:3.11');
  await expect(details).toContainText('NUMBER_INTEGER');
  // the details narrow the canvas; the view is fitted again, so the node stays whole in sight
  await expectInSight(graph, 'add-numbers');
  await shot(page, 'pipeline-graph');

  // the overview lists the run parameters
  await d.locator('button[data-tab="overview"]').click();
  await expect(d.locator('[data-role="pipeline-inputs"] tr[data-input="a"]')).toContainText('NUMBER_INTEGER');

  // nested conditions: sub-DAGs drawn as groups around their tasks, each marked with its condition
  if (fs.existsSync(FLIP_COIN)) {
    const content = fs.readFileSync(FLIP_COIN).toString('base64');
    const up = await request.post(url('pipelines'), { data: { name: nested, filename: 'flip_coin.yaml', content_base64: content } });
    expect(up.ok(), await up.text()).toBeTruthy();
    const graphOf = await api.get(`pipelines/${nested}/graph`).catch(() => null);
    await page.evaluate(id => (window as any).jupyterEasyMaker.ctx.app.commands.execute('easymaker:open-pipeline', { id }), nested);
    const f = detail(page, 'pipeline', nested);
    // the server's side first, so that a failure says which side did not move
    await expect.poll(async () => (await api.get(`pipelines/${nested}`)).status, { timeout: 30_000 }).toBe('ACTIVE');
    await expect(f.locator('.jp-EasyMaker-detailBody')).toHaveAttribute('data-status', 'ACTIVE', { timeout: 15_000 });
    const g = f.locator('[data-role="pipeline-graph"]');
    const total = graphOf?.nodes?.length ?? (await api.get(`pipelines/${nested}/graph`)).nodes.length;
    await expect(g.locator('.react-flow__node')).toHaveCount(total);
    const groups = g.locator('.jp-EasyMaker-pipelineNode.jp-mod-group.jp-mod-condition');
    expect(await groups.count()).toBeGreaterThanOrEqual(2);
    await expect(groups.first().locator('[data-badge="condition"]')).toHaveText('Condition');
    await expect(g.locator('.react-flow__node[data-id="condition-1/condition-2/print-msg"]')).toHaveCount(1);
    // the task inside the group is drawn inside its box
    const outer = await g.locator('.react-flow__node[data-id="condition-1"]').boundingBox();
    const inner = await g.locator('.react-flow__node[data-id="condition-1/random-num"]').boundingBox();
    expect(outer && inner).toBeTruthy();
    expect(inner!.x).toBeGreaterThan(outer!.x);
    expect(inner!.y).toBeGreaterThan(outer!.y);
    expect(inner!.x + inner!.width).toBeLessThan(outer!.x + outer!.width);
    expect(inner!.y + inner!.height).toBeLessThan(outer!.y + outer!.height);
    await g.locator('.jp-EasyMaker-pipelineNode[data-node-id="condition-1"]').click({ position: { x: 30, y: 12 } });
    await expect(f.locator('.jp-EasyMaker-pipelineDetails[data-node-id="condition-1"] .jp-EasyMaker-pipelineCondition')).toContainText("== 'heads'");
    await expectInSight(g, 'condition-1');
    await shot(page, 'pipeline-graph-nested');
  }
});

test('a run of add_numbers with a=5, b=5: its node turns SUCCEEDED with the output 10', async ({ page, request }) => {
  const api = new Api(request);
  await page.evaluate(id => (window as any).jupyterEasyMaker.ctx.app.commands.execute('easymaker:open-pipeline', { id }), pipeline);
  const d = detail(page, 'pipeline', pipeline);
  await expect(d.locator('.jp-EasyMaker-detailBody')).toHaveAttribute('data-status', 'ACTIVE');
  await d.locator('button[data-action="run"]').click();

  const form = page.locator('.jp-EasyMaker-createForm[data-kind="pipeline-run"]');
  await expect(form.locator('select[name="pipeline_name"]')).toHaveValue(pipeline);
  await form.locator('input[name="name"]').fill(run);
  await newExperiment(form);
  // typed parameters: a word is no whole number, and nothing is sent
  await form.locator('input[name="parameters.a"]').fill('five');
  await expect(form.locator('[data-error-for="parameters.a"]')).toHaveText('Must be a whole number');
  await form.locator('button[data-action="submit"]').click();
  await expect(form.locator('.jp-EasyMaker-formError')).toBeVisible();
  await expect(form.locator('[data-error-for="parameters.b"]')).toHaveText('Required');
  expect((await api.get(`pipeline-runs?name=${run}`)).total).toBe(0);
  await form.locator('input[name="parameters.a"]').fill('5');
  await form.locator('input[name="parameters.b"]').fill('5');
  await shot(page, 'pipeline-run-form');
  await form.locator('button[data-action="submit"]').click();

  const r = detail(page, 'pipeline-run', run);
  await expect(r).toBeVisible({ timeout: 30_000 });
  const graph = r.locator('[data-role="pipeline-graph"]');
  const node = graph.locator('.jp-EasyMaker-pipelineNode[data-node-id="add-numbers"]');
  await expect(node).toHaveAttribute('data-state', 'SUCCEEDED', { timeout: 120_000 });
  await expect(r.locator('.jp-EasyMaker-detailBody')).toHaveAttribute('data-status', 'COMPLETE', { timeout: 60_000 });
  expect((await api.get(`pipeline-runs/${run}`)).parameters).toEqual({ a: 5, b: 5 });

  await node.click();
  const task = r.locator('.jp-EasyMaker-pipelineTask[data-task="add-numbers"]');
  await expect(task.locator('[data-role="task-state"]')).toHaveText('SUCCEEDED');
  await expect(task.locator('[data-output="Output"]')).toHaveAttribute('data-value', '10');
  // the task ran as a job of its own
  await expect(task.locator('[data-role="task-jobs"] li')).toHaveAttribute('data-status', 'SUCCEEDED');
  await expect(task.locator('[data-role="task-jobs"] li')).toContainText('exit code 0');
  await expect(task.locator('[data-role="task-log"]')).not.toHaveText('(empty)');
  await expectInSight(graph, 'add-numbers');
  await shot(page, 'pipeline-run');

  // stop is for runs in progress; a COMPLETE run can be copied and deleted
  await expect(r.locator('button[data-action="stop"]')).toBeDisabled();
  await expect(r.locator('button[data-action="delete"]')).toBeEnabled();
  await r.locator('button[data-tab="tasks"]').click();
  await expect(r.locator('[data-role="tasks"] tr[data-task="add-numbers"]')).toHaveAttribute('data-state', 'SUCCEEDED');
  // the monitoring tab charts the run's usage samples (a run this short may have none yet)
  await r.locator('button[data-tab="monitoring"]').click();
  const usage = (await api.get(`pipeline-runs/${run}/monitoring`)).usage;
  await expect(r.locator(usage.length ? '[data-role="monitoring"] .jp-EasyMaker-chart[data-chart="CPU (%)"]' : '[data-role="no-usage"]')).toBeVisible();

  // the runs tab of the panel lists it with its tasks done
  const panel = await openArea(page, 'pipelines');
  await panel.locator('button[data-tab="runs"]').click();
  const row = panel.locator(`.jp-EasyMaker-row[data-name="${run}"]`);
  await expect(row.locator('.jp-EasyMaker-badge')).toHaveAttribute('data-status', 'COMPLETE');
  await expect(row.locator('.jp-EasyMaker-taskCounts')).toHaveAttribute('data-done', '1');
  await shot(page, 'pipeline-runs');
});

test('a schedule: a 5-field cron gets the seconds hint, a 6-field one is created', async ({ page, request }) => {
  const api = new Api(request);
  const panel = await openArea(page, 'pipeline-schedules');
  await panel.locator('button[data-action="create"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="pipeline-schedule"]');
  await expect(form.locator('select[name="pipeline_name"]')).toBeVisible();
  await form.locator('input[name="name"]').fill(schedule);
  await form.locator('select[name="pipeline_name"]').selectOption(pipeline);
  await newExperiment(form);
  await form.locator('input[name="parameters.a"]').fill('1');
  await form.locator('input[name="parameters.b"]').fill('2');
  await form.locator('input[name="trigger.type"][value="cron"]').check();
  await expect(form.locator('[data-role="cron-hint"]')).toContainText('6 fields, seconds first');
  await form.locator('input[name="trigger.expression"]').fill('*/5 * * * *');
  const hint = form.locator('[data-error-for="trigger.expression"]');
  await expect(hint).toContainText("Add the seconds field first, e.g. '0 */5 * * * *'");
  await form.locator('button[data-action="submit"]').click();
  await expect(hint).toBeVisible();
  await expect(form.locator('.jp-EasyMaker-formError')).toBeVisible();
  await shot(page, 'pipeline-schedule-cron-hint');
  expect((await api.get(`pipeline-schedules?name=${schedule}`)).total).toBe(0);

  // once a year (January 1st, midnight UTC): valid, and no run during the test
  await form.locator('input[name="trigger.expression"]').fill('0 0 0 1 1 *');
  await expect(hint).toHaveCount(0);
  await expect(form.locator('[data-role="cron-fields"]')).toContainText('seconds');
  await form.locator('input[name="max_concurrency"]').fill('2');
  await form.locator('button[data-action="submit"]').click();

  const s = detail(page, 'pipeline-schedule', schedule);
  await expect(s.locator('.jp-EasyMaker-detailBody')).toHaveAttribute('data-status', 'ENABLED', { timeout: 30_000 });
  const created = await api.get(`pipeline-schedules/${schedule}`);
  expect(created).toMatchObject({ trigger: { type: 'cron', expression: '0 0 0 1 1 *' }, max_concurrency: 2, parameters: { a: 1, b: 2 } });
  await s.locator('button[data-tab="overview"]').click();
  await expect(s.locator('[data-role="overview"]')).toContainText('0 0 0 1 1 *');
  await shot(page, 'pipeline-schedule');

  // disable, then the list shows it so
  await s.locator('button[data-action="disable"]').click();
  await expect(s.locator('.jp-EasyMaker-detailBody')).toHaveAttribute('data-status', 'DISABLED', { timeout: 30_000 });
  await expect(s.locator('button[data-action="enable"]')).toBeEnabled();
  const list = await openArea(page, 'pipeline-schedules');
  await expect(list.locator(`.jp-EasyMaker-row[data-name="${schedule}"] .jp-EasyMaker-badge`)).toHaveAttribute('data-status', 'DISABLED');
  await shot(page, 'pipeline-schedules');
});
