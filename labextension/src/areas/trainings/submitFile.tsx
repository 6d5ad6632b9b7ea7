/**
 * "Submit as training" on a notebook or .py file of the file browser: a
 * short dialog (name, experiment, instance type, backend), then
 * `POST trainings/from-file`.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import type { EasyMakerContext } from '../../shared/context';
import type { ISubmitFileBody } from './api';
import { trainingsApi } from './api';

/** A training name from a file name: `train model.py` -> `train-model-0131-1405`. */
export function trainingNameFor(path: string, now = new Date()): string {
  const base = (path.split('/').pop() ?? 'training').replace(/\.(ipynb|py)$/i, '');
  const slug = base.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'training';
  const pad = (n: number) => String(n).padStart(2, '0');
  const stamp = `${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `${slug.slice(0, 50 - stamp.length - 1)}-${stamp}`;
}

class SubmitBody extends Widget implements Dialog.IBodyWidget<ISubmitFileBody> {
  constructor(ctx: EasyMakerContext, readonly path: string) {
    super();
    const { trans } = ctx;
    this.addClass('jp-EasyMaker-submitDialog');
    const caps = ctx.capabilities;
    const row = (label: string, input: HTMLElement) => {
      const l = document.createElement('label');
      l.textContent = label;
      l.appendChild(input);
      this.node.appendChild(l);
    };
    const file = document.createElement('div');
    file.className = 'jp-EasyMaker-help';
    file.textContent = trans.__('File: %1', path);
    this.node.appendChild(file);
    this._name = document.createElement('input');
    this._name.className = 'jp-mod-styled';
    this._name.name = 'name';
    this._name.value = trainingNameFor(path);
    row(trans.__('Training name'), this._name);
    this._experiment = document.createElement('input');
    this._experiment.className = 'jp-mod-styled';
    this._experiment.name = 'experiment_name';
    this._experiment.value = ctx.settings.defaultExperiment || 'default';
    row(trans.__('Experiment'), this._experiment);
    this._instance = document.createElement('select');
    this._instance.className = 'jp-mod-styled';
    this._instance.name = 'instance_type';
    for (const it of [{ name: '' }, ...(caps.instance_types ?? [])]) {
      const o = document.createElement('option');
      o.value = it.name;
      o.textContent = it.name || trans.__('(default: %1)', caps.default_instance_type ?? '');
      this._instance.appendChild(o);
    }
    row(trans.__('Training instance type'), this._instance);
    this._backend = document.createElement('select');
    this._backend.className = 'jp-mod-styled';
    this._backend.name = 'backend';
    for (const b of ['', ...Object.keys(caps.backends ?? {})]) {
      const o = document.createElement('option');
      o.value = b;
      o.textContent = b || trans.__('(default: %1)', caps.default_backend ?? '');
      this._backend.appendChild(o);
    }
    this._backend.value = ctx.settings.defaultBackend;
    row(trans.__('Backend'), this._backend);
  }

  getValue(): ISubmitFileBody {
    const body: ISubmitFileBody = { path: this.path, name: this._name.value.trim() };
    if (this._experiment.value.trim()) {
      body.experiment_name = this._experiment.value.trim();
    }
    if (this._instance.value) {
      body.instance_type = this._instance.value;
    }
    if (this._backend.value) {
      body.backend = this._backend.value;
    }
    return body;
  }

  private _name: HTMLInputElement;
  private _experiment: HTMLInputElement;
  private _instance: HTMLSelectElement;
  private _backend: HTMLSelectElement;
}

/** Ask, then submit; answers the new training's id (null: cancelled). */
export async function submitFileAsTraining(ctx: EasyMakerContext, path: string): Promise<string | null> {
  const { trans } = ctx;
  const result = await showDialog({
    title: trans.__('Submit as training'),
    body: new SubmitBody(ctx, path),
    buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.okButton({ label: trans.__('Submit') })],
    focusNodeSelector: 'input[name="name"]'
  });
  if (!result.button.accept || !result.value) {
    return null;
  }
  const training = await trainingsApi(ctx).fromFile(result.value);
  return training.id;
}
