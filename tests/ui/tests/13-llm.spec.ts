/**
 * LLM studio and model files: the LLM studio panel with the models the
 * server ships (SmolLM2 and all-MiniLM-L6-v2), their status with the Korean
 * label, name chips and the actions their status allows; a model's tab; the
 * model files panel importing a real Open WebUI export
 * (fixtures/openwebui-models/, a copy of ../shared/data/openwebui-models/),
 * cloning it and hiding the clone.
 *
 * The server side it needs: the `llm` area (capability `llm`, REST
 * `easymaker/api/v1/llm/models`, the offline models registered at start)
 * and the `modelfiles` area (REST `easymaker/api/v1/modelfiles`, import,
 * clone, hide). No model is loaded (that is the API tests' work).
 */
import * as path from 'path';

import type { APIRequestContext, Locator, Page } from '@playwright/test';

import { Api, expect, openArea, serverState, shot, test } from './helpers';

test.describe.configure({ mode: 'serial' });
test.setTimeout(120_000);
test.use({ actionTimeout: 30_000 });

const EXPORT = path.resolve(__dirname, '../fixtures/openwebui-models/rosehill-acronym-to-organisation-1737821822373.json');
const IMPORTED = 'acronym-to-organisation';
const CLONE = `${IMPORTED}-clone`;

function base(): string {
  const s = serverState();
  return `http://127.0.0.1:${s.port}${s.base_url}`;
}

async function removeModelFile(request: APIRequestContext, id: string): Promise<void> {
  await request.delete(`${base()}${new Api(request).url(`modelfiles/${id}`)}`);
}

/** A row of the LLM studio's table. */
function row(panel: Locator, name: string): Locator {
  return panel.locator(`.jp-EasyMaker-row[data-name="${name}"]`);
}

/** A row of the model files' table. */
function fileRow(panel: Locator, id: string): Locator {
  return panel.locator(`tr.jp-EasyMaker-modelFileRow[data-name="${id}"]`);
}

function modelDetail(page: Page, name: string): Locator {
  return page.locator('.jp-EasyMaker-detail[data-kind="llm-model"]', { has: page.locator('h2.jp-EasyMaker-detailTitle', { hasText: name }) });
}

test.beforeAll(async ({ request }) => {
  for (const id of [CLONE, IMPORTED]) {
    await removeModelFile(request, id);
  }
});

test.afterAll(async ({ request }) => {
  for (const id of [CLONE, IMPORTED]) {
    await removeModelFile(request, id);
  }
});

test('the LLM studio lists the shipped models with their status, Korean label, name chips and allowed actions', async ({ page, request }) => {
  const api = new Api(request);
  const listed = await api.get('llm/models?limit=100');
  const smol = listed.items.find((m: any) => /smollm2/i.test(m.name));
  const minilm = listed.items.find((m: any) => /minilm/i.test(m.name));
  expect(smol, 'SmolLM2 is registered by the server').toBeTruthy();
  expect(minilm, 'all-MiniLM-L6-v2 is registered by the server').toBeTruthy();

  const panel = await openArea(page, 'llm');
  const smolRow = row(panel, smol.name);
  await expect(smolRow).toBeVisible();
  await expect(row(panel, minilm.name)).toBeVisible();
  // the guide's status word, its Korean label, and what the name says
  await expect(smolRow.locator('[data-role="llm-status"]')).toHaveAttribute('data-status', smol.status);
  await expect(smolRow.locator('[data-role="status-ko"]')).toHaveText(smol.status_label_ko);
  await expect(smolRow.locator('[data-chip="family"]')).toBeVisible();
  await expect(smolRow.locator('[data-chip="size"]')).toContainText('135M');
  await expect(smolRow.locator('[data-chip="format"]')).toHaveText('gguf');
  await expect(row(panel, minilm.name).locator('[data-role="kind"]')).toHaveText('embedding');
  await shot(page, 'llm-list');

  // the actions follow the status: a TRAINED model loads and deletes, nothing else
  await smolRow.locator('[data-column="type"]').click();
  const toolbar = panel.locator('.jp-EasyMaker-toolbar');
  for (const action of ['load', 'unload', 'stop', 'restart', 'delete']) {
    const button = toolbar.locator(`button[data-action="${action}"]`);
    if (smol.actions.includes(action)) {
      await expect(button, action).toBeEnabled();
    } else {
      await expect(button, action).toBeDisabled();
    }
  }

  // its tab: overview with the source and context length; the playground asks for a loaded model
  await smolRow.locator('[data-role="open"]').click();
  const d = modelDetail(page, smol.name);
  await expect(d).toBeVisible();
  const overview = d.locator('[data-role="overview"]');
  await expect(overview.locator('[data-role="name-chips"]')).toBeVisible();
  await expect(overview).toContainText(String(smol.context_length ?? ''));
  await shot(page, 'llm-model-overview');
  await d.locator('button[data-tab="playground"]').click();
  const chat = d.locator('[data-role="chat"]');
  await expect(chat.locator('select[name="chat-model"]')).toBeVisible();
  if (smol.status !== 'RUNNING') {
    await expect(chat.locator('[data-role="chat-no-model"]')).toBeVisible();
    await expect(chat.locator('button[data-action="chat-send"]')).toBeDisabled();
  }
  await shot(page, 'llm-playground');
});

