/**
 * The model files panel: the table (avatar, name, id, base model, tags,
 * hidden, availability) with create, edit, clone, hide / unhide, delete,
 * export (selected or all, saved under the server's file name), import (the
 * counts and each bad entry's error) and chat. Kept current by the change
 * feed (model file and LLM model events re-read it).
 */
import { Notification } from '@jupyterlab/apputils';
import * as React from 'react';

import { confirmDelete } from '../../shared/components/dialogs';
import { useSignal } from '../../shared/components/hooks';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { EasyMakerPanel, runOnEach } from '../../shared/panels/base';
import { download } from '../../shared/panels/download';
import { errorText } from '../../shared/state/listModel';
import { IImportResult, IModelFile, modelFilesApi } from './api';
import { ImportResultView } from './importResult';
import { ModelFileCommandIDs } from './commands';
import { Availability, Avatar, Tags } from './parts';
import { parseImportFile } from './shaping';
import { ModelFilesStore } from './store';

function ModelFilesView(props: { ctx: EasyMakerContext; store: ModelFilesStore }): JSX.Element {
  const { ctx, store } = props;
  const trans = useTrans();
  useSignal(store.changed);
  const api = modelFilesApi(ctx);
  const commands = ctx.app.commands;
  const file = React.useRef<HTMLInputElement>(null);
  const [importResult, setImportResult] = React.useState<IImportResult | null>(null);
  const [importError, setImportError] = React.useState<string | null>(null);
  const [search, setSearch] = React.useState('');
  const selected = store.selectedRows();
  const one = selected.length === 1 ? selected[0] : null;
  const rows = store.rows.filter(m => !search || m.id.toLowerCase().includes(search.toLowerCase()) || m.name.toLowerCase().includes(search.toLowerCase()));

  const doImport = async (f: File) => {
    setImportResult(null);
    setImportError(null);
    const parsed = parseImportFile(await f.text());
    if ('error' in parsed) {
      setImportError(`${f.name}: ${parsed.error}`);
      return;
    }
    try {
      const result = await api.importModels(parsed.body);
      setImportResult(result);
      await store.reload();
    } catch (e) {
      setImportError(`${f.name}: ${errorText(e)}`);
    }
  };
  const doExport = async (ids?: string[]) => {
    try {
      const { filename, text } = await api.exportFile(ids);
      download(filename, text);
    } catch (e) {
      Notification.error(`${trans.__('Export failed')}: ${errorText(e)}`, { autoClose: 8000 });
    }
  };
  const act = async (what: string, run: (m: IModelFile) => Promise<unknown>, rows_: IModelFile[] = selected) => {
    const n = await runOnEach(rows_.map(r => ({ ...r, name: r.id })), r => run(r as IModelFile), trans, what);
    await store.reload();
    return n;
  };
  const allHidden = selected.length > 0 && selected.every(m => m.meta?.hidden);

  const buttons: { id: string; label: string; disabled?: boolean; primary?: boolean; danger?: boolean; title?: string; onClick(): void }[] = [
    { id: 'create', label: trans.__('Create model file'), primary: true, onClick: () => void commands.execute(ModelFileCommandIDs.createModelFile, {}) },
    { id: 'edit', label: trans.__('Edit'), disabled: !one, onClick: () => one && void commands.execute(ModelFileCommandIDs.editModelFile, { id: one.id }) },
    {
      id: 'clone',
      label: trans.__('Clone'),
      disabled: !selected.length,
      title: trans.__('A copy with id + "-clone" and name + " (Clone)"; a base model override cannot be cloned'),
      onClick: () => void act(trans.__('Clone failed'), m => api.clone(m.id))
    },
    {
      id: allHidden ? 'unhide' : 'hide',
      label: allHidden ? trans.__('Show') : trans.__('Hide'),
      disabled: !selected.length,
      title: trans.__('Hide from the model picker, or show again'),
      onClick: () => void act(trans.__('Hide failed'), m => api.hide(m.id, !allHidden))
    },
    {
      id: 'delete',
      label: trans.__('Delete'),
      danger: true,
      disabled: !selected.length,
      onClick: async () => {
        if (await confirmDelete(trans.__('model files'), selected.map(m => m.id), trans)) {
          const n = await act(trans.__('Delete failed'), m => api.remove(m.id));
          store.clearSelection();
          if (n) {
            Notification.success(trans.__('%1 deleted', n), { autoClose: 3000 });
          }
        }
      }
    },
    { id: 'export', label: trans.__('Export'), disabled: !selected.length, onClick: () => void doExport(selected.map(m => m.id)) },
    { id: 'export-all', label: trans.__('Export all'), disabled: !store.rows.length, onClick: () => void doExport() },
    { id: 'import', label: trans.__('Import'), onClick: () => file.current?.click() },
    { id: 'chat', label: trans.__('Chat'), onClick: () => void commands.execute(ModelFileCommandIDs.openChat, one ? { model: one.id } : {}) }
  ];

  return (
    <div className="jp-EasyMaker-list jp-EasyMaker-list-modelfiles" data-area="modelfiles" style={{ overflow: 'auto' }}>
      <div className="jp-EasyMaker-toolbar">
        <div className="jp-EasyMaker-toolbarRow">
          {buttons.map(a => (
            <button
              key={a.id}
              type="button"
              data-action={a.id}
              title={a.title ?? a.label}
              disabled={a.disabled}
              className={'jp-EasyMaker-button' + (a.primary ? ' jp-mod-accept' : '') + (a.danger ? ' jp-mod-warn' : '')}
              onClick={a.onClick}
            >
              {a.label}
            </button>
          ))}
          <input
            ref={file}
            type="file"
            name="import-file"
            accept=".json,application/json"
            style={{ display: 'none' }}
            onChange={e => {
              const f = e.target.files?.[0];
              e.target.value = '';
              if (f) {
                void doImport(f);
              }
            }}
          />
          <span className="jp-EasyMaker-spacer" />
          <button type="button" className="jp-EasyMaker-button" data-action="refresh" onClick={() => void store.reload()}>
            {trans.__('Refresh')}
          </button>
        </div>
        <div className="jp-EasyMaker-toolbarRow">
          <input
            type="search"
            className="jp-EasyMaker-search jp-mod-styled"
            placeholder={trans.__('Search by id or name')}
            aria-label={trans.__('Search by id or name')}
            value={search}
            onChange={e => setSearch(e.target.value)}
          />
          <label className="jp-EasyMaker-help" style={{ display: 'inline-flex', gap: 4, alignItems: 'center' }}>
            <input type="checkbox" name="include-hidden" checked={store.includeHidden} onChange={e => store.setIncludeHidden(e.target.checked)} />
            {trans.__('Show hidden')}
          </label>
          <span className="jp-EasyMaker-count" data-role="count">
            {store.loaded ? trans.__('Total: %1', store.rows.length) : trans.__('Loading…')}
            {selected.length ? ' · ' + trans.__('%1 selected', selected.length) : ''}
          </span>
        </div>
      </div>
      <ImportResultView
        result={importResult}
        error={importError}
        onClose={() => {
          setImportResult(null);
          setImportError(null);
        }}
      />
      {store.error ? <div className="jp-EasyMaker-error" role="alert">{store.error}</div> : null}
      <table className="jp-EasyMaker-details jp-EasyMaker-grid" data-role="modelfile-table" style={{ width: '100%' }}>
        <thead>
          <tr>
            <th style={{ width: 28 }}>
              <input
                type="checkbox"
                aria-label={trans.__('Select all')}
                checked={rows.length > 0 && rows.every(r => store.isSelected(r.id))}
                onChange={e => store.selectAll(e.target.checked ? rows.map(r => r.id) : [])}
              />
            </th>
            <th>{trans.__('Name')}</th>
            <th>{trans.__('ID')}</th>
            <th>{trans.__('Base model')}</th>
            <th>{trans.__('Tags')}</th>
            <th>{trans.__('Visibility')}</th>
            <th>{trans.__('Availability')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(m => (
            <tr
              key={m.id}
              className={'jp-EasyMaker-modelFileRow' + (store.isSelected(m.id) ? ' jp-mod-selected' : '')}
              data-name={m.id}
              data-hidden={m.meta?.hidden ? 'true' : 'false'}
              aria-selected={store.isSelected(m.id)}
              onClick={e => (e.ctrlKey || e.metaKey ? store.toggle(m.id) : store.selectOnly(m.id))}
              onDoubleClick={() => void commands.execute(ModelFileCommandIDs.editModelFile, { id: m.id })}
              style={{ cursor: 'default', background: store.isSelected(m.id) ? 'var(--jp-layout-color2)' : undefined, opacity: m.meta?.hidden ? 0.65 : 1 }}
            >
              <td onClick={e => e.stopPropagation()}>
                <input type="checkbox" aria-label={trans.__('Select %1', m.id)} checked={store.isSelected(m.id)} onChange={() => store.toggle(m.id)} />
              </td>
              <td>
                <span style={{ display: 'inline-flex', alignItems: 'center', gap: 6 }}>
                  <Avatar url={m.meta?.profile_image_url} name={m.name} />
                  <button
                    type="button"
                    className="jp-EasyMaker-name"
                    data-role="open"
                    title={m.meta?.description || m.name}
                    onClick={e => {
                      e.stopPropagation();
                      void commands.execute(ModelFileCommandIDs.editModelFile, { id: m.id });
                    }}
                  >
                    {m.name}
                  </button>
                </span>
              </td>
              <td>
                <code data-role="id">{m.id}</code>
              </td>
              <td data-role="base-model">{m.base_model_id ?? <i>{trans.__('(override)')}</i>}</td>
              <td>
                <Tags tags={m.meta?.tags} />
              </td>
              <td data-role="visibility">{m.meta?.hidden ? trans.__('hidden') : trans.__('visible')}</td>
              <td>
                <Availability model={m} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {store.loaded && !rows.length ? <div className="jp-EasyMaker-empty">{trans.__('No model files yet. Create one, or import an Open WebUI export.')}</div> : null}
    </div>
  );
}

export class ModelFilesPanel extends EasyMakerPanel {
  constructor(ctx: EasyMakerContext) {
    super(ctx);
    this.id = 'jp-EasyMaker-modelfiles';
    this.addClass('jp-EasyMaker-listPanel');
    this.node.dataset.area = 'modelfiles';
    this.title.label = ctx.trans.__('Model files');
    this.store = new ModelFilesStore(ctx);
    this.visibilityChanged.connect((_, seen) => this.store.setVisible(seen));
    this.disposed.connect(() => this.store.dispose());
    void this.store.reload();
  }

  readonly store: ModelFilesStore;

  protected renderPanel(): JSX.Element {
    return <ModelFilesView ctx={this.ctx} store={this.store} />;
  }
}
