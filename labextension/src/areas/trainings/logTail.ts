/**
 * Keeps a LogModel filled for one training: a follow stream (server-sent
 * events over fetch) that resumes after the last record it got; when the
 * stream cannot be opened, it polls `logs?after=` instead.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { ILogRecord } from '../../shared/api/types';
import type { LogModel } from '../../shared/state/logModel';
import type { TrainingsApi } from './api';

export type TailState = 'idle' | 'streaming' | 'polling' | 'ended';

export class LogTail implements IDisposable {
  constructor(
    private readonly api: TrainingsApi,
    private readonly trainingId: string,
    readonly model: LogModel,
    private readonly pollMs = 2000
  ) {}

  get state(): TailState {
    return this._state;
  }

  get stateChanged(): ISignal<this, TailState> {
    return this._stateChanged;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  start(): void {
    if (this._running || this._disposed) {
      return;
    }
    this._running = true;
    void this._loop();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._abort?.abort();
    if (this._flushTimer !== null) {
      clearTimeout(this._flushTimer);
    }
    Signal.clearData(this);
  }

  private async _loop(): Promise<void> {
    let failures = 0;
    while (!this._disposed) {
      this._abort = new AbortController();
      try {
        this._setState('streaming');
        const final = await this.api.followLogs(this.trainingId, this.model.lastId, r => this._queue(r), this._abort.signal);
        this._flush();
        if (final !== null) {
          this.model.setEnded(final);
          this._setState('ended');
          this._running = false;
          return;
        }
        failures = 0;
      } catch (error) {
        if (this._disposed) {
          return;
        }
        failures += 1;
        this._setState('polling');
        try {
          const page = await this.api.logs(this.trainingId, this.model.lastId);
          this.model.add(page.records);
        } catch {
          // the next round tries again
        }
      }
      await new Promise(resolve => setTimeout(resolve, failures ? this.pollMs : 250));
    }
  }

  /** Records arrive one by one; the view is updated in batches. */
  private _queue(record: ILogRecord): void {
    this._pending.push(record);
    if (this._flushTimer === null) {
      this._flushTimer = setTimeout(() => this._flush(), 50);
    }
  }

  private _flush(): void {
    if (this._flushTimer !== null) {
      clearTimeout(this._flushTimer);
      this._flushTimer = null;
    }
    if (this._pending.length) {
      const batch = this._pending;
      this._pending = [];
      this.model.add(batch);
    }
  }

  private _setState(state: TailState): void {
    if (this._state !== state) {
      this._state = state;
      this._stateChanged.emit(state);
    }
  }

  private _state: TailState = 'idle';
  private _running = false;
  private _disposed = false;
  private _abort: AbortController | null = null;
  private _pending: ILogRecord[] = [];
  private _flushTimer: ReturnType<typeof setTimeout> | null = null;
  private _stateChanged = new Signal<this, TailState>(this);
}
