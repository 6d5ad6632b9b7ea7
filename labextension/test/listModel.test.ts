import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { IListParams, IPage, IResource } from '../src/shared/api/types';
import { ResourceListModel } from '../src/shared/state/listModel';

type Row = IResource;

/** A fake server of N rows, filtered and sorted like the API. */
function server(n: number) {
  let rows: Row[] = Array.from({ length: n }, (_, i) => ({
    id: `id-${i}`,
    name: `training-${String(i).padStart(5, '0')}`,
    description: '',
    status: i % 2 ? 'COMPLETE' : 'RUNNING',
    status_reason: '',
    created_at: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(),
    updated_at: ''
  }));
  const calls: IListParams[] = [];
  const fetch = async (p: IListParams): Promise<IPage<Row>> => {
    calls.push(p);
    let out = rows.filter(r => (!p.status?.length || p.status.includes(r.status)) && (!p.name || r.name.includes(p.name)));
    const key = (p.sort ?? '-created_at').replace('-', '') as keyof Row;
    out = [...out].sort((a, b) => String(a[key]).localeCompare(String(b[key])));
    if ((p.sort ?? '-created_at').startsWith('-')) out.reverse();
    return { items: out.slice(p.offset ?? 0, (p.offset ?? 0) + (p.limit ?? 50)), total: out.length, offset: p.offset ?? 0, limit: p.limit ?? 50 };
  };
  return {
    fetch,
    calls,
    set rows(value: Row[]) {
      rows = value;
    },
    get rows() {
      return rows;
    }
  };
}

