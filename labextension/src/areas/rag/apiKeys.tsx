/**
 * API keys of a RAG: masked list, create (the key is shown once, with a
 * copy button), revoke. A key created here is also remembered in this
 * browser tab's memory (never stored) so that the chat tester can use it.
 */
import { ISignal, Signal } from '@lumino/signaling';
import * as React from 'react';

import { useSignal } from '../../shared/components/hooks';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { notifyError } from '../../shared/panels/base';
import { formatTime } from '../../shared/state/format';
import { errorText } from '../../shared/state/listModel';
import { IRagApiKey, ragsApi } from './api';
import { CopyButton, confirmAction } from './parts';

/** A key whose secret this page knows (it was created here). */
export interface IKnownKey {
  id: string;
  name: string;
  masked: string;
  key: string;
}

/** The keys created in this page, per RAG: memory only, gone with the page. */
class KnownKeys {
  get changed(): ISignal<this, string> {
    return this._changed;
  }

  of(ragId: string): readonly IKnownKey[] {
    return this._keys.get(ragId) ?? [];
  }

  add(ragId: string, key: IRagApiKey): void {
    if (!key.key) {
      return;
    }
    const known = { id: key.id, name: key.name, masked: key.masked, key: key.key };
    this._keys.set(ragId, [known, ...this.of(ragId).filter(k => k.id !== key.id)]);
    this._changed.emit(ragId);
  }

  forget(ragId: string, keyId: string): void {
    this._keys.set(ragId, this.of(ragId).filter(k => k.id !== keyId));
    this._changed.emit(ragId);
  }

  private _keys = new Map<string, IKnownKey[]>();
  private _changed = new Signal<this, string>(this);
}

export const KNOWN_KEYS = new KnownKeys();

/** The keys of this page for a RAG, re-rendered when they change. */
export function useKnownKeys(ragId: string): readonly IKnownKey[] {
  useSignal(KNOWN_KEYS.changed);
  return KNOWN_KEYS.of(ragId);
}

/** Create a key, remember its secret for this page, and return it. */
export async function createKey(ctx: EasyMakerContext, ragId: string, name: string): Promise<IRagApiKey> {
  const key = await ragsApi(ctx).createApiKey(ragId, name);
  KNOWN_KEYS.add(ragId, key);
  return key;
}

/** The key just created, shown once with its copy button. */
export function NewKey(props: { created: IRagApiKey; onDone(): void }): JSX.Element | null {
  const trans = useTrans();
  if (!props.created.key) {
    return null;
  }
  return (
    <div className="jp-EasyMaker-newKey jp-EasyMaker-warning" data-role="new-key" role="alert">
      <div>
        <strong>{trans.__('Copy the key now: it is shown only once.')}</strong>{' '}
        {trans.__('Only a salted hash of it is stored; if it is lost, create another and revoke this one.')}
      </div>
      <div className="jp-EasyMaker-inlineControls">
        <code className="jp-EasyMaker-keyValue" data-role="key-value">
          {props.created.key}
        </code>
        <CopyButton text={props.created.key} role="copy-key" />
        <button type="button" className="jp-EasyMaker-button" data-action="dismiss-key" onClick={() => props.onDone()}>
          {trans.__('Done')}
        </button>
      </div>
    </div>
  );
}

export function RagApiKeysView(props: { ctx: EasyMakerContext; ragId: string }): JSX.Element {
  const { ctx, ragId } = props;
  const trans = useTrans();
  const [keys, setKeys] = React.useState<IRagApiKey[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [name, setName] = React.useState('');
  const [created, setCreated] = React.useState<IRagApiKey | null>(null);
  const [busy, setBusy] = React.useState(false);

  const load = React.useCallback(async () => {
    try {
      setKeys(await ragsApi(ctx).apiKeys(ragId));
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [ragId]);
  React.useEffect(() => void load(), [load]);

  const create = async () => {
    setBusy(true);
    try {
      setCreated(await createKey(ctx, ragId, name.trim()));
      setName('');
      await load();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (key: IRagApiKey) => {
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
      await ragsApi(ctx).revokeApiKey(ragId, key.id);
      KNOWN_KEYS.forget(ragId, key.id);
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
      <p className="jp-EasyMaker-help">{trans.__("Every call to the query URL needs one of the RAG's API keys: 'Authorization: Bearer <key>' or 'x-nhn-apikey: <key>'.")}</p>
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
      {created ? <NewKey created={created} onDone={() => setCreated(null)} /> : null}
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
