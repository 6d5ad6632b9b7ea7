/**
 * Keeps a LogModel filled from a `?after=` log endpoint (a trial's, or all
 * trials' of a tuning): reads until caught up, then again on `poke()` (a
 * change event) or every `pollMs` while the source is still running; stops
 * once the source's status is final and everything has been read. While
 * paused (its tab hidden) it reads nothing and catches up when resumed.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { ILogRecord } from '../api/types';
import type { LogModel } from '../state/logModel';

export interface ILogPage {
  records: ILogRecord[];
  next_after: number;
  status?: string;
}

export class LogPoller implements IDisposable {
  constructor(
    private readonly read: (after: number) => Promise<ILogPage>,
    readonly model: LogModel,
    private readonly isFinal: (status: string) => boolean,
    private readonly transform: (record: ILogRecord) => ILogRecord = r => r,
    private readonly pollMs = 2000
  ) {}

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** 'following' while the source runs, 'ended' once it is final and read. */
  get state(): 'idle' | 'following' | 'ended' {
    return this._state;
  }

  get stateChanged(): ISignal<this, 'idle' | 'following' | 'ended'> {
    return this._stateChanged;
  }

  start(): void {
    if (!this._started && !this._disposed) {
      this._started = true;
      void this._round();
    }
  }

  /** Stop reading while the log cannot be seen; catch up at once when it can. */
  setPaused(paused: boolean): void {
    if (paused === this._paused) {
      return;
    }
    this._paused = paused;
    if (paused && this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    if (!paused && this._started && this._state !== 'ended') {
      this._schedule(0);
    }
  }

  /** Read now (new lines were announced). */
  poke(): void {
    if (this._started && !this._disposed && this._state !== 'ended') {
      this._schedule(100);
    }
  }

  dispose(): void {
    this._disposed = true;
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
  }

  private _schedule(ms: number): void {
    if (this._paused) {
      return;
    }
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      void this._round();
    }, ms);
  }

  private async _round(): Promise<void> {
    if (this._busy || this._disposed) {
      return;
    }
    this._busy = true;
    let status: string | undefined;
    try {
      for (let i = 0; i < 50; i++) {
        const page = await this.read(this._after);
        if (this._disposed) {
          return;
        }
        status = page.status;
        if (page.records.length) {
          this.model.add(page.records.map(this.transform));
        }
        this._after = Math.max(this._after, page.next_after);
        if (page.records.length < 1000) {
          break;
        }
      }
    } catch {
      // the next round tries again
    } finally {
      this._busy = false;
    }
    if (status !== undefined && this.isFinal(status)) {
      this._setState('ended');
      this.model.setEnded(status);
      return;
    }
    this._setState('following');
    this._schedule(this.pollMs);
  }

  private _setState(state: 'idle' | 'following' | 'ended'): void {
    if (state !== this._state) {
      this._state = state;
      this._stateChanged.emit(state);
    }
  }

  private _stateChanged = new Signal<this, 'idle' | 'following' | 'ended'>(this);
  private _after = 0;
  private _started = false;
  private _paused = false;
  private _busy = false;
  private _disposed = false;
  private _state: 'idle' | 'following' | 'ended' = 'idle';
  private _timer: ReturnType<typeof setTimeout> | null = null;
}
