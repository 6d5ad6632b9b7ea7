/** The Endpoints area: columns and actions of the endpoints table. */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { NameCell, TimeCell } from '../../shared/panels/cells';
import { standardActions } from '../../shared/panels/listActions';
import { IResourceListConfig, ResourceListPanel, createListPanel } from '../../shared/panels/resourceList';
import { statusesOf } from '../../shared/status';
import type { IEndpoint } from './api';
import { endpointsApi } from './api';

export function endpointsConfig(ctx: EasyMakerContext): IResourceListConfig<IEndpoint> {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  const open = (row: IEndpoint) => void commands.execute(CommandIDs.openEndpoint, { id: row.id });
  return {
    area: 'endpoints',
    statuses: statusesOf('endpoint'),
    empty: trans.__('No endpoints yet. Create one with "Create endpoint" or %easymaker deploy MODEL.'),
    open,
    actions: selected =>
      standardActions(ctx, selected, {
        kind: 'endpoint',
        createLabel: trans.__('Create endpoint'),
        create: () => void commands.execute(CommandIDs.createEndpoint, {}),
        remove: {
          run: e => endpointsApi(ctx).remove(e.id),
          blocked: trans.__('Endpoints being created, updated or deleted cannot be deleted'),
          noun: trans.__('endpoints')
        }
      }),
    columns: () => [
      { id: 'name', label: trans.__('Name'), width: 'minmax(160px, 2fr)', sortKey: 'name', render: e => <NameCell name={e.name} description={e.description} onOpen={() => open(e)} /> },
      { id: 'status', label: trans.__('Status'), width: '170px', sortKey: 'status', render: e => <StatusBadge status={e.status} title={e.status_reason} /> },
      { id: 'default', label: trans.__('Default stage'), width: '120px', render: e => e.default_stage_name ?? '' },
      { id: 'stages', label: trans.__('Stages'), width: '70px', render: e => String(e.stage_count ?? 0) },
      { id: 'url', label: trans.__('Default stage URL'), width: 'minmax(160px, 2fr)', render: e => <code className="jp-EasyMaker-url">{e.default_stage_url}</code> },
      { id: 'backend', label: trans.__('Backend'), width: '90px', render: e => e.backend },
      { id: 'created', label: trans.__('Created'), width: '165px', sortKey: 'created_at', render: e => <TimeCell value={e.created_at} /> }
    ]
  };
}

export function createEndpointsPanel(ctx: EasyMakerContext): ResourceListPanel<IEndpoint> {
  return createListPanel(ctx, endpointsApi(ctx), endpointsConfig(ctx), { id: 'jp-EasyMaker-endpoints', title: ctx.trans.__('Endpoints') });
}
