/**
 * The state of one resource table: a sparse cache of server pages (only
 * the rows near the viewport are fetched, so 10,000 rows cost what a screen
 * costs), the query (sort, status filter, search), the selection, and live
 * updates (change events patch rows at once; a debounced re-read follows).
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { IChangeEvent, IListParams, IPage, IResource } from '../api/types';

export interface IListQuery {
  /** `-created_at`, `name`, `status`, `updated_at` (`-` = descending). */
  sort: string;
  /** Status words to keep (empty: all). */
  status: string[];
  /** Substring of the name or description. */
  search: string;
  /** Trainings of one experiment only. */
  experimentId?: string;
}

export type PageFetcher<T> = (params: IListParams) => Promise<IPage<T>>;

export interface IListModelOptions<T> {
  fetch: PageFetcher<T>;
  /** `kind` of the change events that concern this list. */
  kind: string;
  pageSize?: number;
  /** Delay of the re-read after change events (ms). */
  debounce?: number;
  /** While hidden, polling ticks re-read only every this many ticks. */
  hiddenTickDivisor?: number;
  query?: Partial<IListQuery>;
}

export const DEFAULT_QUERY: IListQuery = { sort: '-created_at', status: [], search: '' };

export class ResourceListModel<T extends IResource> implements IDisposable {
  constructor(options: IListModelOptions<T>) {
    this._fetch = options.fetch;
    this.kind = options.kind;
    this.pageSize = options.pageSize ?? 100;
    this._debounce = options.debounce ?? 100;
    this._hiddenDivisor = options.hiddenTickDivisor ?? 6;
    this._query = { ...DEFAULT_QUERY, ...(options.query ?? {}) };
  }

  readonly kind: string;
  readonly pageSize: number;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Grows on every change: React components key their renders on it. */
  get version(): number {
    return this._version;
  }

  /** Rows matching the query on the server; null before the first answer. */
  get total(): number | null {
    return this._total;
  }

  get loading(): boolean {
    return this._inflight > 0;
  }

  get error(): string | null {
    return this._error;
  }

  get query(): IListQuery {
    return this._query;
  }

  get isVisible(): boolean {
    return this._visible;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Time (performance.now) of the last applied page, for measurements. */
  get lastLoadedAt(): number {
    return this._lastLoadedAt;
  }

  setQuery(query: Partial<IListQuery>): void {
    this._query = { ...this._query, ...query };
    this._generation += 1;
    this._pages = new Map();
    this._pending.clear();
    this._total = null;
    this._selection.clear();
    this._emit();
    void this.refresh();
  }

  /** The row at a position of the sorted, filtered list (undefined: not loaded yet). */
  rowAt(index: number): T | undefined {
    const page = this._pages.get(Math.floor(index / this.pageSize));
    return page?.[index % this.pageSize];
  }

  getById(id: string): T | undefined {
    for (const page of this._pages.values()) {
      const row = page.find(r => r.id === id);
      if (row) {
        return row;
      }
    }
    return this._selectedRows.get(id);
  }

  /** Rows the viewport shows; missing pages around them are fetched. */
  setVisibleRange(start: number, end: number): void {
    this._range = [Math.max(0, start), Math.max(start, end)];
    for (const page of this._pagesOf(this._range)) {
      if (!this._pages.has(page) && !this._pending.has(page)) {
        void this._load(page, this._generation);
      }
    }
  }

  /** Re-read the total and the pages in view (swapped in at once: no flicker). */
  async refresh(): Promise<void> {
    if (this._disposed) {
      return;
    }
    this._dirty = false;
    const generation = this._generation;
    const asked = ++this._refreshesAsked;
    const pages = this._pagesOf(this._range);
    this._inflight += 1;
    this._emit();
    try {
      const answers = await Promise.all(pages.map(p => this._fetchPage(p)));
      // answers can arrive out of order: one asked before a newer, already shown one is older than it
      if (generation !== this._generation || this._disposed || asked < this._refreshShown) {
        return;
      }
      this._refreshShown = asked;
      const next = new Map<number, T[]>();
      answers.forEach((answer, i) => next.set(pages[i], this._withNewerEvents(answer.items, asked)));
      this._pages = next;
      this._total = answers[0]?.total ?? 0;
      this._error = null;
      this._lastLoadedAt = now();
    } catch (error) {
      if (generation === this._generation) {
        this._error = errorText(error);
      }
    } finally {
      this._inflight -= 1;
      this._emit();
    }
  }

  /** Re-read soon (several events in a burst cause one re-read). */
  scheduleRefresh(): void {
    if (!this._visible) {
      this._dirty = true;
      return;
    }
    if (this._timer !== null) {
      return;
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      void this.refresh();
    }, this._debounce);
  }

