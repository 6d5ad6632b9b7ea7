/**
 * Hyperparameter tuning: a tuning of a quadratic objective created over the
 * REST API, followed in its detail tab while trials appear and it reaches
 * COMPLETE without a reload; the best trial highlighted in the table, a
 * trial's log tail, the charts (objective over trials, parallel coordinates
 * with log and categorical axes, intermediate values) and the logs of all
 * trials; then a tuning through the create form with a server-side field
 * error.
 */
import { Api, expect, openArea, recordStatuses, recordedStatuses, serverState, shot, test, uniqueName } from './helpers';

test.describe.configure({ mode: 'serial' });

// minimum 0 at x=0.5, opt=adam, lr=0.01; each trial prints the objective at 3 steps
const QUADRATIC = `
import math, os, time
x = float(os.environ["EM_HP_X"])
lr = float(os.environ["EM_HP_LR"])
opt = os.environ["EM_HP_OPT"]
loss = (x - 0.5) ** 2 + (0.0 if opt == "adam" else 0.3) + 0.1 * math.log10(lr / 0.01) ** 2
for step in range(1, 4):
    time.sleep(0.4)
    print(f"step={step} loss={loss + (3 - step) * 0.2:.6f}", flush=True)
`;

const TRIALS = 6;
const tuning = uniqueName('hpo-ui');
const experiment = uniqueName('exp-hpo');

function detailOf(page: import('@playwright/test').Page, name: string) {
  return page.locator('.jp-EasyMaker-detail[data-kind="hyperparameter-tuning"]', { has: page.locator('h2.jp-EasyMaker-detailTitle', { hasText: name }) });
}

test('a tuning followed live: trials appear, it completes, the best trial is highlighted', async ({ page, request }) => {
  test.setTimeout(150_000);
  const api = new Api(request);
  const list = await openArea(page, 'hyperparameter-tuning');
  const created = await api.post('hyperparameter-tunings', {
    name: tuning,
    experiment_name: experiment,
    algorithm: { type: 'custom', source_files: { 'main.py': QUADRATIC }, entry_point: 'main.py' },
    strategy: 'Random',
    random_seed: 7,
    parameters: [
      { name: 'x', type: 'double', min: -1, max: 2 },
      { name: 'lr', type: 'double', min: 0.0001, max: 1, log: true },
      { name: 'opt', type: 'categorical', values: 'sgd,adam' }
    ],
    objective_metric: 'loss',
    goal: 'minimize',
    max_trials: TRIALS,
    parallel_trials: 2
  });
  const row = list.locator(`.jp-EasyMaker-row[data-name="${tuning}"]`);
  await expect(row).toBeVisible();
  await row.locator('[data-role="open"]').click();
  const detail = detailOf(page, tuning);
  await expect(detail).toBeVisible();
  const body = detail.locator('.jp-EasyMaker-detailBody');
  await recordStatuses(body);

  await detail.locator('button[data-tab="trials"]').click();
  const rows = detail.locator('tr.jp-EasyMaker-trialRow');
  // trials show up while the tuning runs (the page is never reloaded)
  await expect(rows.first()).toBeVisible({ timeout: 30_000 });
  const seenWhileRunning = await body.getAttribute('data-status');
  await shot(page, 'tuning-trials-running');
  await expect(body).toHaveAttribute('data-status', 'COMPLETE', { timeout: 90_000 });
  await expect(rows).toHaveCount(TRIALS);
  const statuses = await recordedStatuses(body);
  expect(statuses).toContain('RUNNING');
  expect(statuses[statuses.length - 1]).toBe('COMPLETE');
  expect(seenWhileRunning).not.toBe('COMPLETE');
  await expect(detail.locator('.jp-EasyMaker-statusDetail')).toContainText('MaxTrialsReached');

  // exactly one best row, the trial the server names best, with the lowest objective
  const done = await api.get(`hyperparameter-tunings/${created.id}`);
  const best = done.best_trial;
  expect(best).toBeTruthy();
  const bestRow = rows.filter({ has: page.locator('.jp-EasyMaker-bestMark') });
  await expect(bestRow).toHaveCount(1);
  await expect(bestRow).toHaveAttribute('data-trial', String(best.number));
  await expect(detail.locator('tr[data-best="true"]')).toHaveClass(/jp-mod-best/);
  const objectives = (await detail.locator('tr.jp-EasyMaker-trialRow td[data-role="objective"]').allTextContents()).map(Number);
  expect(Math.min(...objectives)).toBeCloseTo(best.objective_value, 3);
  // a column per parameter
  for (const p of ['x', 'lr', 'opt']) {
    await expect(detail.locator(`th[data-param="${p}"]`)).toBeVisible();
  }
  // sorting by objective puts the best first
  await detail.locator('th[data-sort="objective"]').click();
  await expect(rows.first()).toHaveAttribute('data-trial', String(best.number));
  await shot(page, 'tuning-trials');

  // the list shows the trial counts and the best objective
  await openArea(page, 'hyperparameter-tuning');
  await expect(row).toContainText(`${TRIALS} / ${TRIALS}`);
  await expect(row.locator('.jp-EasyMaker-badge')).toHaveAttribute('data-status', 'COMPLETE');
  await shot(page, 'tunings-list');
  await page.locator('.lm-TabBar-tab', { hasText: tuning }).click();

  // a trial's intermediate values and its log tail
  await bestRow.click();
  const trial = detail.locator('[data-role="trial-detail"]');
  await expect(trial).toBeVisible();
  await expect(trial.locator('.jp-EasyMaker-logLine').filter({ hasText: 'step=3 loss=' })).toBeVisible();
  await expect(trial.locator('[data-role="metrics"] tr[data-metric="loss"]')).toBeVisible();
  await shot(page, 'tuning-trial-detail');
});

