/**
 * Endpoints with real model servers (scikit-learn, local backend): the
 * endpoint's detail tabs, an API key shown once, requests through the
 * gateway showing up in the stage's API statistics, charts and inference
 * logs without a reload, "Try it", a stage added through its form and made
 * the default, GPU charts in the monitoring of pods with GPUs, and an endpoint
 * created and deleted through the UI.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

import type { APIRequestContext, Locator, Page } from '@playwright/test';

import { Api, expect, openArea, serverState, shot, test, uniqueName } from './helpers';

test.describe.configure({ mode: 'serial' });
// model servers start in a few seconds; a busy machine can take longer
test.setTimeout(180_000);
test.use({ actionTimeout: 30_000 });

const model = uniqueName('ep-iris');
const endpoint = uniqueName('ep-ui');
const formEndpoint = uniqueName('ep-form');
const IRIS = [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]];
let apiKey = '';
let modelId = '';

function inference(p: string): string {
  const s = serverState();
  return `http://127.0.0.1:${s.port}${s.base_url}easymaker/inference/${p}`;
}

async function waitEndpoint(api: Api, ref: string, status = 'ACTIVE', timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = await api.get(`endpoints/${ref}`);
    if (e.status === status) {
      return e;
    }
    if (e.status.endsWith('FAILED') || Date.now() > deadline) {
      throw new Error(`endpoint ${ref} is ${e.status} (${e.status_reason}), not ${status}`);
    }
    await new Promise(r => setTimeout(r, 500));
  }
}

/** Delete an endpoint and its stages; their model servers outlive the Jupyter server otherwise. */
async function removeEndpoint(request: APIRequestContext, ref: string): Promise<void> {
  const api = new Api(request);
  const found = await request.get(base() + api.url(`endpoints/${ref}`));
  if (!found.ok()) {
    return;
  }
  const e = await found.json();
  for (const s of e.stages ?? []) {
    if (!s.is_default) {
      await request.delete(base() + api.url(`endpoints/${ref}/stages/${s.name}`));
    }
  }
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const r = await request.delete(base() + api.url(`endpoints/${ref}`));
    if (r.ok() || r.status() === 404) {
      return;
    }
    await new Promise(res => setTimeout(res, 1000));
  }
}

function base(): string {
  const s = serverState();
  return `http://127.0.0.1:${s.port}${s.base_url}`;
}

function detail(page: Page, name: string): Locator {
  return page.locator('.jp-EasyMaker-detail[data-kind="endpoint"]', { has: page.locator('h2.jp-EasyMaker-detailTitle', { hasText: name }) });
}

async function openEndpoint(page: Page, name: string): Promise<Locator> {
  const panel = await openArea(page, 'endpoints');
  const row = panel.locator(`.jp-EasyMaker-row[data-name="${name}"]`);
  await expect(row.locator('.jp-EasyMaker-badge')).toHaveAttribute('data-status', 'ACTIVE', { timeout: 30_000 });
  await row.locator('[data-role="open"]').click();
  const d = detail(page, name);
  await expect(d).toBeVisible();
  return d;
}

test.beforeAll(async ({ request }) => {
  const folder = path.join(serverState().root, 'endpoint-models', model);
  const python = process.env.EASYMAKER_PYTHON ?? 'python';
  execFileSync(
    python,
    [
      '-c',
      [
        'import os, sys, joblib',
        'from sklearn.datasets import load_iris',
        'from sklearn.linear_model import LogisticRegression',
        'X, y = load_iris(return_X_y=True)',
        'os.makedirs(sys.argv[1], exist_ok=True)',
        'joblib.dump(LogisticRegression(max_iter=500).fit(X, y), os.path.join(sys.argv[1], "model.joblib"))'
      ].join('\n'),
      folder
    ],
    { stdio: 'inherit' }
  );
  const api = new Api(request);
  modelId = (await api.post('models', { name: model, framework: 'scikit-learn', artifact_path: folder })).id;
  await api.post('endpoints', { name: endpoint, description: 'made by the UI test', resources: [{ model, cpu: 0.25, memory: '256Mi' }] });
  await waitEndpoint(api, endpoint);
});

test.afterAll(async ({ request }) => {
  await removeEndpoint(request, endpoint);
  await removeEndpoint(request, formEndpoint);
});

