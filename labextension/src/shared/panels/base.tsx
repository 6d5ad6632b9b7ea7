/** What the panels share: a ReactWidget that knows whether it is seen. */
import { Notification, ReactWidget } from '@jupyterlab/apputils';
import type { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { ApiError } from '../api/client';
import type { EasyMakerContext } from '../context';
import type { ITrans } from '../i18n';
import { TransContext } from '../i18n/react';

/**
 * A React panel that tracks whether the user can see it (its tab is the
 * current one and the browser tab is in front), so that re-reads can slow
 * down while it is hidden.
 */
export abstract class EasyMakerPanel extends ReactWidget {
  constructor(readonly ctx: EasyMakerContext) {
    super();
    this.addClass('jp-EasyMaker-panel');
    document.addEventListener('visibilitychange', this._onDocumentVisibility);
  }

  get trans(): ITrans {
    return this.ctx.trans;
  }

  /** Fires with the new visibility. */
  get visibilityChanged(): ISignal<this, boolean> {
    return this._visibilityChanged;
  }

  get seen(): boolean {
    return this.isVisible && document.visibilityState !== 'hidden';
  }

  protected abstract renderPanel(): JSX.Element;

  render(): JSX.Element {
    return <TransContext.Provider value={this.ctx.trans}>{this.renderPanel()}</TransContext.Provider>;
  }

  dispose(): void {
    document.removeEventListener('visibilitychange', this._onDocumentVisibility);
    super.dispose();
  }

  /** A closed tab is gone for good (opening the area again builds a fresh one). */
  protected onCloseRequest(msg: Message): void {
    super.onCloseRequest(msg);
    this.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._emitVisibility();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._emitVisibility();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._emitVisibility();
  }

  private _onDocumentVisibility = () => this._emitVisibility();

  private _emitVisibility(): void {
    const seen = this.seen;
    if (seen !== this._lastSeen) {
      this._lastSeen = seen;
      this._visibilityChanged.emit(seen);
    }
  }

  private _lastSeen: boolean | null = null;
  private _visibilityChanged = new Signal<this, boolean>(this);
}

/** Tell the user an action failed, with the server's own message. */
export function notifyError(trans: ITrans, what: string, error: unknown): void {
  const detail = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  Notification.error(`${what}: ${detail}`, { autoClose: 8000 });
}

/** Run an action on each row; one notification sums up the failures. */
export async function runOnEach<T extends { name: string }>(
  rows: T[],
  action: (row: T) => Promise<unknown>,
  trans: ITrans,
  what: string
): Promise<number> {
  const results = await Promise.allSettled(rows.map(r => action(r)));
  const failed = results
    .map((r, i) => (r.status === 'rejected' ? `${rows[i].name}: ${(r.reason as Error)?.message ?? r.reason}` : null))
    .filter((x): x is string => x !== null);
  if (failed.length) {
    Notification.error(`${what}: ${failed.join('; ')}`, { autoClose: 10000 });
  }
  return rows.length - failed.length;
}

/** A key/value table of details. */
export function DetailTable(props: { rows: [string, React.ReactNode][] }): JSX.Element {
  return (
    <table className="jp-EasyMaker-details">
      <tbody>
        {props.rows.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td>{v === '' || v === null || v === undefined ? '-' : v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