test('charts: objective over trials, parallel coordinates, intermediate values', async ({ page, request }) => {
  const api = new Api(request);
  const done = await api.get(`hyperparameter-tunings/${tuning}`);
  const metrics = await api.get(`hyperparameter-tunings/${tuning}/metrics`);
  const finished = metrics.trials.filter((t: any) => typeof t.objective_value === 'number').length;
  expect(finished).toBe(TRIALS);
  const list = await openArea(page, 'hyperparameter-tuning');
  await list.locator(`.jp-EasyMaker-row[data-name="${tuning}"] [data-role="open"]`).click();
  const detail = detailOf(page, tuning);
  await detail.locator('button[data-tab="charts"]').click();

  const objective = detail.locator('[data-chart="objective"]');
  await expect(objective.locator('circle[data-role="objective-point"]')).toHaveCount(finished);
  await expect(objective.locator('circle[data-best="true"]')).toHaveCount(1);
  await expect(objective.locator('circle[data-best="true"]')).toHaveAttribute('data-trial', String(done.best_trial.number));
  // the running best is a step line over every point; it ends at the best objective's height
  const d = await objective.locator('path[data-role="running-best"]').getAttribute('d');
  expect((d ?? '').match(/V/g)?.length ?? 0).toBe(finished - 1);
  const bestY = Number(await objective.locator('circle[data-best="true"]').getAttribute('cy'));
  expect(Number((d ?? '').split('V').pop()?.split('H')[0])).toBeCloseTo(bestY, 1);

  const parallel = detail.locator('[data-chart="parallel"]');
  await expect(parallel.locator('path[data-role="trial-line"]')).toHaveCount(TRIALS);
  await expect(parallel.locator('path[data-role="trial-line"][data-best="true"]')).toHaveCount(1);
  await expect(parallel.locator('g[data-role="axis"]')).toHaveCount(4);
  await expect(parallel.locator('g[data-axis="lr"]')).toHaveAttribute('data-scale', 'log');
  await expect(parallel.locator('g[data-axis="opt"]')).toHaveAttribute('data-scale', 'categorical');
  await expect(parallel.locator('g[data-axis="x"]')).toHaveAttribute('data-scale', 'linear');
  await expect(parallel.locator('g[data-axis="opt"] text')).toHaveText(['opt', 'sgd', 'adam']);
  // each line goes through every axis
  const line = await parallel.locator('path[data-role="trial-line"][data-best="true"]').getAttribute('d');
  expect((line ?? '').match(/[ML]/g)?.length).toBe(4);
  await expect(parallel.locator('[data-role="parallel-focus"]')).toContainText(`trial-${done.best_trial.number}`);

  // intermediate values: a uPlot chart with a series per trial
  const intermediate = detail.locator('[data-chart^="Intermediate values"]');
  await expect(intermediate.locator('canvas')).toHaveCount(1);
  await expect(intermediate.locator('.u-legend .u-series')).toHaveCount(TRIALS + 1);
  await shot(page, 'tuning-charts');

  // a click on a point opens that trial
  await objective.locator('circle[data-best="true"]').click();
  await expect(detail.locator('[data-role="trial-detail"]')).toHaveAttribute('data-trial', String(done.best_trial.number));

  await detail.locator('button[data-tab="overview"]').click();
  const card = detail.locator('[data-role="best-trial"]');
  await expect(card).toContainText(`trial-${done.best_trial.number}`);
  await expect(card.locator('tr[data-param]')).toHaveCount(3);
  await expect(detail.locator('[data-role="trial-counts"]')).toContainText(`${TRIALS} completed`);
  await shot(page, 'tuning-overview');

  await detail.locator('button[data-tab="logs"]').click();
  const lines = detail.locator('.jp-EasyMaker-logLine');
  await expect(lines.filter({ hasText: `[trial-${done.best_trial.number}] step=3 loss=` })).toBeVisible();
  await detail.locator('button[data-tab="history"]').click();
  await expect(detail.locator('[data-role="history"] .jp-EasyMaker-badge[data-status="COMPLETE"]')).toBeVisible();
  await expect(detail.locator('button[data-action="stop"]')).toHaveCount(0);
  await expect(detail.locator('button[data-action="delete"]')).toBeEnabled();
  await expect(detail.locator('button[data-action="model"]')).toBeEnabled();
});