  /** Apply a change event; answers whether it concerned this list. */
  applyChange(event: IChangeEvent): boolean {
    if (event.kind !== this.kind || event.change === 'logs') {
      return false;
    }
    if (event.change === 'status' || event.change === 'updated') {
      const patch: Partial<IResource> = {};
      if (event.status) {
        patch.status = event.status;
      }
      if (event.name) {
        patch.name = event.name;
      }
      if (this._patch(event.id, patch)) {
        this._emit();
      }
      // a re-read asked before this event may answer the row as it was before it
      this._eventPatches.set(event.id, { fields: { ...this._eventPatches.get(event.id)?.fields, ...patch }, after: this._refreshesAsked });
    } else if (event.change === 'deleted') {
      if (this._selection.delete(event.id)) {
        this._selectedRows.delete(event.id);
        this._emit();
      }
    }
    this.scheduleRefresh();
    return true;
  }

  /** Polling fallback: re-read, less often while the panel is hidden. */
  onTick(): void {
    this._ticks += 1;
    if (this._visible) {
      void this.refresh();
    } else if (this._ticks % this._hiddenDivisor === 0) {
      this._dirty = true;
    }
  }

  setVisible(visible: boolean): void {
    this._visible = visible;
    if (visible && (this._dirty || this._total === null)) {
      void this.refresh();
    }
  }

  // -- selection -------------------------------------------------------------
  get selection(): ReadonlySet<string> {
    return this._selection;
  }

  /** The selected rows (kept even when their page is out of the cache). */
  selectedRows(): T[] {
    return [...this._selection].map(id => this.getById(id)).filter((r): r is T => !!r);
  }

  isSelected(id: string): boolean {
    return this._selection.has(id);
  }

  toggle(id: string): void {
    if (this._selection.has(id)) {
      this._selection.delete(id);
      this._selectedRows.delete(id);
    } else {
      this._remember(id);
    }
    this._emit();
  }

  selectOnly(id: string): void {
    this._selection.clear();
    this._selectedRows.clear();
    this._remember(id);
    this._emit();
  }

  /** Select the loaded rows from one position to another (shift-click). */
  selectRange(from: number, to: number, additive = false): void {
    if (!additive) {
      this._selection.clear();
      this._selectedRows.clear();
    }
    const [a, b] = from <= to ? [from, to] : [to, from];
    for (let i = a; i <= b; i++) {
      const row = this.rowAt(i);
      if (row) {
        this._selection.add(row.id);
        this._selectedRows.set(row.id, row);
      }
    }
    this._emit();
  }

  /** Every loaded row is selected (and there is at least one). */
  allLoadedSelected(): boolean {
    if (this._selection.size === 0) {
      return false;
    }
    const rows = [...this._pages.values()].flat();
    return rows.length > 0 && rows.every(r => this._selection.has(r.id));
  }

  /** Select every loaded row (or clear when all of them are selected). */
  toggleAllLoaded(): void {
    const rows = [...this._pages.values()].flat();
    const all = this.allLoadedSelected();
    this._selection.clear();
    this._selectedRows.clear();
    if (!all) {
      for (const row of rows) {
        this._selection.add(row.id);
        this._selectedRows.set(row.id, row);
      }
    }
    this._emit();
  }

