/**
 * Models, model evaluation and batch inference panels: a model registered
 * through the form from a path; an evaluation created from the model's page
 * that goes to COMPLETE live and draws its ROC / PR curves and confusion
 * matrix; two evaluations compared side by side with the best values
 * marked; a batch inference whose progress bar fills and whose results
 * show the broken record's error.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

import { Api, expect, openArea, serverState, shot, test, uniqueName } from './helpers';

test.describe.configure({ mode: 'serial' });

const detail = (page: any, kind: string, name: string) =>
  page.locator(`.jp-EasyMaker-detail[data-kind="${kind}"]`, { has: page.locator('h2.jp-EasyMaker-detailTitle', { hasText: name }) });

let paths: { [key: string]: string } = {};
const good = uniqueName('iris-good');
const weak = uniqueName('iris-weak');
const evalGood = uniqueName('eval-good');
const evalWeak = uniqueName('eval-weak');
const batch = uniqueName('batch-ui');

async function waitFor(api: Api, p: string, statuses: string[], timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await api.get(p);
    if (statuses.includes(row.status)) {
      return row;
    }
    if (Date.now() > deadline) {
      throw new Error(`${p} is ${row.status} (${row.status_reason}), not ${statuses.join('|')}`);
    }
    await new Promise(r => setTimeout(r, 300));
  }
}

test.beforeAll(() => {
  const python = process.env.EASYMAKER_PYTHON ?? 'python';
  const out = execFileSync(python, [path.resolve(__dirname, '../fixtures/make_models.py'), path.join(serverState().root, 'serving')], {
    encoding: 'utf8'
  });
  paths = JSON.parse(out.trim().split('\n').pop() as string);
});

test('register a model through the form; its page shows the artifact check', async ({ page, request }) => {
  const panel = await openArea(page, 'models');
  await panel.locator('button[data-action="create"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="model"]');
  await expect(form.locator('[name="name"]')).toBeVisible();
  await form.locator('[name="name"]').fill(good);
  await form.locator('select[name="framework"]').selectOption('scikit-learn');
  // a folder without a model: only the server's artifact check can tell
  await form.locator('[name="artifact_path"]').fill(paths.csv.replace(/iris\.csv$/, ''));
  await form.locator('button[data-action="submit"]').click();
  await expect(form.locator('[data-error-for="artifact_path"]')).toBeVisible();
  await shot(page, 'model-form-error');
  expect((await new Api(request).get(`models?name=${good}`)).total).toBe(0);

  await form.locator('[name="artifact_path"]').fill(paths['iris-good']);
  await form.locator('button[data-action="submit"]').click();
  const model = detail(page, 'model', good);
  await expect(model).toBeVisible();
  await expect(model.locator('.jp-EasyMaker-detailBody')).toHaveAttribute('data-status', 'ACTIVE', { timeout: 60_000 });
  await model.locator('button[data-tab="artifact"]').click();
  await expect(model.locator('.jp-EasyMaker-tabBody table')).toBeVisible();
  // how it will be served: the artifact check compiled the LogisticRegression
  await expect(model.locator('.jp-EasyMaker-tabBody table')).toContainText('compiled to ONNX Runtime');
  await shot(page, 'model-detail');

  const api = new Api(request);
  await api.post('models', { name: weak, framework: 'scikit-learn', artifact_path: paths['iris-weak'] });
  const list = page.locator('.jp-EasyMaker-panel[data-area="models"]');
  await openArea(page, 'models');
  await expect(list.locator(`.jp-EasyMaker-row[data-name="${weak}"] .jp-EasyMaker-badge`)).toHaveAttribute('data-status', 'ACTIVE', {
    timeout: 60_000
  });
  await shot(page, 'models');
});

test('evaluate a model from its page: metrics, curves and confusion matrix drawn', async ({ page, request }) => {
  const api = new Api(request);
  const modelPage = detail(page, 'model', good);
  if (!(await modelPage.isVisible())) {
    await page.evaluate(id => (window as any).jupyterEasyMaker.ctx.app.commands.execute('easymaker:open-model', { id }), good);
  }
  await modelPage.locator('button[data-action="evaluate"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="model-evaluation"]');
  await expect(form.locator('[name="name"]')).toBeVisible();
  // the model picker is preset to this model
  const model = await api.get(`models/${good}`);
  await expect(form.locator('select[name="model_id"]')).toHaveValue(model.id);
  await form.locator('[name="name"]').fill(evalGood);
  await form.locator('select[name="task"]').selectOption('classification');
  for (const [i, cls] of ['setosa', 'versicolor', 'virginica'].entries()) {
    await form.locator('button[data-action="add-class_names"]').click();
    await form.locator(`input[name="class_names[${i}]"]`).fill(cls);
  }
  await form.locator('[name="input_path"]').fill(paths.csv);
  await form.locator('[name="target_field"]').fill('label');
  await form.locator('button[data-action="submit"]').click();
  const evaluation = detail(page, 'model-evaluation', evalGood);
  await expect(evaluation).toBeVisible();
  await expect(evaluation.locator('.jp-EasyMaker-detailBody')).toHaveAttribute('data-status', 'COMPLETE', { timeout: 120_000 });

  await evaluation.locator('button[data-tab="metrics"]').click();
  const scalar = evaluation.locator('[data-role="scalar-metrics"]');
  await expect(scalar.locator('tr[data-metric="roc_auc"] td').first()).not.toHaveText('-');
  const results = await api.get(`model-evaluations/${evalGood}/results`);
  const shown = Number(await scalar.locator('tr[data-metric="accuracy"] td').first().innerText());
  expect(shown).toBeCloseTo(results.metrics.accuracy, 3);
  await expect(evaluation.locator('[data-role="per-class"] tbody tr')).toHaveCount(3);

  await evaluation.locator('button[data-tab="charts"]').click();
  const roc = evaluation.locator('figure[data-chart="ROC curve"]');
  // one curve per class and the micro-average
  await expect(roc.locator('polyline')).toHaveCount(4);
  await expect(evaluation.locator('figure[data-chart="Precision-recall curve"] polyline')).toHaveCount(4);
  const cells = evaluation.locator('[data-chart="confusion-matrix"] td[data-cell]');
  await expect(cells).toHaveCount(9);
  const matrix: number[][] = results.result.confusion_matrix.matrix;
  const total = (await cells.allInnerTexts()).map(Number).reduce((a, b) => a + b, 0);
  expect(total).toBe(matrix.flat().reduce((a, b) => a + b, 0));
  await shot(page, 'evaluation-charts');
});

test('compare two evaluations: the better model is marked best', async ({ page, request }) => {
  const api = new Api(request);
  await api.post('model-evaluations', {
    name: evalWeak,
    model_id: weak,
    class_names: ['setosa', 'versicolor', 'virginica'],
    input_path: paths.csv,
    target_field: 'label'
  });
  await waitFor(api, `model-evaluations/${evalWeak}`, ['COMPLETE']);
  const panel = await openArea(page, 'model-evaluations');
  for (const name of [evalGood, evalWeak]) {
    await panel.locator(`.jp-EasyMaker-row[data-name="${name}"]`).click({ modifiers: ['Control'] });
  }
  await panel.locator('button[data-action="compare"]').click();
  const compare = page.locator('.jp-EasyMaker-compare');
  await expect(compare.locator('[data-role="compare-metrics"]')).toBeVisible();
  // accuracy: the logistic regression beats a depth-1 tree on iris
  const accuracy = compare.locator('tr[data-metric="accuracy"] td');
  await expect(accuracy).toHaveCount(2);
  const header = await compare.locator('[data-role="compare-metrics"] thead th').allInnerTexts();
  const goodColumn = header.findIndex(h => h.includes(evalGood)) - 1;
  await expect(accuracy.nth(goodColumn)).toHaveAttribute('data-best', 'true');
  await expect(compare.locator('figure[data-chart="ROC curve"] polyline')).toHaveCount(2);
  await expect(compare.locator('[data-chart="confusion-matrix"]')).toHaveCount(2);
  await shot(page, 'evaluation-compare');
});

test('batch inference: progress fills, the broken record shows its error', async ({ page, request }) => {
  const api = new Api(request);
  await api.post('batch-inferences', {
    name: batch,
    model_id: good,
    input_path: paths.batch,
    input_format: 'JSONL',
    include_glob: ['**/*.jsonl'],
    exclude_glob: ['old/**'],
    batch_size: 16
  });
  const panel = await openArea(page, 'batch-inferences');
  const row = panel.locator(`.jp-EasyMaker-row[data-name="${batch}"]`);
  await expect(row.locator('.jp-EasyMaker-badge')).toHaveAttribute('data-status', 'COMPLETE', { timeout: 120_000 });
  // 150 records and the broken line; the excluded file is not counted
  await expect(row.locator('.jp-EasyMaker-progress')).toHaveAttribute('data-percent', '100.0');
  await expect(row.locator('.jp-EasyMaker-progressText')).toContainText('151 / 151');
  await shot(page, 'batch-list');
  await row.locator('[data-role="open"]').click();
  const page2 = detail(page, 'batch-inference', batch);
  await page2.locator('button[data-tab="results"]').click();
  const files = page2.locator('[data-role="files"] tbody tr');
  await expect(files).toHaveCount(1);
  await expect(files.first()).toContainText('part-1.jsonl');
  await page2.getByLabel('Only records that failed').check();
  const errors = page2.locator('[data-role="lines"] tr.jp-mod-error');
  await expect(errors).toHaveCount(1);
  await expect(errors.first()).toContainText('error');
  await shot(page, 'batch-results');
});
