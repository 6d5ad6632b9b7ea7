/** The Notebooks area: columns and actions of the notebooks table. */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import type { IToolbarAction } from '../../shared/components/ListToolbar';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { NameCell, TimeCell } from '../../shared/panels/cells';
import { IResourceListConfig, ResourceListPanel, createListPanel } from '../../shared/panels/resourceList';
import { statusesOf } from '../../shared/status';
import { notebookActions, openNotebook } from './actions';
import { notebooksApi, type INotebook } from './api';

export function notebookListActions(ctx: EasyMakerContext, selected: INotebook[]): IToolbarAction[] {
  const { trans } = ctx;
  const one = selected.length === 1 ? selected[0] : undefined;
  return [
    {
      id: 'create',
      label: trans.__('Create notebook'),
      primary: true,
      onClick: () => void ctx.app.commands.execute(CommandIDs.createNotebook, {})
    },
    ...notebookActions(ctx, one, () => undefined, () => undefined).map(a => ({ ...a, primary: false }))
  ];
}

export function createNotebooksPanel(ctx: EasyMakerContext): ResourceListPanel<INotebook> {
  const { trans } = ctx;
  const open = (row: INotebook) => void ctx.app.commands.execute(CommandIDs.openNotebook, { id: row.id });
  const config: IResourceListConfig<INotebook> = {
    area: 'notebooks',
    statuses: statusesOf('notebook'),
    empty: trans.__('No notebooks yet. Create one with "Create notebook".'),
    open,
    actions: selected => notebookListActions(ctx, selected),
    columns: () => [
      { id: 'name', label: trans.__('Name'), width: 'minmax(160px, 2fr)', sortKey: 'name', render: n => <NameCell name={n.name} description={n.description} onOpen={() => open(n)} /> },
      { id: 'status', label: trans.__('Status'), width: '180px', sortKey: 'status', render: n => <StatusBadge status={n.status} title={n.status_reason} /> },
      {
        id: 'open',
        label: trans.__('Jupyter notebook'),
        width: '150px',
        render: n =>
          n.url ? (
            <a href={n.url} target="_blank" rel="noopener noreferrer" data-role="open-notebook" onClick={e => { e.preventDefault(); openNotebook(n); }}>
              {trans.__('Open Jupyter notebook')}
            </a>
          ) : (
            ''
          )
      },
      { id: 'instance_type', label: trans.__('Instance type'), width: '120px', render: n => n.instance_type },
      { id: 'image', label: trans.__('Image'), width: 'minmax(120px, 1fr)', render: n => n.image },
      { id: 'created', label: trans.__('Created'), width: '165px', sortKey: 'created_at', render: n => <TimeCell value={n.created_at} /> }
    ]
  };
  return createListPanel(ctx, notebooksApi(ctx), config, { id: 'jp-EasyMaker-notebooks', title: trans.__('Notebooks') });
}
