/**
 * RAG: the panel in the sidebar, the create form (the default prompt
 * template shown in full in its text area, secrets masked), a faiss RAG
 * over a small folder created through the form, its detail tab with the
 * settings and the query URL, and its first ingestion in the history.
 *
 * The server side it needs: the `rag` area (capability `rag`, REST
 * `easymaker/api/v1/rags`), RagCreate in the OpenAPI document with the
 * default template as `prompt_template`'s default, and a create that
 * answers 201 without reaching the LLM (an external base URL nobody
 * listens on is given). Reaching ACTIVE is not waited for.
 */
import * as fs from 'fs';
import * as path from 'path';

import type { APIRequestContext, Locator, Page } from '@playwright/test';

import { Api, expect, openArea, serverState, shot, test, uniqueName } from './helpers';

test.describe.configure({ mode: 'serial' });
test.setTimeout(120_000);
test.use({ actionTimeout: 30_000 });

const rag = uniqueName('rag-ui');
let folder = '';

const DOCS: { [name: string]: string } = {
  'pets.md': '# Pets\n\nThe office cat is called Miso. She sleeps on the third floor, next to the printer.\n',
  'travel.txt': 'Business trips are booked through the travel desk at least two weeks ahead.\nReceipts go to finance within 30 days.\n',
  'notes/lunch.md': '# Lunch\n\nThe canteen serves bibimbap on Wednesdays.\n'
};

function base(): string {
  const s = serverState();
  return `http://127.0.0.1:${s.port}${s.base_url}`;
}

function detail(page: Page, name: string): Locator {
  return page.locator('.jp-EasyMaker-detail[data-kind="rag"]', { has: page.locator('h2.jp-EasyMaker-detailTitle', { hasText: name }) });
}

/** Pick a variant of `llm` / `vector_store`: radios (a discriminated union) or a select of `type`. */
async function chooseType(form: Locator, field: string, value: string): Promise<void> {
  const radio = form.locator(`input[type="radio"][name="${field}.type"][value="${value}"]`);
  if (await radio.count()) {
    await radio.check();
  } else {
    await form.locator(`select[name="${field}.type"]`).selectOption(value);
  }
}

async function typeOf(form: Locator, field: string): Promise<string> {
  const radio = form.locator(`input[type="radio"][name="${field}.type"]:checked`);
  if (await radio.count()) {
    return radio.inputValue();
  }
  return form.locator(`select[name="${field}.type"]`).inputValue();
}

