/**
 * API keys of an endpoint: masked list, create (the key is shown once, in
 * this view only, with a copy button), revoke.
 */
import * as React from 'react';

import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { notifyError } from '../../shared/panels/base';
import { formatTime } from '../../shared/state/format';
import { errorText } from '../../shared/state/listModel';
import { endpointsApi, type IApiKey } from './api';
import { CopyButton, confirmAction } from './parts';

export function ApiKeysView(props: { ctx: EasyMakerContext; endpointId: string; endpointName: string }): JSX.Element {
  const { ctx, endpointId } = props;
  const trans = useTrans();
  const [keys, setKeys] = React.useState<IApiKey[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [name, setName] = React.useState('');
  const [created, setCreated] = React.useState<IApiKey | null>(null);
  const [busy, setBusy] = React.useState(false);

  const load = React.useCallback(async () => {
    try {
      setKeys(await endpointsApi(ctx).apiKeys(endpointId));
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [endpointId]);
  React.useEffect(() => void load(), [load]);

  const create = async () => {
    setBusy(true);
    try {
      const key = await endpointsApi(ctx).createApiKey(endpointId, name.trim());
      setCreated(key);
      setName('');
      await load();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (key: IApiKey) => {
    const ok = await confirmAction(
      trans,
      trans.__('Revoke API key'),
      trans.__('Revoke %1 (%2)? Requests with this key are refused from now on; this cannot be undone.', key.name || key.masked, key.masked),
      trans.__('Revoke')
    );
    if (!ok) {
      return;
    }
    try {
      await endpointsApi(ctx).revokeApiKey(endpointId, key.id);
      if (created?.id === key.id) {
        setCreated(null);
      }
      await load();
    } catch (e) {
      notifyError(trans, trans.__('Revoke API key'), e);
    }
  };

  return (
    <div className="jp-EasyMaker-apiKeys" data-role="api-keys">
      <p className="jp-EasyMaker-help">
        {trans.__("Every call to the endpoint's URLs needs one of its API keys: 'Authorization: Bearer <key>' or 'x-api-key: <key>'.")}
      </p>
      <div className="jp-EasyMaker-inlineControls">
        <input
          className="jp-mod-styled"
          name="api-key-name"
          placeholder={trans.__('Key name (optional)')}
          maxLength={50}
          value={name}
          onChange={e => setName(e.target.value)}
          onKeyDown={e => e.key === 'Enter' && !busy && void create()}
        />
        <button type="button" className="jp-EasyMaker-button jp-mod-accept" data-action="create-api-key" disabled={busy} onClick={() => void create()}>
          {trans.__('Create API key')}
        </button>
      </div>
      {created?.key ? (
        <div className="jp-EasyMaker-newKey jp-EasyMaker-warning" data-role="new-key" role="alert">
          <div>
            <strong>{trans.__('Copy the key now: it is shown only once.')}</strong>{' '}
            {trans.__('Only a salted hash of it is stored; if it is lost, create another and revoke this one.')}
          </div>
          <div className="jp-EasyMaker-inlineControls">
            <code className="jp-EasyMaker-keyValue" data-role="key-value">
              {created.key}
            </code>
            <CopyButton text={created.key} role="copy-key" />
            <button type="button" className="jp-EasyMaker-button" data-action="dismiss-key" onClick={() => setCreated(null)}>
              {trans.__('Done')}
            </button>
          </div>
        </div>
      ) : null}
      {error ? <div className="jp-EasyMaker-error">{error}</div> : null}
      {keys === null ? (
        <div className="jp-EasyMaker-empty">{trans.__('Loading…')}</div>
      ) : (
        <table className="jp-EasyMaker-details jp-EasyMaker-grid">
          <thead>
            <tr>
              <th>{trans.__('Name')}</th>
              <th>{trans.__('Key')}</th>
              <th>{trans.__('Created')}</th>
              <th>{trans.__('Last used')}</th>
              <th>{trans.__('Status')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.map(k => (
              <tr key={k.id} data-key-id={k.id} data-key-name={k.name} data-revoked={k.revoked_at ? 'true' : 'false'}>
                <td>{k.name || '-'}</td>
                <td>
                  <code>{k.masked}</code>
                </td>
                <td>{formatTime(k.created_at)}</td>
                <td>{k.last_used_at ? formatTime(k.last_used_at) : trans.__('Never')}</td>
                <td>{k.revoked_at ? trans.__('Revoked %1', formatTime(k.revoked_at)) : trans.__('Active')}</td>
                <td>
                  {k.revoked_at ? null : (
                    <button type="button" className="jp-EasyMaker-button jp-mod-warn" data-action="revoke-api-key" onClick={() => void revoke(k)}>
                      {trans.__('Revoke')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
