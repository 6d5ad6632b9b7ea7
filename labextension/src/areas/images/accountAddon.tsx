/**
 * The image form's account (계정): an existing registry account, a new one
 * created with the image (신규 사용: name, description, type, address, id and
 * a masked password), or none (a public image).
 */
import * as React from 'react';

import type { IFormAddon, IFormHost } from '../../shared/forms/formKinds';
import { imagesApi, type IAccountChoice } from './api';

type Data = Record<string, unknown>;
export type AccountMode = 'existing' | 'new' | 'none';
const NEW_FIELDS = ['name', 'description', 'registry_type', 'registry_address', 'username', 'password'] as const;
type NewField = (typeof NEW_FIELDS)[number];

export class AccountFormAddon implements IFormAddon {
  constructor(readonly host: IFormHost) {}

  readonly section = 'account';
  mode: AccountMode = 'new';
  accounts: IAccountChoice[] = [];
  accountId = '';
  fresh: Record<NewField, string> = { name: '', description: '', registry_type: 'NCR', registry_address: '', username: '', password: '' };

  get paths(): string[] {
    return ['registry_account_id', 'registry_account', ...NEW_FIELDS.map(f => `registry_account.${f}`)];
  }

  async init(): Promise<void> {
    this.accounts = await imagesApi(this.host.ctx).accounts().catch(() => []);
    if (this.accounts.length) {
      this.mode = 'existing';
      this.accountId = this.accounts[0].id;
    }
  }

  applyBody(body: Data): void {
    if (typeof body.registry_account_id === 'string' && body.registry_account_id) {
      this.mode = 'existing';
      this.accountId = body.registry_account_id;
    }
  }

  validate(): { [path: string]: string } {
    const { trans } = this.host;
    const errors: { [path: string]: string } = {};
    if (this.mode === 'existing' && !this.accountId) {
      errors.registry_account_id = trans.__('Choose a registry account');
    }
    if (this.mode === 'new') {
      for (const field of ['name', 'username', 'password'] as const) {
        if (!this.fresh[field]) {
          errors[`registry_account.${field}`] = trans.__('Required');
        }
      }
    }
    return errors;
  }

  body(): Data {
    if (this.mode === 'existing') {
      return { registry_account_id: this.accountId };
    }
    if (this.mode === 'new') {
      return { registry_account: { ...this.fresh } };
    }
    return {};
  }

  set(next: Partial<AccountFormAddon>, clearError: (path: string) => void): void {
    Object.assign(this, next);
    for (const path of this.paths) {
      clearError(path);
    }
    this.host.refresh();
  }

  render(errors: { [path: string]: string }, clearError: (path: string) => void): React.ReactNode {
    return <AccountControls addon={this} errors={errors} clearError={clearError} />;
  }
}

function ErrorLine(props: { path: string; message?: string }): JSX.Element | null {
  return props.message ? (
    <div className="jp-EasyMaker-fieldError" role="alert" data-error-for={props.path}>
      {props.message}
    </div>
  ) : null;
}

function AccountControls(props: { addon: AccountFormAddon; errors: { [path: string]: string }; clearError(path: string): void }): JSX.Element {
  const { addon: a, errors, clearError } = props;
  const { trans, idPrefix } = a.host;
  const modes: [AccountMode, string][] = [
    ['existing', trans.__('Use an existing account')],
    ['new', trans.__('Use a new account')],
    ['none', trans.__('No account (public image)')]
  ];
  const labels: Record<NewField, string> = {
    name: trans.__('Registry account name'),
    description: trans.__('Registry account description'),
    registry_type: trans.__('Registry type'),
    registry_address: trans.__('Registry address'),
    username: trans.__('Registry ID'),
    password: trans.__('Registry password')
  };
  const setField = (field: NewField, value: string) => a.set({ fresh: { ...a.fresh, [field]: value } }, clearError);
  return (
    <div className="jp-EasyMaker-group" data-field="registry_account">
      <div className="jp-EasyMaker-radios" role="radiogroup" data-field="account.mode">
        {modes.map(([mode, label]) => (
          <label key={mode} className="jp-EasyMaker-radio">
            <input type="radio" name="account.mode" value={mode} checked={a.mode === mode} onChange={() => a.set({ mode }, clearError)} /> {label}
          </label>
        ))}
      </div>
      {a.mode === 'existing' ? (
        <div className={'jp-EasyMaker-field' + (errors.registry_account_id ? ' jp-mod-error' : '')} data-field="registry_account_id">
          <label htmlFor={`${idPrefix}-account`}>{trans.__('Registry account')}</label>
          <select
            id={`${idPrefix}-account`}
            name="registry_account_id"
            className="jp-mod-styled"
            value={a.accountId}
            onChange={e => a.set({ accountId: e.target.value }, clearError)}
          >
            {a.accounts.length ? null : <option value="">{trans.__('No registry accounts yet')}</option>}
            {a.accounts.map(acc => (
              <option key={acc.id} value={acc.id}>
                {`${acc.name} (${acc.registry_type} ${acc.registry_address})`}
              </option>
            ))}
          </select>
          <ErrorLine path="registry_account_id" message={errors.registry_account_id} />
        </div>
      ) : null}
      {a.mode === 'new'
        ? NEW_FIELDS.map(field => {
            const path = `registry_account.${field}`;
            const id = `${idPrefix}-account-${field}`;
            return (
              <div key={field} className={'jp-EasyMaker-field' + (errors[path] ? ' jp-mod-error' : '')} data-field={path}>
                <label htmlFor={id}>{labels[field]}</label>
                {field === 'registry_type' ? (
                  <select id={id} name={path} className="jp-mod-styled" value={a.fresh.registry_type} onChange={e => setField(field, e.target.value)}>
                    {['NCR', 'DOCKER_HUB', 'OTHER'].map(t => (
                      <option key={t} value={t}>
                        {t}
                      </option>
                    ))}
                  </select>
                ) : (
                  <input
                    id={id}
                    name={path}
                    type={field === 'password' ? 'password' : 'text'}
                    autoComplete={field === 'password' ? 'new-password' : 'off'}
                    className="jp-mod-styled"
                    value={a.fresh[field]}
                    onChange={e => setField(field, e.target.value)}
                  />
                )}
                <ErrorLine path={path} message={errors[path]} />
              </div>
            );
          })
        : null}
      <ErrorLine path="registry_account" message={errors.registry_account} />
    </div>
  );
}