test('the endpoint in the list, its overview and its stages', async ({ page }) => {
  const d = await openEndpoint(page, endpoint);
  const overview = d.locator('[data-role="overview"]');
  await expect(overview).toContainText(`easymaker/inference/${endpoint}`);
  // the gateway's own port (the fast URL) beside the Jupyter port's
  await expect(overview).toContainText('Default stage URL (gateway port)');
  await expect(overview).toContainText(new RegExp(`http://[^/]+:\\d+/easymaker/inference/${endpoint}`));
  await expect(overview.locator('.jp-EasyMaker-badge[data-status="ACTIVE"]').first()).toBeVisible();
  await expect(overview.locator('[data-role="curl-example"]')).toContainText(`/${model}/v1/models/${model}/predict`);
  await shot(page, 'endpoint-overview');

  await d.locator('button[data-tab="stages"]').click();
  const stage = d.locator('[data-role="stages"] tr[data-stage="default"]');
  await expect(stage).toHaveAttribute('data-default', 'true');
  await expect(stage.locator('.jp-EasyMaker-badge').first()).toHaveAttribute('data-status', 'ACTIVE');
  await expect(stage.locator('[data-role="pods"]')).toHaveText('1/1');
  await expect(stage).toContainText(`easymaker/inference/${endpoint}/default`);
  // the default stage can be neither deleted nor made default again
  await expect(stage.locator('button[data-action="delete-stage"]')).toHaveCount(0);
  await expect(stage.locator('button[data-action="make-default"]')).toHaveCount(0);
  await shot(page, 'endpoint-stages');
});

