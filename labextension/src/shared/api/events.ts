/**
 * Live changes: `GET events` (server-sent events read with fetch), with
 * polling ticks as the fallback while the stream is unavailable.
 *
 * Consumers listen to `changed` (one message per resource change) and to
 * `tick` (time to re-read, emitted every refresh interval while not live
 * and once after every (re)connection, so nothing missed in between stays
 * missing).
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ApiError } from './client';
import type { IServerSentEvent } from './sse';
import type { IChangeEvent } from './types';

export type FeedMode = 'connecting' | 'live' | 'polling' | 'stopped';

/** Opens the event stream; resolves when it ends, rejects on failure. */
export type StreamConnector = (
  onEvent: (event: IServerSentEvent) => void,
  signal: AbortSignal,
  onOpen: () => void
) => Promise<void>;

export interface IChangeFeedOptions {
  connect: StreamConnector;
  /** Polling interval in ms (read each time, so a settings change applies at once). */
  interval: () => number;
  /** Delays between reconnection attempts in ms (the last one repeats). */
  retryDelays?: number[];
}

export class ChangeFeed implements IDisposable {
  constructor(options: IChangeFeedOptions) {
    this._connect = options.connect;
    this._interval = options.interval;
    this._retryDelays = options.retryDelays ?? [1000, 2000, 5000, 10000, 30000];
  }

  get changed(): ISignal<this, IChangeEvent> {
    return this._changed;
  }

  get tick(): ISignal<this, void> {
    return this._tick;
  }

  get modeChanged(): ISignal<this, FeedMode> {
    return this._modeChanged;
  }

  get mode(): FeedMode {
    return this._mode;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Number of change messages received (for diagnostics and tests). */
  get received(): number {
    return this._received;
  }

  /** Ask every consumer to re-read now (the Refresh command). */
  poke(): void {
    this._tick.emit();
  }

  start(): void {
    if (this._started || this._disposed) {
      return;
    }
    this._started = true;
    void this._run();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._abort?.abort();
    this._stopPolling();
    this._setMode('stopped');
    Signal.clearData(this);
  }

  private async _run(): Promise<void> {
    let failures = 0;
    while (!this._disposed) {
      this._abort = new AbortController();
      let opened = false;
      try {
        this._setMode(failures === 0 ? 'connecting' : this._mode);
        const open = () => {
          if (!opened) {
            opened = true;
            failures = 0;
            this._goLive();
          }
        };
        await this._connect(
          event => {
            open();
            this._onEvent(event);
          },
          this._abort.signal,
          open
        );
      } catch (error) {
        if (this._disposed) {
          return;
        }
        if (error instanceof ApiError && (error.status === 404 || error.status === 501)) {
          // No event stream on this server: poll, and look again now and then.
          failures = Math.max(failures, this._retryDelays.length - 1);
        }
      }
      if (this._disposed) {
        return;
      }
      failures += 1;
      this._startPolling();
      const delays = this._retryDelays;
      await this._sleep(delays[Math.min(failures - 1, delays.length - 1)]);
    }
  }

  private _goLive(): void {
    this._stopPolling();
    this._setMode('live');
    // re-read once: changes made while the stream was down were not sent
    this._tick.emit();
  }

  private _onEvent(event: IServerSentEvent): void {
    if (event.event !== 'change' && event.event !== 'message') {
      return;
    }
    let data: IChangeEvent;
    try {
      data = JSON.parse(event.data) as IChangeEvent;
    } catch {
      return;
    }
    if (!data || typeof data.kind !== 'string') {
      return;
    }
    this._received += 1;
    this._changed.emit(data);
  }

  private _startPolling(): void {
    this._setMode('polling');
    if (this._pollTimer !== null) {
      return;
    }
    const schedule = () => {
      this._pollTimer = setTimeout(() => {
        if (this._disposed || this._mode === 'live') {
          this._pollTimer = null;
          return;
        }
        this._tick.emit();
        schedule();
      }, Math.max(250, this._interval()));
    };
    schedule();
  }

  private _stopPolling(): void {
    if (this._pollTimer !== null) {
      clearTimeout(this._pollTimer);
      this._pollTimer = null;
    }
  }

  private _sleep(ms: number): Promise<void> {
    return new Promise(resolve => {
      const timer = setTimeout(resolve, ms);
      this._abort?.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private _setMode(mode: FeedMode): void {
    if (this._mode !== mode) {
      this._mode = mode;
      this._modeChanged.emit(mode);
    }
  }

  private _connect: StreamConnector;
  private _interval: () => number;
  private _retryDelays: number[];
  private _abort: AbortController | null = null;
  private _pollTimer: ReturnType<typeof setTimeout> | null = null;
  private _mode: FeedMode = 'connecting';
  private _started = false;
  private _disposed = false;
  private _received = 0;
  private _changed = new Signal<this, IChangeEvent>(this);
  private _tick = new Signal<this, void>(this);
  private _modeChanged = new Signal<this, FeedMode>(this);
}