test('model files: the real Open WebUI export imported, listed, cloned and the clone hidden', async ({ page, request }) => {
  const api = new Api(request);
  const panel = await openArea(page, 'modelfiles');
  await expect(panel.locator('button[data-action="import"]')).toBeVisible();

  await panel.locator('input[name="import-file"]').setInputFiles(EXPORT);
  const result = panel.locator('[data-role="import-result"]');
  await expect(result.locator('[data-role="import-summary"]')).toContainText('Imported: 1 new, 0 updated, 0 with errors');
  await expect(result.locator('[data-role="import-error"]')).toHaveCount(0);
  const imported = fileRow(panel, IMPORTED);
  await expect(imported).toBeVisible();
  await expect(imported).toContainText('Acronym To Organisation');
  await expect(imported.locator('[data-role="base-model"]')).toHaveText('deepseek.deepseek-chat');
  // its base is another server's model: kept, but it cannot chat here
  await expect(imported.locator('[data-role="availability"]')).toHaveAttribute('data-available', 'false');
  await shot(page, 'modelfiles-imported');

  const record = await api.get(`modelfiles/${IMPORTED}`);
  expect(record.params.system.startsWith('Your purpose is to act as a friendly assistant')).toBe(true);

  // clone: id + "-clone", name + " (Clone)"
  await imported.locator('[data-role="id"]').click();
  await panel.locator('button[data-action="clone"]').click();
  const clone = fileRow(panel, CLONE);
  await expect(clone).toBeVisible();
  await expect(clone).toContainText('Acronym To Organisation (Clone)');

  // hide the clone: still listed here (hidden shown), marked, and gone from the model picker's list
  await clone.locator('[data-role="id"]').click();
  await panel.locator('button[data-action="hide"]').click();
  await expect(clone).toHaveAttribute('data-hidden', 'true');
  await expect(clone.locator('[data-role="visibility"]')).toHaveText('hidden');
  const visible = await api.get('modelfiles');
  expect(visible.items.map((m: any) => m.id)).toContain(IMPORTED);
  expect(visible.items.map((m: any) => m.id)).not.toContain(CLONE);
  expect((await api.get(`modelfiles/${CLONE}`)).meta.hidden).toBe(true);
  await shot(page, 'modelfiles-clone-hidden');

  // the editor shows the record: name, id (fixed), base model, system prompt
  await imported.locator('[data-role="open"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="modelfile"] [data-role="modelfile-form"]');
  await expect(form.locator('input[name="name"]')).toHaveValue('Acronym To Organisation');
  await expect(form.locator('input[name="id"]')).toBeDisabled();
  await expect(form.locator('select[name="base_model_id"]')).toHaveValue('deepseek.deepseek-chat');
  await expect(form.locator('textarea[name="system"]')).toHaveValue(record.params.system);
  await expect(form.locator('input[name="vision"]')).toBeChecked();
  await shot(page, 'modelfiles-editor');
  await form.locator('button[data-action="cancel"]').click();
  await panel.locator('button[data-action="close-import-result"]').click();

  // a file that is not an export: Open WebUI's own refusal, shown in the panel
  await panel.locator('input[name="import-file"]').setInputFiles({ name: 'not-an-export.json', mimeType: 'application/json', buffer: Buffer.from('{"id": "x"}') });
  await expect(panel.locator('[data-role="import-failed"]')).toContainText('Invalid JSON file');

  // the chat tab lists the model files and loaded models
  await panel.locator('button[data-action="chat"]').click();
  const chatPanel = page.locator('.jp-EasyMaker-panel[data-kind="modelfiles-chat"]');
  await expect(chatPanel.locator('select[name="chat-model"]')).toBeVisible();
  await expect(chatPanel.locator(`select[name="chat-model"] option[value="${IMPORTED}"]`)).toHaveCount(1);
  await shot(page, 'modelfiles-chat');
});

