/** Shared helpers of the UI specs. */
import * as fs from 'fs';
import * as path from 'path';

import { test as galataTest } from '@jupyterlab/galata';
import type { APIRequestContext, Locator, Page } from '@playwright/test';
import { expect } from '@playwright/test';

export { expect };

/**
 * galata's test, with a fixed server folder (`work`, made by the server
 * config) instead of one per test: galata creates those through
 * `/api/contents` without the base URL, and these tests run behind a
 * non-default base_url on purpose.
 */
export const test = galataTest.extend({
  // eslint-disable-next-line no-empty-pattern
  tmpPath: async ({}, use) => {
    await use('work');
  }
});

/** Where screenshots go (printed by the pytest wrapper). */
export const ARTIFACTS = process.env.EASYMAKER_UI_ARTIFACTS ?? path.resolve(__dirname, '../../../test-artifacts/ui');

export interface IServerState {
  root: string;
  data: string;
  base_url: string;
  port: number;
}

export function serverState(): IServerState {
  const file = process.env.EASYMAKER_UI_STATE ?? path.resolve(__dirname, '../.server-state.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as IServerState;
}

export async function shot(page: Page | Locator, name: string): Promise<void> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

/** Calls of the EasyMaker REST API (the server has no token in tests). */
export class Api {
  constructor(readonly request: APIRequestContext) {}

  url(p: string): string {
    return `easymaker/api/v1/${p}`.replace(/\/$/, '');
  }

  async get<T = any>(p: string): Promise<T> {
    const r = await this.request.get(this.abs(p));
    expect(r.ok(), `GET ${p}: ${r.status()} ${await r.text()}`).toBeTruthy();
    return (await r.json()) as T;
  }

  async post<T = any>(p: string, body: unknown = {}): Promise<T> {
    const r = await this.request.post(this.abs(p), { data: body });
    expect(r.ok(), `POST ${p}: ${r.status()} ${await r.text()}`).toBeTruthy();
    return (await r.json()) as T;
  }

  async waitStatus(ref: string, statuses: string[], timeoutMs = 60_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const t = await this.get(`trainings/${ref}`);
      if (statuses.includes(t.status)) {
        return t;
      }
      if (Date.now() > deadline) {
        throw new Error(`training ${ref} is ${t.status}, not ${statuses.join('|')}`);
      }
      await new Promise(r => setTimeout(r, 200));
    }
  }

  private abs(p: string): string {
    const s = serverState();
    return `http://127.0.0.1:${s.port}${s.base_url}${this.url(p)}`;
  }
}

export async function openSidebar(page: Page): Promise<Locator> {
  await page.locator('.jp-SideBar.jp-mod-left [data-id="jupyter-easymaker-sidebar"]').click();
  const sidebar = page.locator('#jupyter-easymaker-sidebar');
  await expect(sidebar).toBeVisible();
  return sidebar;
}

export async function openArea(page: Page, area: string): Promise<Locator> {
  const sidebar = page.locator('#jupyter-easymaker-sidebar');
  if (!(await sidebar.isVisible())) {
    await openSidebar(page);
  }
  await sidebar.locator(`button[data-area="${area}"]`).click();
  const panel = page.locator(`.jp-EasyMaker-panel[data-area="${area}"]`).first();
  await expect(panel).toBeVisible();
  return panel;
}

/** A unique resource name for this run. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`;
}

/** The detail tab of a training, found by its name. */
export function trainingDetail(page: Page, name: string): Locator {
  return page.locator('.jp-EasyMaker-detail', { has: page.locator('h2.jp-EasyMaker-detailTitle', { hasText: name }) });
}

/** A training created through the API (faster than the form where the form is not under test). */
export async function createTraining(
  api: Api,
  name: string,
  experiment: string,
  hyperparameters: Record<string, string> = { steps: '4', sleep: '0.2' }
): Promise<any> {
  const root = serverState().root;
  return api.post('trainings', {
    name,
    experiment_name: experiment,
    algorithm: { type: 'custom', source_dir: `${root}/algo`, entry_point: 'train.py' },
    hyperparameters
  });
}

/**
 * Record every status an element's data-status takes (proves live updates without
 * reloads): ``within`` itself, or the element ``selector`` finds inside it. The
 * recorder sits on ``within``, so an element mounted anew is still followed (a
 * virtual table mounts a row's badge again when its page is re-read).
 */
export async function recordStatuses(within: Locator, selector = ''): Promise<void> {
  await within.evaluate((node, sel) => {
    const seen: string[] = [];
    (node as any).__seen = { ...((node as any).__seen ?? {}), [sel]: seen };
    const note = () => {
      const target = (sel ? node.querySelector(sel) : node) as HTMLElement | null;
      const s = target?.dataset.status;
      if (s && seen[seen.length - 1] !== s) {
        seen.push(s);
      }
    };
    note();
    new MutationObserver(note).observe(node, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status', 'data-name'] });
  }, selector);
}

export async function recordedStatuses(within: Locator, selector = ''): Promise<string[]> {
  return within.evaluate((node, sel) => [...((node as any).__seen?.[sel] ?? [])], selector);
}
