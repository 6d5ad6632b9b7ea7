/**
 * The guide's two edits of a registry account: its name and description, and
 * its registry id and password (with the guide's caution before, and the
 * server's warnings after when work using its images runs).
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import type { EasyMakerContext } from '../../shared/context';
import { notifyError } from '../../shared/panels/base';
import { registryAccountsApi, type IRegistryAccount } from './api';

interface IInputSpec {
  name: string;
  label: string;
  value: string;
  type?: 'text' | 'password';
}

/** A dialog body of labelled inputs; its value is name -> text. */
class InputsBody extends Widget implements Dialog.IBodyWidget<{ [name: string]: string }> {
  constructor(inputs: IInputSpec[], note?: string) {
    super();
    this.addClass('jp-EasyMaker-nameDialog');
    if (note) {
      const caution = document.createElement('p');
      caution.className = 'jp-EasyMaker-caution';
      caution.dataset.role = 'caution';
      caution.textContent = note;
      this.node.appendChild(caution);
    }
    for (const spec of inputs) {
      const caption = document.createElement('label');
      caption.textContent = spec.label;
      const input = document.createElement('input');
      input.className = 'jp-mod-styled';
      input.name = spec.name;
      input.type = spec.type ?? 'text';
      input.value = spec.value;
      input.autocomplete = spec.type === 'password' ? 'new-password' : 'off';
      caption.appendChild(input);
      this.node.appendChild(caption);
      this._inputs.set(spec.name, input);
    }
  }

  getValue(): { [name: string]: string } {
    return Object.fromEntries([...this._inputs].map(([name, input]) => [name, name === 'password' ? input.value : input.value.trim()]));
  }

  private _inputs = new Map<string, HTMLInputElement>();
}

async function ask(title: string, body: InputsBody, ctx: EasyMakerContext): Promise<{ [name: string]: string } | null> {
  const { trans } = ctx;
  const result = await showDialog({
    title,
    body,
    buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.okButton({ label: trans.__('OK') })],
    focusNodeSelector: 'input'
  });
  return result.button.accept ? (result.value as { [name: string]: string }) : null;
}

/** 이름, 설명 변경. */
export async function editNameAndDescription(ctx: EasyMakerContext, account: IRegistryAccount): Promise<IRegistryAccount | null> {
  const { trans } = ctx;
  const values = await ask(
    trans.__('Change registry account'),
    new InputsBody([
      { name: 'name', label: trans.__('Registry account name'), value: account.name },
      { name: 'description', label: trans.__('Registry account description'), value: account.description }
    ]),
    ctx
  );
  if (!values) {
    return null;
  }
  try {
    const changed = await registryAccountsApi(ctx).update(account.id, { name: values.name, description: values.description });
    Notification.success(trans.__('%1 changed', changed.name), { autoClose: 3000 });
    return changed;
  } catch (error) {
    notifyError(trans, trans.__('Change failed'), error);
    return null;
  }
}

/** 레지스트리 아이디, 비밀번호 수정. */
export async function editCredentials(ctx: EasyMakerContext, account: IRegistryAccount): Promise<IRegistryAccount | null> {
  const { trans } = ctx;
  const caution = trans.__(
    'If resources are being created with private images of this account, or trainings and hyperparameter tunings using them are running, changing the ID and password can cause problems. Pulling the images again uses the new ID and password; a wrong one makes the pull fail.'
  );
  const values = await ask(
    trans.__('Change registry ID and password'),
    new InputsBody(
      [
        { name: 'username', label: trans.__('Registry ID'), value: account.username },
        { name: 'password', label: trans.__('Registry password'), value: '', type: 'password' }
      ],
      account.images.length ? caution : undefined
    ),
    ctx
  );
  if (!values) {
    return null;
  }
  try {
    const changed = await registryAccountsApi(ctx).updateCredentials(account.id, { username: values.username, password: values.password });
    for (const warning of changed.warnings) {
      Notification.warning(warning, { autoClose: false });
    }
    Notification.success(trans.__('%1: ID and password changed', changed.name), { autoClose: 3000 });
    return changed;
  } catch (error) {
    notifyError(trans, trans.__('Change failed'), error);
    return null;
  }
}
