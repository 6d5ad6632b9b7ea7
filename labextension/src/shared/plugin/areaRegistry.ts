/** Area panels by area id; each opens once as a main-area tab. */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';

import type { IAreaPanelFactory, IEasyMakerAreas } from '../../tokens';
import { IAreaInfo, canonicalArea, offered, visibleAreas } from '../state/areas';
import { easymakerIcon } from './icon';

export class AreaRegistry implements IEasyMakerAreas {
  /** `areas`: the one list of areas, in the guide's order. */
  constructor(
    private readonly app: JupyterFrontEnd,
    areas: readonly IAreaInfo[]
  ) {
    this._areas = [...areas];
  }

  get registered(): ISignal<this, string> {
    return this._registered;
  }

  /** The known areas: the list's, then those other plugins added with a label. */
  get areas(): readonly IAreaInfo[] {
    return this._areas;
  }

  register(factory: IAreaPanelFactory): void {
    const area = canonicalArea(this._areas, factory.area);
    if (!this._areas.some(a => a.id === area)) {
      this._areas.push({ id: area, label: factory.label });
    }
    this._factories.set(area, factory);
    this._registered.emit(area);
  }

  has(area: string): boolean {
    return this._factories.has(canonicalArea(this._areas, area));
  }

  /** The server offers the area (under its id or an alias). */
  offered(area: string, serverAreas: readonly string[] | undefined): boolean {
    return offered(this._areas, serverAreas, area);
  }

  /** What the sidebar lists for the server's areas. */
  visible(serverAreas: readonly string[] | undefined): IAreaInfo[] {
    return visibleAreas(this._areas, serverAreas, id => this.has(id));
  }

  /** The open widget of an area, if any. */
  widget(area: string): Widget | undefined {
    const w = this._widgets.get(canonicalArea(this._areas, area));
    return w && !w.isDisposed && w.isAttached ? w : undefined;
  }

  async open(id: string): Promise<void> {
    const area = canonicalArea(this._areas, id);
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

  private _areas: IAreaInfo[];
  private _factories = new Map<string, IAreaPanelFactory>();
  private _widgets = new Map<string, Widget>();
  private _registered = new Signal<this, string>(this);
}
