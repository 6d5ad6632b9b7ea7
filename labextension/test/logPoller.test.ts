import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ILogPage, LogPoller } from '../src/shared/panels/logPoller';
import { LogModel } from '../src/shared/state/logModel';

const record = (id: number) => ({ id, time: '2026-01-01T00:00:00Z', body: `line ${id}` });

describe('LogPoller', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('reads after the last record until the source is final, then stops', async () => {
    const pages: ILogPage[] = [
      { records: [record(1), record(2)], next_after: 2, status: 'RUNNING' },
      { records: [record(3)], next_after: 3, status: 'COMPLETE' }
    ];
    const asked: number[] = [];
    const read = vi.fn(async (after: number) => (asked.push(after), pages.shift() ?? { records: [], next_after: after, status: 'COMPLETE' }));
    const model = new LogModel();
    const poller = new LogPoller(read, model, s => s === 'COMPLETE', r => r, 2000);
    const states: string[] = [];
    poller.stateChanged.connect((_, s) => states.push(s));
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(model.size).toBe(2);
    expect(poller.state).toBe('following');
    await vi.advanceTimersByTimeAsync(2000);
    expect(model.size).toBe(3);
    expect(poller.state).toBe('ended');
    expect(asked).toEqual([0, 2]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(read).toHaveBeenCalledTimes(2);
    expect(states).toEqual(['following', 'ended']);
    poller.dispose();
  });

  it('reads nothing while paused and catches up when resumed', async () => {
    let n = 0;
    const read = vi.fn(async () => ({ records: [record(++n)], next_after: n, status: 'RUNNING' }));
    const model = new LogModel();
    const poller = new LogPoller(read, model, () => false, r => r, 1000);
    poller.start();
    await vi.advanceTimersByTimeAsync(0);
    poller.setPaused(true);
    await vi.advanceTimersByTimeAsync(1000);
    const whilePaused = read.mock.calls.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(read.mock.calls.length).toBe(whilePaused);
    poller.setPaused(false);
    await vi.advanceTimersByTimeAsync(0);
    expect(read.mock.calls.length).toBe(whilePaused + 1);
    poller.dispose();
  });
});