test('an API key is shown once; gateway calls show in the statistics, charts and logs', async ({ page, request }) => {
  const d = await openEndpoint(page, endpoint);
  await d.locator('button[data-tab="api-keys"]').click();
  const keys = d.locator('[data-role="api-keys"]');
  // the endpoint's first key, made with it
  await expect(keys.locator('tr[data-key-name="default"]')).toBeVisible();
  await keys.locator('input[name="api-key-name"]').fill('ui-key');
  await keys.locator('button[data-action="create-api-key"]').click();
  const shown = keys.locator('[data-role="new-key"]');
  await expect(shown).toContainText('shown only once');
  apiKey = (await shown.locator('[data-role="key-value"]').innerText()).trim();
  expect(apiKey).toMatch(/^emk_[0-9a-f]{8}_/);
  const row = keys.locator('tr[data-key-name="ui-key"]');
  await expect(row).toBeVisible();
  // the list has the masked key only
  await expect(row).not.toContainText(apiKey);
  await expect(row.locator('code')).toContainText(apiKey.slice(0, 12));
  await shot(page, 'endpoint-api-key-once');
  await shown.locator('button[data-action="dismiss-key"]').click();
  await expect(shown).toHaveCount(0);
  // not shown again after leaving the tab and coming back
  await d.locator('button[data-tab="overview"]').click();
  await d.locator('button[data-tab="api-keys"]').click();
  await expect(keys.locator('tr[data-key-name="ui-key"]')).toBeVisible();
  await expect(d.locator('[data-role="new-key"]')).toHaveCount(0);

  // revoke (asked first): the key is refused at once and stays listed as revoked
  const doomed = await new Api(request).post(`endpoints/${endpoint}/api-keys`, { name: 'to-revoke' });
  await d.locator('button[data-tab="overview"]').click();
  await d.locator('button[data-tab="api-keys"]').click();
  const doomedRow = keys.locator('tr[data-key-name="to-revoke"]');
  await doomedRow.locator('button[data-action="revoke-api-key"]').click();
  const revokeDialog = page.locator('.jp-Dialog');
  await expect(revokeDialog).toContainText('cannot be undone');
  await revokeDialog.locator('button.jp-mod-warn').click();
  await expect(doomedRow).toHaveAttribute('data-revoked', 'true');
  const refused = await request.get(inference(`${endpoint}/${model}/v1/models`), { headers: { Authorization: `Bearer ${doomed.key}` } });
  expect(refused.status()).toBe(401);

  // the stage view first, so that the numbers are seen changing live
  await d.locator('button[data-tab="stage"]').click();
  const view = d.locator('.jp-EasyMaker-stageView[data-stage="default"]');
  await expect(view).toBeVisible();
  await expect(view.locator('tr[data-resource]')).toHaveAttribute('data-status', 'ACTIVE');
  const total = (id: string) => view.locator(`[data-total="${id}"] .jp-EasyMaker-countValue`);
  // so far only the revoked key's refused call
  await expect(total('calls')).toHaveText('1');

  // 5 good calls (v1 and v2 protocols), a bad body and a call without a key
  const predict = inference(`${endpoint}/${model}/v1/models/${model}/predict`);
  for (let i = 0; i < 4; i++) {
    const r = await request.post(predict, { headers: { Authorization: `Bearer ${apiKey}` }, data: { instances: IRIS } });
    expect(r.status()).toBe(200);
    expect((await r.json()).predictions).toHaveLength(2);
  }
  const v2 = await request.post(inference(`${endpoint}/default/${model}/v2/models/${model}/infer`), {
    headers: { 'x-api-key': apiKey },
    data: { inputs: [{ name: 'input-0', shape: [1, 4], datatype: 'FP64', data: IRIS[0] }] }
  });
  expect(v2.status()).toBe(200);
  const bad = await request.post(predict, { headers: { Authorization: `Bearer ${apiKey}` }, data: { wrong: 1 } });
  expect(bad.status()).toBeGreaterThanOrEqual(400);
  const anonymous = await request.post(predict, { data: { instances: IRIS } });
  expect(anonymous.status()).toBe(401);

  // the statistics re-read while the panel is seen: no reload, no click
  await expect(total('calls')).toHaveText('8', { timeout: 20_000 });
  await expect(total('success')).toHaveText('5');
  await expect(total('failure')).toHaveText('3');
  await expect(total('p95')).toContainText('ms');
  const callsChart = view.locator('.jp-EasyMaker-chart[data-chart="API calls"]');
  const latencyChart = view.locator('.jp-EasyMaker-chart[data-chart="Latency (ms)"]');
  await expect(callsChart.locator('canvas')).toBeVisible();
  await expect(latencyChart.locator('canvas')).toBeVisible();
  // the chart's own legend, under the cursor, shows the calls of the last minutes
  expect(await hoveredMax(page, callsChart, 'Calls')).toBeGreaterThan(0);
  expect(await hoveredMax(page, latencyChart, 'p50')).toBeGreaterThan(0);
  const logs = view.locator('[data-role="inference-logs"]');
  await expect(logs.locator('tr[data-log-status]')).toHaveCount(8);
  await expect(logs.locator('tr[data-log-status="401"]')).toHaveCount(2);
  await callsChart.scrollIntoViewIfNeeded();
  await shot(page, 'endpoint-statistics');

  // Try it: the pasted key, the prefilled v1 body, the model's answer
  const tryIt = view.locator('[data-role="try-it"]');
  await tryIt.locator('summary').click();
  await expect(tryIt.locator('textarea[name="try-body"]')).toHaveValue(/"instances":\[\[0,0,0,0\]\]/);
  await tryIt.locator('textarea[name="try-body"]').fill(JSON.stringify({ instances: IRIS }));
  await tryIt.locator('input[name="try-key"]').fill(apiKey);
  await tryIt.locator('button[data-action="try-send"]').click();
  const answer = tryIt.locator('[data-role="try-answer"]');
  await expect(answer).toHaveAttribute('data-status', '200');
  await expect(answer).toContainText('predictions');
  await expect(total('calls')).toHaveText('9', { timeout: 20_000 });
  await tryIt.scrollIntoViewIfNeeded();
  await shot(page, 'endpoint-try-it');

  // monitoring of the model server's pod
  await expect(view.locator('[data-role="monitoring"] .jp-EasyMaker-chart[data-chart="CPU (%)"]')).toBeVisible({ timeout: 20_000 });
  await expect(view.locator('[data-role="monitoring"] .jp-EasyMaker-chart[data-chart="Memory (MiB)"] canvas')).toBeVisible();
  // a CPU pod: no GPU charts
  await expect(view.locator('[data-role="monitoring"] .jp-EasyMaker-chart[data-chart="GPU (%)"]')).toHaveCount(0);

  // charts are not re-read while the tab is hidden
  const reads: string[] = [];
  page.on('request', r => {
    if (r.url().includes('/statistics')) {
      reads.push(r.url());
    }
  });
  await openArea(page, 'endpoints');
  await expect(d).toBeHidden();
  reads.length = 0;
  await page.waitForTimeout(11_000);
  expect(reads).toEqual([]);
});

test('pods with GPUs show GPU utilisation and GPU memory beside CPU and memory', async ({ page }) => {
  // this host has no GPU: the server's real monitoring answer, with the GPU fields a GPU pod's samples carry
  // (the backends' GPU readings are tested in tests/test_endpoint_gpu_monitoring.py and test_serving_kubernetes.py)
  await page.route(/\/stages\/default\/monitoring/, async route => {
    const response = await route.fetch();
    const body = await response.json();
    for (const r of body.resources) {
      r.usage = r.usage.map((u: any, i: number) => ({ ...u, gpu_percent: 40 + i, gpu_memory_bytes: 3 * 1024 ** 3 }));
    }
    await route.fulfill({ response, json: body });
  });
  const d = await openEndpoint(page, endpoint);
  await d.locator('button[data-tab="stage"]').click();
  const monitoring = d.locator('.jp-EasyMaker-stageView[data-stage="default"] [data-role="monitoring"]');
  await expect(monitoring.locator('.jp-EasyMaker-chart[data-chart="CPU (%)"]')).toBeVisible({ timeout: 20_000 });
  await expect(monitoring.locator('.jp-EasyMaker-chart[data-chart="GPU (%)"] canvas')).toBeVisible();
  await expect(monitoring.locator('.jp-EasyMaker-chart[data-chart="GPU memory (MiB)"] canvas')).toBeVisible();
  await monitoring.scrollIntoViewIfNeeded();
  await shot(page, 'endpoint-monitoring-gpu');
});

