/** Area panels by area id; each opens once as a main-area tab. */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';

import { canonicalArea } from '../state/areas';
import type { IAreaPanelFactory, IEasyMakerAreas } from '../tokens';
import { easymakerIcon } from './icon';

export class AreaRegistry implements IEasyMakerAreas {
  constructor(private readonly app: JupyterFrontEnd) {}

  get registered(): ISignal<this, string> {
    return this._registered;
  }

  register(factory: IAreaPanelFactory): void {
    const area = canonicalArea(factory.area);
    this._factories.set(area, factory);
    this._registered.emit(area);
  }

  has(area: string): boolean {
    return this._factories.has(canonicalArea(area));
  }

  /** The open widget of an area, if any. */
  widget(area: string): Widget | undefined {
    const w = this._widgets.get(canonicalArea(area));
    return w && !w.isDisposed && w.isAttached ? w : undefined;
  }

  async open(id: string): Promise<void> {
    const area = canonicalArea(id);
    let widget = this.widget(area);
    if (!widget) {
      const factory = this._factories.get(area);
      if (!factory) {
        throw new Error(`no panel is registered for the area ${area}`);
      }
      widget = factory.create();
      widget.title.icon = easymakerIcon;
      widget.title.closable = true;
      widget.node.dataset.area = area;
      this._widgets.set(area, widget);
      this.app.shell.add(widget, 'main');
    }
    this.app.shell.activateById(widget.id);
  }

  private _factories = new Map<string, IAreaPanelFactory>();
  private _widgets = new Map<string, Widget>();
  private _registered = new Signal<this, string>(this);
}
