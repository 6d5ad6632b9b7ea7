import { describe, expect, it } from 'vitest';

import type { ILogRecord } from '../src/shared/api/types';
import { LogModel } from '../src/shared/state/logModel';

const rec = (id: number, body: string, logLevel = 'INFO'): ILogRecord => ({ id, body, time: '2025-01-01T00:00:00', logLevel });

describe('LogModel', () => {
  it('keeps records in order, once each', () => {
    const m = new LogModel();
    m.add([rec(1, 'a'), rec(2, 'b')]);
    m.add([rec(2, 'b'), rec(3, 'c')]);
    expect(m.visible().map(r => r.body)).toEqual(['a', 'b', 'c']);
    expect(m.lastId).toBe(3);
  });

  it('counts lines that arrive while paused', () => {
    const m = new LogModel();
    m.setFollowing(false);
    m.add([rec(1, 'a'), rec(2, 'b')]);
    expect(m.pending).toBe(2);
    m.setFollowing(true);
    expect(m.pending).toBe(0);
  });

  it('searches case-insensitively and by level', () => {
    const m = new LogModel();
    m.add([rec(1, 'Epoch 1 loss=0.5'), rec(2, 'Traceback', 'ERROR'), rec(3, 'epoch 2 loss=0.3')]);
    m.setSearch('EPOCH');
    expect(m.visible().map(r => r.id)).toEqual([1, 3]);
    m.setSearch('error');
    expect(m.visible().map(r => r.id)).toEqual([2]);
    m.setSearch('');
    expect(m.visible()).toHaveLength(3);
    expect(m.text()).toBe('Epoch 1 loss=0.5\nTraceback\nepoch 2 loss=0.3\n');
  });

  it('caps the number of records', () => {
    const m = new LogModel(3);
    m.add([1, 2, 3, 4, 5].map(i => rec(i, String(i))));
    expect(m.visible().map(r => r.id)).toEqual([3, 4, 5]);
  });
});
