/**
 * Notebooks: one created through the form becomes ACTIVE (HEALTHY) with a
 * real Jupyter server of its own, its proxy URL answers a page request,
 * stop and start go through the guide's confirmations, and the start-up
 * scripts' results (exit code and output) show in the detail.
 */
import * as fs from 'fs';
import * as path from 'path';

import type { APIRequestContext, Locator, Page } from '@playwright/test';

import { Api, expect, openArea, serverState, shot, test, uniqueName } from './helpers';

test.describe.configure({ mode: 'serial' });
// a notebook's own Jupyter server starts in seconds; a busy machine can take longer
test.setTimeout(240_000);
test.use({ actionTimeout: 30_000 });

const name = uniqueName('nb-ui');

function detail(page: Page, notebook: string): Locator {
  return page.locator('.jp-EasyMaker-detail[data-kind="notebook"]', { has: page.locator('h2.jp-EasyMaker-detailTitle', { hasText: notebook }) });
}

function absolute(p: string): string {
  const s = serverState();
  return `http://127.0.0.1:${s.port}${p}`;
}

async function confirm(page: Page, text: string): Promise<void> {
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText(text);
  await dialog.locator('button.jp-mod-warn').click();
}

async function statusOf(d: Locator): Promise<Locator> {
  return d.locator('.jp-EasyMaker-detailBody');
}

test.afterAll(async ({ request }: { request: APIRequestContext }) => {
  // a notebook's server outlives the Jupyter server otherwise
  const api = new Api(request);
  const found = await request.get(absolute(serverState().base_url + api.url(`notebooks/${name}`)));
  if (found.ok()) {
    await request.delete(absolute(serverState().base_url + api.url(`notebooks/${name}`)));
  }
});

test('create a notebook through the form, open it through the proxy, stop and start it, see its start-up scripts', async ({ page, request }) => {
  const api = new Api(request);
  const panel = await openArea(page, 'notebooks');
  await panel.locator('button[data-action="create"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="notebook"]');
  await expect(form.locator('input[name="name"]')).toBeVisible();
  await form.locator('input[name="name"]').fill(name);
  await form.locator('select[name="instance_type"]').selectOption('cpu-1');
  await form.locator('input[name="boot_storage_gb"]').fill('10');
  await form.locator('input[name="data_storage_gb"]').fill('20');
  await shot(page, 'notebook-form');
  await form.locator('button[data-action="submit"]').click();

  const d = detail(page, name);
  await expect(d).toBeVisible();
  await expect(await statusOf(d)).toHaveAttribute('data-status', 'ACTIVE (HEALTHY)', { timeout: 120_000 });
  const nb = await api.get(`notebooks/${name}`);
  expect(nb).toMatchObject({ instance_type: 'cpu-1', boot_storage_gb: 10, data_storage_gb: 20 });
  expect(nb.url).toMatch(/\/easymaker\/notebooks\/[0-9a-f-]+\/proxy\/$/);

  // "Open Jupyter notebook" opens the proxy URL in a new browser tab
  const [popup] = await Promise.all([
    page.context().waitForEvent('page'),
    d.locator('.jp-EasyMaker-detailHeader button[data-action="open"]').click()
  ]);
  await popup.waitForLoadState('domcontentloaded');
  expect(popup.url()).toContain(nb.url);
  await popup.close();
  // a page request to the proxy URL, with this browser's login, answers 200
  const response = await page.request.get(absolute(nb.url + 'api/status'));
  expect(response.status()).toBe(200);
  const lab = await page.request.get(absolute(nb.url + 'lab'));
  expect(lab.status()).toBe(200);
  await shot(page, 'notebook-active');

  // stop, with the guide's confirmation
  await d.locator('.jp-EasyMaker-detailHeader button[data-action="stop"]').click();
  await confirm(page, name);
  await expect(await statusOf(d)).toHaveAttribute('data-status', 'STOPPED', { timeout: 60_000 });
  await expect(d.locator('.jp-EasyMaker-detailHeader button[data-action="open"]')).toBeDisabled();

  // a start-up script in the data storage, then start
  const scripts = path.join(serverState().data, 'notebooks', nb.id, 'data', 'cont-init.d');
  fs.mkdirSync(scripts, { recursive: true });
  fs.writeFileSync(path.join(scripts, '10-hello.sh'), '#!/bin/sh\necho hello from cont-init\n', { mode: 0o755 });
  fs.writeFileSync(path.join(scripts, '20-not-executable.sh'), '#!/bin/sh\necho never\n', { mode: 0o644 });
  await d.locator('.jp-EasyMaker-detailHeader button[data-action="start"]').click();
  await confirm(page, name);
  await expect(await statusOf(d)).toHaveAttribute('data-status', 'ACTIVE (HEALTHY)', { timeout: 120_000 });

  await d.locator('[data-tab="startup-scripts"]').click();
  const results = d.locator('[data-role="startup-scripts"]');
  const hello = results.locator('tr[data-script="10-hello.sh"]');
  await expect(hello).toHaveAttribute('data-exit-code', '0', { timeout: 30_000 });
  await expect(hello).toContainText('hello from cont-init');
  await expect(results.locator('tr[data-script="20-not-executable.sh"]')).toHaveAttribute('data-exit-code', '');
  await expect(results.locator('[data-role="run-log"]')).toContainText('10-hello.sh: exited 0');
  await shot(page, 'notebook-startup-scripts');

  await d.locator('[data-tab="monitoring"]').click();
  await expect(d.locator('[data-role="monitoring"], [data-role="no-usage"]').first()).toBeVisible();
});
