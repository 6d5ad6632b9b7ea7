/** Open (or reveal) detail and form tabs in the main area. */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { Widget } from '@lumino/widgets';

import type { EasyMakerContext } from '../context';
import { CreateFormPanel, ICreateFormOptions } from '../forms/createForm';
import { easymakerIcon } from './icon';

export class Openers {
  constructor(
    private readonly app: JupyterFrontEnd,
    private readonly ctx: EasyMakerContext
  ) {}

  /** A new create form (several may be open, e.g. one copy per selected row). */
  createForm(options: ICreateFormOptions): CreateFormPanel {
    const widget = new CreateFormPanel(this.ctx, options);
    this._show(widget);
    return widget;
  }

  /** The open tab under `key` (revealed), or a new one from `create`. */
  reuse<T extends Widget>(key: string, create: () => T): T {
    let widget = this._open.get(key) as T | undefined;
    if (!widget || widget.isDisposed) {
      widget = create();
      this._open.set(key, widget);
      widget.disposed.connect(() => this._open.delete(key));
      this._show(widget);
    } else {
      this.app.shell.activateById(widget.id);
    }
    return widget;
  }

  private _show(widget: Widget): void {
    widget.title.icon = easymakerIcon;
    this.app.shell.add(widget, 'main');
    this.app.shell.activateById(widget.id);
  }

  private _open = new Map<string, Widget>();
}