test('create a tuning through the form: a field error from the server, then the tuning', async ({ page, request }) => {
  test.setTimeout(120_000);
  const { root } = serverState();
  const name = uniqueName('hpo-form');
  const list = await openArea(page, 'hyperparameter-tuning');
  await list.locator('button[data-action="create"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="tuning"]');
  await expect(form.locator('input[name="name"]')).toBeVisible();
  await form.locator('input[name="name"]').fill(name);
  await form.locator('select[name="experiment"]').selectOption({ label: experiment });
  await form.locator('input[name="algorithm.source_dir"]').fill(`${root}/algo`);
  await form.locator('input[name="algorithm.entry_point"]').fill('train.py');
  await form.locator('button[data-action="add-parameters"]').click();
  await form.locator('input[name="parameters[0].name"]').fill('sleep');
  await form.locator('select[name="parameters[0].type"]').selectOption('double');
  // max below min: only the server knows the rule
  await form.locator('input[name="parameters[0].min"]').fill('0.3');
  await form.locator('input[name="parameters[0].max"]').fill('0.1');
  await form.locator('button[data-action="add-parameters"]').click();
  await form.locator('input[name="parameters[1].name"]').fill('optimizer');
  await form.locator('select[name="parameters[1].type"]').selectOption('categorical');
  await form.locator('input[name="parameters[1].values"]').fill('sgd,adam');
  await form.locator('input[name="objective_metric"]').fill('loss');
  await form.locator('input[name="max_trials"]').fill('2');
  await form.locator('button[data-action="submit"]').click();
  const error = form.locator('[data-error-for="parameters[0].max"]');
  await expect(error).toContainText('must not be below min');
  await error.scrollIntoViewIfNeeded();
  await shot(page, 'tuning-form-error');
  expect((await new Api(request).get(`hyperparameter-tunings?name=${name}`)).total).toBe(0);

  await form.locator('input[name="parameters[0].max"]').fill('0.5');
  await form.locator('button[data-action="submit"]').click();
  const detail = detailOf(page, name);
  await expect(detail).toBeVisible();
  await expect(form).toHaveCount(0);
  const made = await new Api(request).get(`hyperparameter-tunings/${name}`);
  expect(made.spec.parameters).toMatchObject([
    { name: 'sleep', type: 'double', min: 0.3, max: 0.5 },
    { name: 'optimizer', type: 'categorical', values: 'sgd,adam' }
  ]);
  // the search space the server made of it
  const space = (await new Api(request).get(`hyperparameter-tunings/${made.id}/metrics`)).parameters;
  expect(space).toMatchObject([
    { name: 'sleep', type: 'double', min: 0.3, max: 0.5, log: false },
    { name: 'optimizer', type: 'categorical', values: ['sgd', 'adam'] }
  ]);
  await expect(detail.locator('[data-role="search-space"] tbody tr')).toHaveCount(2);
  expect(made.objective_metric).toBe('loss');
  await shot(page, 'tuning-from-form');
  await new Api(request).post(`hyperparameter-tunings/${made.id}/stop`);
});
