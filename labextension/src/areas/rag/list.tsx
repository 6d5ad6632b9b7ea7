/** The RAG area: columns and actions of the RAG table. */
import { Notification } from '@jupyterlab/apputils';
import * as React from 'react';

import { confirmDelete } from '../../shared/components/dialogs';
import type { IToolbarAction } from '../../shared/components/ListToolbar';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { runOnEach } from '../../shared/panels/base';
import { NameCell, TimeCell } from '../../shared/panels/cells';
import { IResourceListConfig, ResourceListPanel, createListPanel } from '../../shared/panels/resourceList';
import { formatNumber } from '../../shared/state/format';
import { IRag, ragsApi } from './api';
import { RagCommandIDs } from './commands';
import { canSync, isRagDeletable, ragStatuses } from './statuses';

/** Files and chunks in the live generation: `12 / 340`. */
export function filesAndChunks(r: Pick<IRag, 'files' | 'chunks'>): string {
  return `${formatNumber(r.files ?? 0)} / ${formatNumber(r.chunks ?? 0)}`;
}

/** When the last ingestion ended (or started, while it runs). */
export function LastIngestionCell(props: { rag: IRag }): JSX.Element {
  const last = props.rag.last_ingestion;
  if (!last) {
    return <span>-</span>;
  }
  return (
    <span className="jp-EasyMaker-inlineControls" data-role="last-ingestion" data-status={last.status} style={{ flexWrap: 'nowrap', alignItems: 'center' }}>
      <TimeCell value={last.finished_at ?? last.started_at ?? last.created_at} />
      {last.status !== 'COMPLETE' ? <StatusBadge status={last.status} title={last.status_reason} /> : null}
    </span>
  );
}

export function ragActions(ctx: EasyMakerContext, selected: IRag[]): IToolbarAction[] {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  const syncable = selected.filter(r => canSync(r));
  const deletable = selected.filter(r => isRagDeletable(r.status));
  const blocked = deletable.length !== selected.length;
  return [
    { id: 'create', label: trans.__('Create RAG'), primary: true, onClick: () => void commands.execute(RagCommandIDs.createRag, {}) },
    {
      id: 'sync',
      label: trans.__('Sync'),
      disabled: !selected.length || syncable.length !== selected.length,
      title: trans.__('Ingest the files added, changed or deleted in the data path since the last ingestion'),
      onClick: async () => {
        const n = await runOnEach(syncable, r => ragsApi(ctx).sync(r.id), trans, trans.__('Sync failed'));
        if (n) {
          Notification.success(trans.__('Sync requested for %1 RAG(s)', n), { autoClose: 3000 });
        }
      }
    },
    {
      id: 'delete',
      label: trans.__('Delete'),
      danger: true,
      disabled: deletable.length === 0 || blocked,
      title: blocked ? trans.__('A RAG cannot be deleted while it is being created or deleted (CREATE REQUESTED, CREATE IN PROGRESS, DELETE IN PROGRESS)') : undefined,
      onClick: async () => {
        if (!(await confirmDelete(trans.__('RAGs'), deletable.map(r => r.name), trans))) {
          return;
        }
        const n = await runOnEach(deletable, r => ragsApi(ctx).remove(r.id), trans, trans.__('Delete failed'));
        if (n) {
          Notification.success(trans.__('%1 deleted', n), { autoClose: 3000 });
        }
      }
    }
  ];
}

export function ragConfig(ctx: EasyMakerContext): IResourceListConfig<IRag> {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  const open = (row: IRag) => void commands.execute(RagCommandIDs.openRag, { id: row.id });
  return {
    area: 'rags',
    statuses: ragStatuses(),
    empty: trans.__('No RAGs yet. Create one with "Create RAG".'),
    open,
    actions: selected => ragActions(ctx, selected),
    columns: () => [
      { id: 'name', label: trans.__('Name'), width: 'minmax(160px, 2fr)', sortKey: 'name', render: r => <NameCell name={r.name} description={r.description} onOpen={() => open(r)} /> },
      { id: 'status', label: trans.__('Status'), width: '170px', sortKey: 'status', render: r => <StatusBadge status={r.status} title={r.status_reason} /> },
      {
        id: 'gateway',
        label: trans.__('Gateway'),
        width: '110px',
        render: r => (r.gateway_status ? <StatusBadge status={r.gateway_status} /> : '-')
      },
      { id: 'store', label: trans.__('Vector store'), width: '100px', render: r => r.vector_store?.type ?? '' },
      { id: 'files', label: trans.__('Files / chunks'), width: '120px', render: r => <span data-role="files-chunks">{filesAndChunks(r)}</span> },
      { id: 'ingested', label: trans.__('Last ingestion'), width: 'minmax(260px, 1fr)', render: r => <LastIngestionCell rag={r} /> },
      { id: 'created', label: trans.__('Created'), width: '165px', sortKey: 'created_at', render: r => <TimeCell value={r.created_at} /> }
    ]
  };
}

export function createRagPanel(ctx: EasyMakerContext): ResourceListPanel<IRag> {
  return createListPanel(ctx, ragsApi(ctx), ragConfig(ctx), { id: 'jp-EasyMaker-rags', title: ctx.trans.__('RAG') });
}