test('prompt templates: one saved with a variable, filled and sent to the playground', async ({ page, request }) => {
  const name = `ui-tpl-${Date.now().toString(36)}`;
  const panel = await openArea(page, 'llm');
  await panel.locator('button[data-action="templates"]').click();
  const view = page.locator('.jp-EasyMaker-panel[data-kind="llm-templates"] [data-role="prompt-templates"]');
  await expect(view).toBeVisible();
  await view.locator('button[data-action="new-template"]').click();
  await view.locator('input[name="template-name"]').fill(name);
  await view.locator('textarea[name="template-system_prompt"]').fill('You answer in one sentence.');
  await view.locator('textarea[name="template-template"]').fill('Explain {{topic}} to a child.');
  const variable = view.locator('textarea[name="variable-topic"]');
  await expect(variable).toBeVisible();
  await view.locator('button[data-action="save-template"]').click();
  await expect(view.locator(`[data-role="template-list"] tr[data-template="${name}"]`)).toBeVisible();
  await variable.fill('photosynthesis');
  await view.locator('button[data-action="send-template"]').click();
  const playground = page.locator('.jp-EasyMaker-panel[data-kind="llm-playground"]');
  await expect(playground.locator('textarea[name="chat-message"]')).toHaveValue('Explain photosynthesis to a child.');
  await expect(playground.locator('textarea[name="chat-system"]')).toHaveValue('You answer in one sentence.');
  await shot(page, 'llm-template-to-playground');
  const api = new Api(request);
  const templates = await api.get('llm/prompt-templates');
  const saved = (Array.isArray(templates) ? templates : templates.items).find((t: any) => t.name === name);
  expect(saved.variables).toEqual(['topic']);
  await request.delete(`${base()}${api.url(`llm/prompt-templates/${saved.id}`)}`);
});

// Loads SmolLM2 (a model server on this machine, about 15 s) and chats with it.
test('the playground streams SmolLM2 once loaded, switches models keeping the history, and answers side by side', async ({ page, request }) => {
  test.setTimeout(300_000);
  const api = new Api(request);
  const listed = await api.get('llm/models?limit=100');
  const smol = listed.items.find((m: any) => /smollm2/i.test(m.name));
  const panel = await openArea(page, 'llm');
  const smolRow = row(panel, smol.name);
  if (smol.status !== 'RUNNING') {
    // Load from the list; the row follows the status without a reload
    await smolRow.locator('[data-column="type"]').click();
    await panel.locator('.jp-EasyMaker-toolbar button[data-action="load"]').click();
  }
  await expect(smolRow.locator('[data-role="llm-status"]')).toHaveAttribute('data-status', 'RUNNING', { timeout: 180_000 });
  // RUNNING at once; it answers once its server is up
  await expect(smolRow.locator('[data-role="llm-status"]')).toHaveAttribute('data-serving', 'true', { timeout: 180_000 });
  await expect(smolRow.locator('[data-role="status-ko"]')).toHaveText('실행 중');
  await expect(panel.locator('.jp-EasyMaker-toolbar button[data-action="unload"]')).toBeEnabled();
  await expect(panel.locator('.jp-EasyMaker-toolbar button[data-action="load"]')).toBeDisabled();

  await panel.locator('.jp-EasyMaker-toolbar button[data-action="playground"]').click();
  const chat = page.locator('.jp-EasyMaker-panel[data-kind="llm-playground"] [data-role="chat"]');
  await expect(chat.locator('select[name="chat-model"]')).toHaveValue(smol.name);
  await chat.locator('input[name="chat-max-tokens"]').fill('16');
  await chat.locator('input[name="chat-temperature"]').fill('0');
  await chat.locator('textarea[name="chat-message"]').fill('What is the capital of France?');
  await chat.locator('button[data-action="chat-send"]').click();
  const first = chat.locator('[data-role="chat-turn"]').first();
  await expect(first).toHaveAttribute('data-streaming', 'false', { timeout: 120_000 });
  await expect(first.locator('[data-role="chat-error"]')).toHaveCount(0);
  expect((await first.locator('[data-role="answer"]').innerText()).trim().length).toBeGreaterThan(0);

  // side by side: the same model twice answers the same messages (the history included)
  await chat.locator('select[name="chat-compare"]').selectOption(smol.name);
  await chat.locator('textarea[name="chat-message"]').fill('And of Italy?');
  await chat.locator('button[data-action="chat-send"]').click();
  const second = chat.locator('[data-role="chat-turn"]').nth(1);
  await expect(second).toHaveAttribute('data-streaming', 'false', { timeout: 120_000 });
  await expect(second.locator('[data-role="chat-reply"]')).toHaveCount(2);
  await expect(second.locator('[data-role="chat-error"]')).toHaveCount(0);
  await shot(page, 'llm-playground-side-by-side');

  // unload again (keeps the suite's machine free)
  await api.post(`llm/models/${smol.id}/unload`);
});
