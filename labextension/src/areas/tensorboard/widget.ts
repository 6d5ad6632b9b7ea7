/**
 * TensorBoard in a main-area tab: the server starts (or reuses) a
 * TensorBoard for the training's, experiment's or tuning's log dir and proxies it
 * under `{base_url}easymaker/tensorboard/{id}/` (Jupyter authentication);
 * the tab frames that URL.
 */
import { IFrame, MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import type { EasyMakerContext } from '../../shared/context';
import { startTensorBoard, tensorBoardUrl, TensorBoardTarget } from './api';

export class TensorBoardWidget extends MainAreaWidget<IFrame> {
  constructor(
    readonly ctx: EasyMakerContext,
    readonly target: TensorBoardTarget,
    label: string
  ) {
    const frame = new IFrame({
      sandbox: ['allow-scripts', 'allow-same-origin', 'allow-forms', 'allow-popups', 'allow-downloads'],
      referrerPolicy: 'same-origin'
    });
    super({ content: frame });
    this.addClass('jp-EasyMaker-tensorboard');
    const key =
      'training_id' in target
        ? `training-${target.training_id}`
        : 'experiment_id' in target
          ? `experiment-${target.experiment_id}`
          : `tuning-${target.hyperparameter_tuning_id}`;
    this.id = `jp-EasyMaker-tensorboard-${key}`;
    this.title.label = ctx.trans.__('TensorBoard: %1', label);
    this.title.closable = true;
    void this.start();
  }

  /** The URL once the TensorBoard answered; '' before. */
  url = '';

  async start(): Promise<void> {
    const { ctx } = this;
    this.content.url = '';
    this._status(ctx.trans.__('Starting TensorBoard…'));
    try {
      const board = await startTensorBoard(ctx.api.client, this.target);
      const url = tensorBoardUrl(ctx.api.client.serverSettings.baseUrl, board);
      // wait until the proxied TensorBoard answers (a fresh process needs a few seconds)
      const deadline = Date.now() + 60000;
      for (;;) {
        let response: Response | null = null;
        try {
          response = await ctx.api.client.fetchUrl(url, { method: 'GET' });
        } catch {
          response = null;
        }
        if (response?.ok) {
          break;
        }
        if (Date.now() > deadline) {
          throw new Error(ctx.trans.__('TensorBoard did not answer at %1', url));
        }
        await new Promise(resolve => setTimeout(resolve, 500));
      }
      this.url = url;
      this.node.dataset.url = url;
      this.content.url = url;
      this._status('');
    } catch (error) {
      this._status(ctx.trans.__('TensorBoard could not be started: %1', (error as Error).message ?? String(error)), true);
    }
  }

  private _status(text: string, error = false): void {
    if (!this._statusWidget) {
      this._statusWidget = new Widget();
      this._statusWidget.addClass('jp-EasyMaker-tbStatus');
      this.contentHeader.addWidget(this._statusWidget);
    }
    this._statusWidget.node.textContent = text;
    this._statusWidget.setHidden(!text);
    this._statusWidget.toggleClass('jp-mod-error', error);
  }

  private _statusWidget: Widget | null = null;
}