test('add a stage through its form and make it the default stage', async ({ page, request }) => {
  const d = await openEndpoint(page, endpoint);
  await d.locator('button[data-action="add-stage"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="stage"]');
  await expect(form.locator('input[name="name"]')).toBeVisible();
  await form.locator('input[name="name"]').fill('next');
  await form.locator('select[name="resources[0].model"]').selectOption(modelId);
  await form.locator('input[name="resources[0].cpu"]').fill('0.25');
  await shot(page, 'stage-form');
  await form.locator('button[data-action="submit"]').click();
  await expect(form).toHaveCount(0);
  await expect(d).toBeVisible();
  const next = d.locator('[data-role="stages"] tr[data-stage="next"]');
  await expect(next).toBeVisible();
  // CREATE IN PROGRESS -> ACTIVE arrives by change events
  await expect(next).toHaveAttribute('data-status', 'ACTIVE', { timeout: 90_000 });
  await shot(page, 'endpoint-two-stages');

  await next.locator('button[data-action="make-default"]').click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('without');
  await expect(dialog).toContainText('next');
  await shot(page, 'make-default-dialog');
  await dialog.locator('button.jp-mod-warn').click();
  await expect(next).toHaveAttribute('data-default', 'true');
  // the default stage URL now answers from "next"
  const r = await request.post(inference(`${endpoint}/${model}/v1/models/${model}/predict`), {
    headers: { Authorization: `Bearer ${apiKey}` },
    data: { instances: IRIS }
  });
  expect(r.status()).toBe(200);
  expect(r.headers()['x-easymaker-stage']).toBe('next');
  // the old default drains and goes away
  await expect(d.locator('[data-role="stages"] tr[data-stage="default"]')).toHaveCount(0, { timeout: 60_000 });
  await shot(page, 'endpoint-default-changed');
});

test('create an endpoint through the form, then delete it', async ({ page, request }) => {
  const panel = await openArea(page, 'endpoints');
  await panel.locator('button[data-action="create"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="endpoint"]');
  await expect(form.locator('input[name="name"]')).toBeVisible();
  await form.locator('input[name="name"]').fill(formEndpoint);
  await form.locator('select[name="resources[0].model"]').selectOption(modelId);
  await form.locator('input[name="resources[0].memory"]').fill('256Mi');
  await form.locator('input[name="resources[0].cpu"]').fill('0.25');
  await shot(page, 'endpoint-form');
  await form.locator('button[data-action="submit"]').click();
  const d = detail(page, formEndpoint);
  await expect(d).toBeVisible();
  await expect(d.locator('.jp-EasyMaker-detailBody')).toHaveAttribute('data-status', 'ACTIVE', { timeout: 90_000 });
  const e = await new Api(request).get(`endpoints/${formEndpoint}`);
  expect(e.stages[0].resources[0]).toMatchObject({ model_name: model, allocation: { cpu: 0.25, memory_mib: 256 } });

  await d.locator('.jp-EasyMaker-detailHeader button[data-action="delete"]').click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText(formEndpoint);
  await dialog.locator('button.jp-mod-warn').click();
  const row = page.locator(`.jp-EasyMaker-panel[data-area="endpoints"] .jp-EasyMaker-row[data-name="${formEndpoint}"]`);
  await expect(row).toHaveCount(0, { timeout: 60_000 });
});

/** The largest value the chart's legend shows for `series` while the cursor crosses its last minutes. */
async function hoveredMax(page: Page, chart: Locator, series: string): Promise<number> {
  const over = chart.locator('.u-over');
  await over.scrollIntoViewIfNeeded();
  const box = await over.boundingBox();
  if (!box) {
    return 0;
  }
  const legend = chart.locator('.u-legend .u-series', { hasText: series }).first().locator('.u-value');
  let best = 0;
  for (let i = 0; i < 12; i++) {
    await page.mouse.move(box.x + box.width - 1 - (i * box.width) / 60, box.y + box.height / 2);
    const value = parseFloat((await legend.innerText()).replace(/[^0-9.]/g, ''));
    if (Number.isFinite(value)) {
      best = Math.max(best, value);
    }
  }
  return best;
}
