/** Confirmations of stop and delete, saying what cannot be undone. */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import type { ITrans } from '../i18n';

async function confirm(title: string, body: string, ok: string, trans: ITrans): Promise<boolean> {
  const result = await showDialog({
    title,
    body,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.warnButton({ label: ok })
    ],
    defaultButton: 0
  });
  return result.button.accept;
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 10).join(', ');
  return names.length > 10 ? `${shown}, … (+${names.length - 10})` : shown;
}

export function confirmStop(names: string[], trans: ITrans): Promise<boolean> {
  return confirm(
    names.length === 1 ? trans.__('Stop training') : trans.__('Stop %1 trainings', names.length),
    trans.__('Stop %1?', listNames(names)) +
      ' ' +
      trans.__(
        'A stopped training cannot be resumed: the job is terminated and its status becomes STOPPED. Logs, metrics and checkpoints written so far are kept.'
      ),
    trans.__('Stop'),
    trans
  );
}

export function confirmDelete(kindLabel: string, names: string[], trans: ITrans): Promise<boolean> {
  return confirm(
    trans.__('Delete %1', kindLabel),
    trans.__('Delete %1?', listNames(names)) +
      ' ' +
      trans.__('The requested deletion cannot be undone: the records, status history, logs and metrics are removed for good.'),
    trans.__('Delete'),
    trans
  );
}

/** Ask for a name (and description), e.g. for "Save as template". */
export async function askName(title: string, label: string, initial: string, trans: ITrans): Promise<string | null> {
  const result = await showDialog({
    title,
    body: new NameBody(label, initial),
    buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.okButton({ label: trans.__('OK') })],
    focusNodeSelector: 'input'
  });
  return result.button.accept ? (result.value as string) : null;
}


class NameBody extends Widget implements Dialog.IBodyWidget<string> {
  constructor(label: string, initial: string) {
    super();
    this.addClass('jp-EasyMaker-nameDialog');
    const caption = document.createElement('label');
    caption.textContent = label;
    this._input = document.createElement('input');
    this._input.className = 'jp-mod-styled';
    this._input.value = initial;
    caption.appendChild(this._input);
    this.node.appendChild(caption);
  }

  getValue(): string {
    return this._input.value.trim();
  }

  private _input: HTMLInputElement;
}

export interface IRename {
  name: string;
  description: string;
}

/** Ask for a new name and description (the detail header's "Rename"); null when cancelled or unchanged. */
export async function askRename(current: IRename, trans: ITrans): Promise<IRename | null> {
  const result = await showDialog({
    title: trans.__('Rename'),
    body: new RenameBody(current, trans),
    buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.okButton({ label: trans.__('Save') })],
    focusNodeSelector: 'input'
  });
  if (!result.button.accept || !result.value) {
    return null;
  }
  const value = result.value as IRename;
  return value.name === current.name && value.description === current.description ? null : value;
}

class RenameBody extends Widget implements Dialog.IBodyWidget<IRename> {
  constructor(current: IRename, trans: ITrans) {
    super();
    this.addClass('jp-EasyMaker-nameDialog');
    this._name = this._field(trans.__('Name'), 'name', current.name);
    this._description = this._field(trans.__('Description'), 'description', current.description);
  }

  getValue(): IRename {
    return { name: this._name.value.trim(), description: this._description.value.trim() };
  }

  private _field(label: string, name: string, value: string): HTMLInputElement {
    const caption = document.createElement('label');
    caption.textContent = label;
    const input = document.createElement('input');
    input.className = 'jp-mod-styled';
    input.name = name;
    input.value = value;
    caption.appendChild(input);
    this.node.appendChild(caption);
    return input;
  }

  private _name: HTMLInputElement;
  private _description: HTMLInputElement;
}
