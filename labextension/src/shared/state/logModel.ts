/**
 * The log tail of one training: records in arrival order (deduplicated by
 * id, capped), a search filter, and follow/pause. While paused, new records
 * are kept but the view does not move; `pending` counts them.
 */
import { ISignal, Signal } from '@lumino/signaling';

import type { ILogRecord } from '../api/types';

export class LogModel {
  constructor(readonly maxRecords = 50000) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get version(): number {
    return this._version;
  }

  /** Id of the last record received (`after` of the next request). */
  get lastId(): number {
    return this._lastId;
  }

  get following(): boolean {
    return this._following;
  }

  /** Records that arrived while paused. */
  get pending(): number {
    return this._pending;
  }

  get search(): string {
    return this._search;
  }

  get size(): number {
    return this._records.length;
  }

  /** Final status once the stream said `end`. */
  get ended(): string | null {
    return this._ended;
  }

  add(records: ILogRecord[]): void {
    let added = 0;
    for (const record of records) {
      if (record.id <= this._lastId) {
        continue;
      }
      this._records.push(record);
      this._lastId = record.id;
      added += 1;
    }
    if (!added) {
      return;
    }
    if (this._records.length > this.maxRecords) {
      this._records.splice(0, this._records.length - this.maxRecords);
    }
    if (!this._following) {
      this._pending += added;
    }
    this._filtered = null;
    this._emit();
  }

  setEnded(status: string): void {
    this._ended = status;
    this._emit();
  }

  setFollowing(following: boolean): void {
    this._following = following;
    if (following) {
      this._pending = 0;
    }
    this._emit();
  }

  setSearch(search: string): void {
    this._search = search;
    this._filtered = null;
    this._emit();
  }

  /** Records to show: those matching the search (case-insensitive). */
  visible(): readonly ILogRecord[] {
    if (this._filtered) {
      return this._filtered;
    }
    const needle = this._search.trim().toLowerCase();
    this._filtered = needle
      ? this._records.filter(
          r => r.body.toLowerCase().includes(needle) || (r.logLevel ?? '').toLowerCase() === needle
        )
      : this._records;
    return this._filtered;
  }

  /** The whole tail as text (used when the server download is unavailable). */
  text(): string {
    return this._records.map(r => r.body + '\n').join('');
  }

  clear(): void {
    this._records = [];
    this._filtered = null;
    this._lastId = 0;
    this._pending = 0;
    this._ended = null;
    this._emit();
  }

  private _emit(): void {
    this._version += 1;
    this._changed.emit();
  }

  private _records: ILogRecord[] = [];
  private _filtered: readonly ILogRecord[] | null = null;
  private _lastId = 0;
  private _following = true;
  private _pending = 0;
  private _search = '';
  private _ended: string | null = null;
  private _version = 0;
  private _changed = new Signal<this, void>(this);
}
