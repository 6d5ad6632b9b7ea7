/**
 * Figures of the closing note (project "figures", after the UI tests):
 *  1. time from opening the Trainings area in the sidebar to a rendered list
 *     of 10,000 trainings;
 *  2. scroll smoothness over the 10,000 rows (frames counted with
 *     requestAnimationFrame during a programmatic scroll);
 *  3. time from a status change on the server to the badge in the panel.
 * They are printed and written to test-artifacts/ui/figures.json.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { galata } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

import { ARTIFACTS, Api, createTraining, expect, openSidebar, serverState, shot, test, uniqueName } from './helpers';

const N = Number(process.env.EASYMAKER_UI_ROWS ?? 10_000);
const REPO = path.resolve(__dirname, '../../..');
const figures: Record<string, unknown> = { rows: N };

test.describe.configure({ mode: 'serial' });

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1) + 0.5))];
  return { n: values.length, min: sorted[0], median: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] };
}

const round = (v: number) => Math.round(v * 10) / 10;

async function openTrainingsTimed(page: Page): Promise<number> {
  // click the sidebar entry and wait (in the page) for the table's first rows
  return page.evaluate(async (n: number) => {
    const t0 = performance.now();
    (document.querySelector('#jupyter-easymaker-sidebar button[data-area="trainings"]') as HTMLButtonElement).click();
    return new Promise<number>((resolve, reject) => {
      const deadline = t0 + 30_000;
      const check = () => {
        const table = document.querySelector('.jp-EasyMaker-panel[data-area="trainings"] .jp-EasyMaker-table') as HTMLElement | null;
        const total = Number(table?.dataset.total ?? 0);
        const first = table?.querySelector('.jp-EasyMaker-row[data-index="0"][data-id]');
        const rows = table?.querySelectorAll('.jp-EasyMaker-row[data-id]').length ?? 0;
        if (total >= n && first && rows >= 10) {
          resolve(performance.now() - t0);
        } else if (performance.now() > deadline) {
          reject(new Error(`list not rendered: total=${total} rows=${rows}`));
        } else {
          requestAnimationFrame(check);
        }
      };
      requestAnimationFrame(check);
    });
  }, N);
}

test('seed 10,000 trainings into the store', async ({ request }) => {
  const python = process.env.EASYMAKER_PYTHON ?? 'python';
  const out = execFileSync(python, [path.join(REPO, 'benchmarks', 'ui_seed_trainings.py'), '--data-dir', serverState().data, '--trainings', String(N)], {
    encoding: 'utf8'
  });
  console.log(out.trim());
  const page = await new Api(request).get('trainings?limit=1');
  expect(page.total).toBeGreaterThanOrEqual(N);
});

test('time to a rendered list of 10,000 trainings', async ({ page }) => {
  await openSidebar(page);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    times.push(await openTrainingsTimed(page));
    if (i === 0) {
      await shot(page, 'trainings-10k');
    }
    // close the tab so that the next round builds the panel again
    await page.evaluate(() => {
      const w = (window as any).jupyterEasyMaker.areas.widget('trainings');
      w?.close();
    });
  }
  figures.openList = { firstMs: round(times[0]), ...Object.fromEntries(Object.entries(stats(times.slice(1))).map(([k, v]) => [k, round(v)])) };
  console.log(`open Trainings -> ${N} rows rendered: first ${round(times[0])} ms, then median ${round(stats(times.slice(1)).median)} ms`);
  expect(stats(times).median).toBeLessThan(5000);
});

async function scrollRun(page: Page, mode: 'fling' | 'steady' | 'idle', seconds: number, pxPerSecond = 3000) {
  return page.evaluate(
    async ({ mode, seconds, pxPerSecond }) => {
      const body = document.querySelector('.jp-EasyMaker-panel[data-area="trainings"] .jp-EasyMaker-tableBody') as HTMLElement;
      body.scrollTop = 0;
      await new Promise(r => setTimeout(r, 300));
      const max = body.scrollHeight - body.clientHeight;
      const frames: number[] = [];
      // main-thread tasks over 50 ms (script, style, layout) while scrolling
      let longTaskMs = 0;
      let longTasks = 0;
      const observer = new PerformanceObserver(list => {
        for (const entry of list.getEntries()) {
          longTaskMs += entry.duration;
          longTasks += 1;
        }
      });
      observer.observe({ type: 'longtask', buffered: false });
      let blankFrames = 0;
      let blankRows = 0;
      let shownRows = 0;
      const start = performance.now();
      await new Promise<void>(resolve => {
        const step = (now: number) => {
          frames.push(now);
          const t = (now - start) / 1000;
          if (mode !== 'idle') {
            body.scrollTop = mode === 'fling' ? Math.min(1, t / seconds) * max : Math.min(max, t * pxPerSecond);
          }
          if (frames.length % 4 !== 0) {
            // sample the blank rows on one frame in four (reading layout costs time too)
            if (t < seconds) {
              requestAnimationFrame(step);
            } else {
              resolve();
            }
            return;
          }
          // rows in view that have no data yet (their page is still being fetched)
          const top = body.getBoundingClientRect().top + 28;
          const bottom = body.getBoundingClientRect().bottom;
          let blank = 0;
          let shown = 0;
          body.querySelectorAll('.jp-EasyMaker-row').forEach(row => {
            const r = row.getBoundingClientRect();
            if (r.bottom > top && r.top < bottom) {
              shown += 1;
              if (row.classList.contains('jp-mod-placeholder')) blank += 1;
            }
          });
          shownRows += shown;
          blankRows += blank;
          if (blank) blankFrames += 1;
          if (t < seconds) {
            requestAnimationFrame(step);
          } else {
            resolve();
          }
        };
        requestAnimationFrame(step);
      });
      observer.disconnect();
      const gaps = frames.slice(1).map((f, i) => f - frames[i]);
      const sorted = [...gaps].sort((a, b) => a - b);
      return {
        mode,
        seconds,
        scrolledPx: Math.round(body.scrollTop),
        frames: frames.length,
        fps: Math.round((frames.length - 1) / ((frames[frames.length - 1] - frames[0]) / 1000)),
        medianFrameMs: Math.round(sorted[Math.floor(sorted.length / 2)] * 10) / 10,
        p95FrameMs: Math.round(sorted[Math.floor(sorted.length * 0.95)] * 10) / 10,
        maxFrameMs: Math.round(sorted[sorted.length - 1] * 10) / 10,
        longFrames: gaps.filter(g => g > 50).length,
        framesWithBlankRows: blankFrames,
        blankRowShare: Math.round((blankRows / Math.max(1, shownRows)) * 1000) / 10,
        domRows: body.querySelectorAll('.jp-EasyMaker-row').length,
        longTasks,
        longTaskMs: Math.round(longTaskMs)
      };
    },
    { mode, seconds, pxPerSecond }
  );
}

test('scroll smoothness with 10,000 rows', async ({ page }) => {
  await openSidebar(page);
  await openTrainingsTimed(page);
  // the same frame loop without scrolling: what this browser and machine give at most
  const idle = await scrollRun(page, 'idle', 3);
  const steady = await scrollRun(page, 'steady', 5, 3000);
  const fling = await scrollRun(page, 'fling', 5);
  figures.scroll = { idleBaseline: idle, steady3000pxPerSecond: steady, flingWholeListIn5s: fling };
  console.log('no scrolling (baseline):', JSON.stringify(idle));
  console.log('scroll (3,000 px/s for 5 s):', JSON.stringify(steady));
  console.log('scroll (whole list in 5 s):', JSON.stringify(fling));
  await shot(page, 'trainings-10k-scrolled');
  expect(steady.domRows).toBeLessThan(200);
  expect(steady.fps).toBeGreaterThan(20);
});

async function measureStatusLatency(page: Page, api: Api, rounds: number): Promise<Record<string, number[]>> {
  await openSidebar(page);
  await openTrainingsTimed(page);
  const prefix = uniqueName('lat');
  // the panel shows the newest rows first; watch the badges of our rows
  await page.evaluate((prefix: string) => {
    const seen: Record<string, Record<string, number>> = {};
    (window as any).__seen = seen;
    const scan = () => {
      const now = performance.timeOrigin + performance.now();
      document.querySelectorAll(`.jp-EasyMaker-panel[data-area="trainings"] .jp-EasyMaker-row[data-name^="${prefix}"]`).forEach(row => {
        const name = (row as HTMLElement).dataset.name as string;
        const status = (row.querySelector('.jp-EasyMaker-badge') as HTMLElement | null)?.dataset.status;
        if (status) {
          seen[name] = seen[name] ?? {};
          seen[name][status] = seen[name][status] ?? now;
        }
      });
    };
    const table = document.querySelector('.jp-EasyMaker-panel[data-area="trainings"] .jp-EasyMaker-tableBody') as HTMLElement;
    new MutationObserver(scan).observe(table, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status', 'data-name'] });
  }, prefix);
  const latencies: Record<string, number[]> = {};
  const experiment = uniqueName('exp-lat');
  for (let i = 0; i < rounds; i++) {
    const name = `${prefix}-${i}`;
    const created = await createTraining(api, name, experiment, { steps: '3', sleep: '0.2' });
    await api.waitStatus(created.id, ['COMPLETE'], 60_000);
    await expect(page.locator(`.jp-EasyMaker-row[data-name="${name}"] .jp-EasyMaker-badge`)).toHaveAttribute('data-status', 'COMPLETE');
    const t = await api.get(`trainings/${created.id}`);
    const seen = await page.evaluate(n => (window as any).__seen[n] ?? {}, name);
    for (const h of t.history) {
      if (seen[h.status] === undefined) {
        continue; // a status that lasted less than a re-read (polling) or a frame
      }
      const at = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(h.at) ? h.at : `${h.at}Z`);
      (latencies[h.status] = latencies[h.status] ?? []).push(seen[h.status] - at);
    }
  }
  return latencies;
}

function summarize(latencies: Record<string, number[]>) {
  const pick = (values: number[]) => Object.fromEntries(Object.entries(stats(values)).map(([k, v]) => [k, round(v)]));
  return {
    all: pick(Object.values(latencies).flat()),
    byStatus: Object.fromEntries(Object.entries(latencies).map(([status, values]) => [status, pick(values)]))
  };
}

test('time until a status change appears in the panel', async ({ page, request }) => {
  const latencies = await measureStatusLatency(page, new Api(request), 5);
  figures.statusLatencyMs = summarize(latencies);
  console.log('status change -> badge in the panel (ms):', JSON.stringify(figures.statusLatencyMs));
  expect(stats(Object.values(latencies).flat()).median).toBeLessThan(2000);
});

test.describe('without the event stream', () => {
  test.use({
    mockSettings: { ...galata.DEFAULT_SETTINGS, 'jupyter-easymaker:plugin': { refreshInterval: 1 } },
    autoGoto: false
  });

  test('time until a status change appears when polling every second', async ({ page, request }) => {
    await page.route(/easymaker\/api\/v1\/events/, route => route.abort());
    await page.goto();
    const latencies = await measureStatusLatency(page, new Api(request), 3);
    figures.statusLatencyPollingMs = summarize(latencies);
    console.log('status change -> badge, polling at 1 s (ms):', JSON.stringify(figures.statusLatencyPollingMs));
    expect(stats(Object.values(latencies).flat()).median).toBeLessThan(3000);
  });
});

test.afterAll(() => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, 'figures.json'), JSON.stringify(figures, null, 2));
  console.log(`figures written to ${path.join(ARTIFACTS, 'figures.json')}`);
});
