/**
 * The model files the panel shows, and its selection; re-read (debounced)
 * on change events of model files and of LLM studio models (a base model
 * loaded or unloaded changes what can chat), less often while hidden.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { IChangeEvent } from '../../shared/api/types';
import type { EasyMakerContext } from '../../shared/context';
import { errorText } from '../../shared/state/listModel';
import { IModelFile, modelFilesApi } from './api';

export class ModelFilesStore implements IDisposable {
  constructor(private readonly ctx: EasyMakerContext) {
    ctx.feed.changed.connect(this._onChange, this);
    ctx.feed.tick.connect(this._onTick, this);
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get rows(): readonly IModelFile[] {
    return this._rows;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  get error(): string | null {
    return this._error;
  }

  get includeHidden(): boolean {
    return this._includeHidden;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  setIncludeHidden(on: boolean): void {
    this._includeHidden = on;
    this._changed.emit();
    void this.reload();
  }

  setVisible(seen: boolean): void {
    this._visible = seen;
    if (seen && this._stale) {
      void this.reload();
    }
  }

  async reload(): Promise<void> {
    this._stale = false;
    try {
      const page = await modelFilesApi(this.ctx).list({ include_hidden: this._includeHidden, limit: 1000, sort: '-created_at' });
      if (this._disposed) {
        return;
      }
      this._rows = page.items;
      const ids = new Set(this._rows.map(r => r.id));
      for (const id of [...this._selection]) {
        if (!ids.has(id)) {
          this._selection.delete(id);
        }
      }
      this._error = null;
    } catch (e) {
      this._error = errorText(e);
    }
    this._loaded = true;
    if (!this._disposed) {
      this._changed.emit();
    }
  }

  selectedRows(): IModelFile[] {
    return this._rows.filter(r => this._selection.has(r.id));
  }

  isSelected(id: string): boolean {
    return this._selection.has(id);
  }

  toggle(id: string): void {
    if (!this._selection.delete(id)) {
      this._selection.add(id);
    }
    this._changed.emit();
  }

  selectOnly(id: string): void {
    this._selection = new Set([id]);
    this._changed.emit();
  }

  selectAll(ids: string[]): void {
    this._selection = new Set(ids);
    this._changed.emit();
  }

  clearSelection(): void {
    this._selection.clear();
    this._changed.emit();
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.ctx.feed.changed.disconnect(this._onChange, this);
    this.ctx.feed.tick.disconnect(this._onTick, this);
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
    Signal.clearData(this);
  }

  private _onChange(_: unknown, event: IChangeEvent): void {
    if (event.kind !== modelFilesApi(this.ctx).kind && event.kind !== 'llm model') {
      return;
    }
    if (event.kind === 'llm model' && event.change === 'logs') {
      return;
    }
    if (!this._visible) {
      this._stale = true;
      return;
    }
    if (this._timer === null) {
      this._timer = setTimeout(() => {
        this._timer = null;
        void this.reload();
      }, 200);
    }
  }

  private _onTick(): void {
    if (this._visible) {
      void this.reload();
    } else {
      this._stale = true;
    }
  }

  private _rows: IModelFile[] = [];
  private _selection = new Set<string>();
  private _loaded = false;
  private _error: string | null = null;
  private _includeHidden = true;
  private _visible = true;
  private _stale = false;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _disposed = false;
  private _changed = new Signal<this, void>(this);
}
