import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ApiError } from '../src/shared/api/client';
import { ChangeFeed, StreamConnector } from '../src/shared/api/events';
import type { IChangeEvent } from '../src/shared/api/types';

/** A connector the test drives: open, send, end or fail the stream. */
function controllableStream() {
  let send: ((data: string) => void) | null = null;
  let finish: (() => void) | null = null;
  let fail: ((e: unknown) => void) | null = null;
  let opens = 0;
  const connect: StreamConnector = (onEvent, signal, onOpen) =>
    new Promise<void>((resolve, reject) => {
      opens += 1;
      send = data => onEvent({ event: 'change', data });
      finish = resolve;
      fail = reject;
      signal.addEventListener('abort', () => resolve());
      onOpen();
    });
  return {
    connect,
    send: (e: Partial<IChangeEvent>) => send!(JSON.stringify(e)),
    end: () => finish!(),
    fail: (e: unknown) => fail!(e),
    get opens() {
      return opens;
    }
  };
}

describe('ChangeFeed', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('goes live, forwards changes and re-reads once on connect', async () => {
    const stream = controllableStream();
    const feed = new ChangeFeed({ connect: stream.connect, interval: () => 1000 });
    const changes: IChangeEvent[] = [];
    let ticks = 0;
    feed.changed.connect((_, e) => changes.push(e));
    feed.tick.connect(() => ticks++);
    feed.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(feed.mode).toBe('live');
    expect(ticks).toBe(1);
    stream.send({ seq: 1, kind: 'training', id: 't1', change: 'status', status: 'RUNNING' });
    expect(changes).toEqual([{ seq: 1, kind: 'training', id: 't1', change: 'status', status: 'RUNNING' }]);
    // no polling while live
    await vi.advanceTimersByTimeAsync(10_000);
    expect(ticks).toBe(1);
    feed.dispose();
  });

  it('polls at the interval while the stream is down and reconnects', async () => {
    const stream = controllableStream();
    const feed = new ChangeFeed({ connect: stream.connect, interval: () => 1000, retryDelays: [5000] });
    let ticks = 0;
    feed.tick.connect(() => ticks++);
    feed.start();
    await vi.advanceTimersByTimeAsync(0);
    stream.fail(new TypeError('network'));
    await vi.advanceTimersByTimeAsync(0);
    expect(feed.mode).toBe('polling');
    ticks = 0;
    await vi.advanceTimersByTimeAsync(3_500);
    expect(ticks).toBe(3);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(stream.opens).toBe(2);
    expect(feed.mode).toBe('live');
    feed.dispose();
  });

  it('falls back to polling when the server has no event stream (404)', async () => {
    let opens = 0;
    const feed = new ChangeFeed({
      connect: async () => {
        opens += 1;
        throw new ApiError(404, 'Not Found');
      },
      interval: () => 2000,
      retryDelays: [1000, 60_000]
    });
    let ticks = 0;
    feed.tick.connect(() => ticks++);
    feed.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(feed.mode).toBe('polling');
    expect(ticks).toBe(5);
    expect(opens).toBe(1); // waits the longest delay before looking again
    feed.dispose();
    expect(feed.mode).toBe('stopped');
  });
});