  clearSelection(): void {
    if (this._selection.size) {
      this._selection.clear();
      this._selectedRows.clear();
      this._emit();
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
    Signal.clearData(this);
  }

  // -- private ---------------------------------------------------------------
  private _remember(id: string): void {
    this._selection.add(id);
    const row = this.getById(id);
    if (row) {
      this._selectedRows.set(id, row);
    }
  }

  /** A re-read's rows with what events told since it was asked; older events are in its rows already. */
  private _withNewerEvents(rows: T[], asked: number): T[] {
    for (const [id, patch] of this._eventPatches) {
      if (patch.after < asked) {
        this._eventPatches.delete(id); // this re-read was asked after the event: its rows are as new
      }
    }
    if (!this._eventPatches.size) {
      return rows;
    }
    return rows.map(r => {
      const patch = this._eventPatches.get(r.id);
      return patch ? { ...r, ...patch.fields } : r;
    });
  }

  private _patch(id: string, patch: Partial<IResource>): boolean {
    let found = false;
    for (const [key, page] of this._pages) {
      const i = page.findIndex(r => r.id === id);
      if (i >= 0) {
        const copy = page.slice();
        copy[i] = { ...copy[i], ...patch };
        this._pages.set(key, copy);
        found = true;
      }
    }
    const selected = this._selectedRows.get(id);
    if (selected) {
      this._selectedRows.set(id, { ...selected, ...patch });
    }
    return found;
  }

  private _pagesOf([start, end]: [number, number]): number[] {
    const first = Math.floor(start / this.pageSize);
    const last = Math.max(first, Math.floor(Math.max(start, end - 1) / this.pageSize));
    const out: number[] = [];
    for (let p = first; p <= last; p++) {
      if (this._total === null || p === 0 || p * this.pageSize < this._total) {
        out.push(p);
      }
    }
    return out;
  }

  private _fetchPage(page: number): Promise<IPage<T>> {
    const q = this._query;
    return this._fetch({
      offset: page * this.pageSize,
      limit: this.pageSize,
      sort: q.sort,
      status: q.status,
      name: q.search || undefined,
      experiment_id: q.experimentId
    });
  }

  private async _load(page: number, generation: number): Promise<void> {
    this._pending.add(page);
    this._inflight += 1;
    try {
      const answer = await this._fetchPage(page);
      if (generation !== this._generation || this._disposed) {
        return;
      }
      this._pages.set(page, answer.items);
      this._total = answer.total;
      this._error = null;
      this._lastLoadedAt = now();
    } catch (error) {
      if (generation === this._generation) {
        this._error = errorText(error);
      }
    } finally {
      this._pending.delete(page);
      this._inflight -= 1;
      this._emit();
    }
  }

  private _emit(): void {
    if (!this._disposed) {
      this._version += 1;
      this._changed.emit();
    }
  }

  private _fetch: PageFetcher<T>;
  private _debounce: number;
  private _hiddenDivisor: number;
  private _query: IListQuery;
  private _pages = new Map<number, T[]>();
  private _pending = new Set<number>();
  private _range: [number, number] = [0, 50];
  private _total: number | null = null;
  private _error: string | null = null;
  private _inflight = 0;
  private _generation = 0;
  private _refreshesAsked = 0;
  private _refreshShown = 0;
  /** Fields events set, and how many re-reads had been asked when each came. */
  private _eventPatches = new Map<string, { fields: Partial<IResource>; after: number }>();
  private _version = 0;
  private _visible = true;
  private _dirty = false;
  private _ticks = 0;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _lastLoadedAt = 0;
  private _selection = new Set<string>();
  private _selectedRows = new Map<string, T>();
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

export function errorText(error: unknown): string {
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}