describe('ResourceListModel', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('loads only the pages in view of 10,000 rows', async () => {
    const s = server(10_000);
    const model = new ResourceListModel<Row>({ fetch: s.fetch, kind: 'training', pageSize: 100 });
    await model.refresh();
    expect(model.total).toBe(10_000);
    expect(s.calls).toHaveLength(1);
    expect(model.rowAt(0)?.name).toBe('training-09999');
    expect(model.rowAt(5000)).toBeUndefined();
    model.setVisibleRange(5000, 5040);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.calls.map(c => c.offset)).toEqual([0, 5000]);
    expect(model.rowAt(5000)?.name).toBe('training-04999');
    // a range across two pages fetches both
    model.setVisibleRange(7190, 7230);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.calls.map(c => c.offset)).toEqual([0, 5000, 7100, 7200]);
  });

  it('patches a row at once on a status event and re-reads after a debounce', async () => {
    const s = server(10);
    const model = new ResourceListModel<Row>({ fetch: s.fetch, kind: 'training', debounce: 200 });
    await model.refresh();
    const before = s.calls.length;
    const row = model.rowAt(0)!;
    expect(model.applyChange({ seq: 1, kind: 'training', id: row.id, change: 'status', status: 'COMPLETE' })).toBe(true);
    expect(model.rowAt(0)?.status).toBe('COMPLETE');
    expect(model.applyChange({ seq: 2, kind: 'experiment', id: row.id, change: 'status', status: 'ACTIVE' })).toBe(false);
    // a burst of events makes one re-read
    model.applyChange({ seq: 3, kind: 'training', id: 'new', change: 'created' });
    model.applyChange({ seq: 4, kind: 'training', id: 'new2', change: 'created' });
    await vi.advanceTimersByTimeAsync(250);
    expect(s.calls.length).toBe(before + 1);
  });

  it('an older refresh answered after a newer one does not replace it', async () => {
    const s = server(1);
    const answers: Array<(page: IPage<Row>) => void> = [];
    const fetch = (_p: IListParams) => new Promise<IPage<Row>>(resolve => answers.push(resolve));
    const model = new ResourceListModel<Row>({ fetch, kind: 'training' });
    const page = (status: string): IPage<Row> => ({ items: [{ ...s.rows[0], status }], total: 1, offset: 0, limit: 50 });
    const first = model.refresh(); // read before the job stopped
    const second = model.refresh(); // read after
    answers[1](page('STOPPED'));
    await second;
    answers[0](page('STOP IN PROGRESS'));
    await first;
    expect(model.rowAt(0)?.status).toBe('STOPPED');
    expect(model.loading).toBe(false);
  });

  it('a status event outlives a re-read asked before it, not one asked after it', async () => {
    const s = server(1);
    const answers: Array<(page: IPage<Row>) => void> = [];
    const fetch = (_p: IListParams) => new Promise<IPage<Row>>(resolve => answers.push(resolve));
    const model = new ResourceListModel<Row>({ fetch, kind: 'training', debounce: 1_000_000 });
    const page = (status: string): IPage<Row> => ({ items: [{ ...s.rows[0], status }], total: 1, offset: 0, limit: 50 });
    const first = model.refresh();
    answers[0](page('RUNNING'));
    await first;
    const before = model.refresh(); // asked while the stop is being committed
    model.applyChange({ seq: 1, kind: 'training', id: s.rows[0].id, change: 'status', status: 'STOPPED' });
    expect(model.rowAt(0)?.status).toBe('STOPPED');
    answers[1](page('STOP IN PROGRESS'));
    await before;
    expect(model.rowAt(0)?.status).toBe('STOPPED');
    const after = model.refresh(); // asked after the event: what the server says now stands
    answers[2](page('FAILED'));
    await after;
    expect(model.rowAt(0)?.status).toBe('FAILED');
  });

  it('shows new rows after a created event', async () => {
    const s = server(3);
    const model = new ResourceListModel<Row>({ fetch: s.fetch, kind: 'training', debounce: 10 });
    await model.refresh();
    s.rows = [...s.rows, { ...s.rows[0], id: 'fresh', name: 'zzz', created_at: '2030-01-01T00:00:00Z' }];
    model.applyChange({ seq: 1, kind: 'training', id: 'fresh', change: 'created' });
    await vi.advanceTimersByTimeAsync(20);
    expect(model.total).toBe(4);
    expect(model.rowAt(0)?.id).toBe('fresh');
  });

  it('re-reads while visible on polling ticks, less often while hidden', async () => {
    const s = server(5);
    const model = new ResourceListModel<Row>({ fetch: s.fetch, kind: 'training', hiddenTickDivisor: 3 });
    await model.refresh();
    s.calls.length = 0;
    model.onTick();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.calls).toHaveLength(1);
    model.setVisible(false);
    for (let i = 0; i < 6; i++) model.onTick();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.calls).toHaveLength(1); // hidden: nothing fetched, only marked stale
    model.applyChange({ seq: 1, kind: 'training', id: 'x', change: 'created' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.calls).toHaveLength(1);
    model.setVisible(true); // catches up once when shown
    await vi.advanceTimersByTimeAsync(0);
    expect(s.calls).toHaveLength(2);
  });

  it('filters, searches and sorts on the server and resets the cache', async () => {
    const s = server(50);
    const model = new ResourceListModel<Row>({ fetch: s.fetch, kind: 'training' });
    await model.refresh();
    model.setQuery({ status: ['COMPLETE'], search: '0004', sort: 'name' });
    expect(model.total).toBeNull();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.calls.at(-1)).toMatchObject({ status: ['COMPLETE'], name: '0004', sort: 'name', offset: 0 });
    expect(model.total).toBe(5);
    expect(model.rowAt(0)?.name).toBe('training-00041');
  });

  it('selects with click, toggle and range, and keeps selected rows', async () => {
    const s = server(20);
    const model = new ResourceListModel<Row>({ fetch: s.fetch, kind: 'training' });
    await model.refresh();
    model.selectOnly(model.rowAt(2)!.id);
    model.toggle(model.rowAt(5)!.id);
    expect(model.selection.size).toBe(2);
    model.selectRange(3, 6);
    expect([...model.selection]).toEqual(['id-16', 'id-15', 'id-14', 'id-13']);
    model.selectRange(0, 0, true);
    expect(model.selection.size).toBe(5);
    expect(model.selectedRows().map(r => r.id)).toContain('id-19');
    model.applyChange({ seq: 1, kind: 'training', id: 'id-19', change: 'deleted' });
    expect(model.isSelected('id-19')).toBe(false);
    model.toggleAllLoaded();
    expect(model.allLoadedSelected()).toBe(true);
    model.toggleAllLoaded();
    expect(model.selection.size).toBe(0);
  });

  it('keeps the last error and ignores answers of an old query', async () => {
    let fail = true;
    const model = new ResourceListModel<Row>({
      fetch: async () => {
        if (fail) throw new Error('boom');
        return { items: [], total: 0, offset: 0, limit: 100 };
      },
      kind: 'training'
    });
    await model.refresh();
    expect(model.error).toBe('boom');
    fail = false;
    await model.refresh();
    expect(model.error).toBeNull();
    expect(model.total).toBe(0);
  });
});