/** Delete the RAG (retried while it is still being created: 409). */
async function removeRag(request: APIRequestContext, ref: string): Promise<void> {
  const url = `${base()}${new Api(request).url(`rags/${ref}`)}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const r = await request.delete(url);
    if (r.ok() || r.status() === 404) {
      return;
    }
    await new Promise(res => setTimeout(res, 1000));
  }
}

test.beforeAll(() => {
  folder = path.join(serverState().root, 'rag-docs', rag);
  for (const [name, text] of Object.entries(DOCS)) {
    fs.mkdirSync(path.dirname(path.join(folder, name)), { recursive: true });
    fs.writeFileSync(path.join(folder, name), text);
  }
});

test.afterAll(async ({ request }) => {
  await removeRag(request, rag);
});

test('the RAG panel, its create form with the default prompt template, a faiss RAG created through it', async ({ page, request }) => {
  const api = new Api(request);
  const panel = await openArea(page, 'rags');
  await expect(panel.locator('button[data-action="create"]')).toBeVisible();
  await shot(page, 'rag-list-empty');

  await panel.locator('button[data-action="create"]').click();
  const form = page.locator('.jp-EasyMaker-createForm[data-kind="rag"]');
  await expect(form.locator('input[name="name"]')).toBeVisible();

  // the default prompt template, whole, in a text area that shows all of it
  const doc = await api.get('openapi.json');
  const template: string = doc.components.schemas.RagCreate.properties.prompt_template.default;
  expect(template).toContain('{context}');
  expect(template).toContain('{question}');
  const prompt = form.locator('textarea[name="prompt_template"]');
  await expect(prompt).toHaveValue(template);
  await prompt.scrollIntoViewIfNeeded();
  const fits = await prompt.evaluate((node: HTMLTextAreaElement) => node.scrollHeight <= node.clientHeight + 2);
  expect(fits, 'the prompt template fits its text area (no hidden lines)').toBe(true);
  await expect(form).toContainText('{context} is replaced by the passages retrieved for the question');
  await shot(page, 'rag-form-prompt');

  // faiss is the default store; the embedding model's default is there
  expect(await typeOf(form, 'vector_store')).toBe('faiss');
  await expect(form.locator('[name="embedding.model"]')).toHaveValue('all-MiniLM-L6-v2');
  await expect(form.locator('select[name="retrieval.mode"]')).toHaveValue('hybrid');

  await form.locator('input[name="name"]').fill(rag);
  await form.locator('[name="description"]').fill('made by the UI test');
  await form.locator('[name="data_path"]').fill(folder);
  await form.locator('[name="chunking.size"]').fill('400');
  await form.locator('[name="chunking.overlap"]').fill('40');
  // an external OpenAI-compatible LLM: its key is a password field
  await chooseType(form, 'llm', 'external');
  await form.locator('[name="llm.model"]').fill('test-llm');
  // without its base URL the server refuses the form: its message is shown on the field (or the LLM group)
  await form.locator('button[data-action="submit"]').click();
  await expect(form.locator('[data-error-for^="llm"]').first()).toBeVisible();
  await expect(form.locator('.jp-EasyMaker-formError')).toBeVisible();
  await shot(page, 'rag-form-error');
  expect((await api.get(`rags?name=${rag}`)).total).toBe(0);
  await form.locator('[name="llm.base_url"]').fill(process.env.EASYMAKER_UI_LLM_URL ?? 'http://127.0.0.1:9/v1');
  const key = form.locator('input[name="llm.api_key"]');
  await expect(key).toHaveAttribute('type', 'password');
  await key.fill('sk-ui-test-secret');
  await shot(page, 'rag-form');
  await form.locator('button[data-action="submit"]').click();

  // the form closes and the RAG's detail tab opens
  const d = detail(page, rag);
  await expect(d).toBeVisible({ timeout: 30_000 });
  await expect(form).toHaveCount(0);
  const overview = d.locator('[data-role="overview"]');
  await expect(overview.locator('[data-role="store-type"]')).toHaveText('faiss');
  await expect(overview.locator('[data-role="data-path"]')).toHaveText(folder);
  await expect(overview.locator('[data-role="query-url"]')).toContainText('easymaker/rag/v1/query');
  await expect(overview.locator('[data-role="curl-example"]')).toContainText(`"model":"${rag}"`);
  await expect(overview.locator('[data-role="python-example"]')).toContainText('from openai import OpenAI');
  // the LLM's key is never shown back
  await expect(d).not.toContainText('sk-ui-test-secret');
  await overview.locator('button[data-action="view-prompt"]').click();
  await expect(overview.locator('[data-role="prompt-template"]')).toHaveText(template);
  await shot(page, 'rag-overview');

  const created = await api.get(`rags/${rag}`);
  expect(created).toMatchObject({ name: rag, data_path: folder, vector_store: { type: 'faiss' }, chunking: { size: 400, overlap: 40 } });
  expect(created.llm).toMatchObject({ type: 'external', model: 'test-llm', api_key_set: true });

  // its first ingestion (trigger: create) is in the history
  await d.locator('button[data-tab="ingestions"]').click();
  const history = d.locator('[data-role="ingestions"]');
  await expect(history.locator('[data-role="ingestion-list"] tbody tr').first()).toBeVisible({ timeout: 30_000 });
  await expect(history.locator('[data-role="ingestion"]')).toBeVisible();
  await shot(page, 'rag-ingestions');

  // the list shows it
  await openArea(page, 'rags');
  await expect(panel.locator(`.jp-EasyMaker-row[data-name="${rag}"]`)).toBeVisible();
  await shot(page, 'rag-list');
});

test('the chat tester: a key created for it, the answer streamed with its sources', async ({ page }) => {
  await openArea(page, 'rags');
  const panel = page.locator('.jp-EasyMaker-panel[data-area="rags"]');
  await panel.locator(`.jp-EasyMaker-row[data-name="${rag}"] [data-role="open"]`).click();
  const d = detail(page, rag);
  await expect(d).toBeVisible();
  await d.locator('button[data-tab="chat"]').click();
  const chat = d.locator('[data-role="chat"]');

  // a key made for the tester: shown once, and used at once
  await chat.locator('button[data-action="create-chat-key"]').click();
  const shown = chat.locator('[data-role="new-key"] [data-role="key-value"]');
  const key = (await shown.innerText()).trim();
  expect(key).toMatch(/^emk_/);
  await expect(chat.locator('input[name="chat-key"]')).toHaveValue(key);
  await expect(chat.locator('input[name="chat-key"]')).toHaveAttribute('type', 'password');

  // the query server's stream (OpenAI chunks, the sources in the first, then [DONE]), as the gateway relays it
  const seen: { auth: string | null; body: any }[] = [];
  const sources = [{ file: 'pets.md', chunk: 0, score: 0.91, text: 'The office cat is called Miso.' }];
  await page.route('**/easymaker/rag/v1/query', async route => {
    seen.push({ auth: route.request().headers()['authorization'] ?? null, body: route.request().postDataJSON() });
    const chunk = (delta: object, extra: object = {}) => `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta }], ...extra })}\n\n`;
    await route.fulfill({
      status: 200,
      headers: { 'Content-Type': 'text/event-stream' },
      body: chunk({ role: 'assistant' }, { sources }) + chunk({ content: 'The cat is ' }) + chunk({ content: 'called Miso [1].' }) + 'data: [DONE]\n\n'
    });
  });
  await chat.locator('textarea[name="chat-message"]').fill('What is the cat called?');
  await chat.locator('button[data-action="chat-send"]').click();
  const turn = chat.locator('[data-role="chat-turn"]').last();
  await expect(turn.locator('[data-role="answer"]')).toHaveText('The cat is called Miso [1].');
  await expect(turn).toHaveAttribute('data-streaming', 'false');
  await expect(turn.locator('[data-role="sources"] tr[data-source-file="pets.md"]')).toContainText('Miso');
  expect(seen[0].auth).toBe(`Bearer ${key}`);
  expect(seen[0].body).toEqual({ model: rag, messages: [{ role: 'user', content: 'What is the cat called?' }], stream: true });
  await shot(page, 'rag-chat');
  await page.unroute('**/easymaker/rag/v1/query');

  // the key is listed, masked, in the API keys tab
  await d.locator('button[data-tab="api-keys"]').click();
  const row = d.locator('[data-role="api-keys"] tr[data-key-name="chat-tester"]');
  await expect(row).toBeVisible();
  await expect(row).not.toContainText(key);
});
