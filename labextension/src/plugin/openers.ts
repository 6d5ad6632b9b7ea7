/** Open (or reveal) the detail, form and TensorBoard tabs. */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { Widget } from '@lumino/widgets';

import type { TensorBoardTarget } from '../api/tensorboards';
import type { EasyMakerContext } from '../context';
import { CreateFormPanel, ICreateFormOptions } from '../panels/createForm';
import { ExperimentDetailPanel } from '../panels/experimentDetail';
import { TemplateDetailPanel } from '../panels/templateDetail';
import { TensorBoardWidget } from '../panels/tensorboard';
import { TRAINING_TABS, TrainingDetailPanel, TrainingTab } from '../panels/trainingDetail';
import { easymakerIcon } from './icon';

export class Openers {
  constructor(
    private readonly app: JupyterFrontEnd,
    private readonly ctx: EasyMakerContext
  ) {}

  training(id: string, tab?: string): TrainingDetailPanel {
    const known = TRAINING_TABS.includes(tab as TrainingTab) ? (tab as TrainingTab) : undefined;
    const widget = this._reuse(`training:${id}`, () => new TrainingDetailPanel(this.ctx, id, known));
    if (known && widget.tab !== known) {
      widget.setTab(known);
    }
    return widget;
  }

  experiment(id: string): ExperimentDetailPanel {
    return this._reuse(`experiment:${id}`, () => new ExperimentDetailPanel(this.ctx, id));
  }

  template(id: string): TemplateDetailPanel {
    return this._reuse(`template:${id}`, () => new TemplateDetailPanel(this.ctx, id));
  }

  createForm(options: ICreateFormOptions): CreateFormPanel {
    const widget = new CreateFormPanel(this.ctx, options);
    this._show(widget);
    return widget;
  }

  tensorBoard(target: TensorBoardTarget, label: string): TensorBoardWidget {
    const key = `tb:${Object.entries(target).map(([k, v]) => `${k}=${v}`).join(',')}`;
    return this._reuse(key, () => new TensorBoardWidget(this.ctx, target, label));
  }

  /** The open tab under `key` (revealed), or a new one from `create`. */
  reuse<T extends Widget>(key: string, create: () => T): T {
    return this._reuse(key, create);
  }

  private _reuse<T extends Widget>(key: string, create: () => T): T {
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
