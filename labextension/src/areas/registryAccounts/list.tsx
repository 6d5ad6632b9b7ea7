/** The Registry accounts area: the logins private images are pulled with. */
import * as React from 'react';

import type { IToolbarAction } from '../../shared/components/ListToolbar';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { NameCell, TimeCell } from '../../shared/panels/cells';
import { standardActions } from '../../shared/panels/listActions';
import { IResourceListConfig, ResourceListPanel, createListPanel } from '../../shared/panels/resourceList';
import { statusesOf } from '../../shared/status';
import { registryAccountsApi, type IRegistryAccount } from './api';
import { RegistryAccountCommandIDs } from './commands';

export function accountActions(ctx: EasyMakerContext, selected: IRegistryAccount[]): IToolbarAction[] {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  const actions = standardActions(ctx, selected, {
    kind: 'registry account',
    createLabel: trans.__('Create registry account'),
    create: () => void commands.execute(RegistryAccountCommandIDs.createAccount, {}),
    remove: { run: a => registryAccountsApi(ctx).remove(a.id), blocked: '', noun: trans.__('registry accounts') }
  });
  actions.push(
    {
      id: 'edit',
      label: trans.__('Change'),
      disabled: selected.length !== 1,
      title: trans.__('Change the name and description'),
      onClick: () => void commands.execute(RegistryAccountCommandIDs.editAccount, { id: selected[0].id })
    },
    {
      id: 'credentials',
      label: trans.__('Change registry account'),
      disabled: selected.length !== 1,
      title: trans.__('Change the registry ID and password'),
      onClick: () => void commands.execute(RegistryAccountCommandIDs.editCredentials, { id: selected[0].id })
    }
  );
  return actions;
}

export function createRegistryAccountsPanel(ctx: EasyMakerContext): ResourceListPanel<IRegistryAccount> {
  const { trans } = ctx;
  const open = (row: IRegistryAccount) => void ctx.app.commands.execute(RegistryAccountCommandIDs.openAccount, { id: row.id });
  const config: IResourceListConfig<IRegistryAccount> = {
    area: 'registry-accounts',
    statuses: statusesOf('registry account'),
    empty: trans.__('No registry accounts yet. Create one here or from the image form.'),
    open,
    actions: selected => accountActions(ctx, selected),
    columns: () => [
      { id: 'name', label: trans.__('Name'), width: 'minmax(160px, 2fr)', sortKey: 'name', render: a => <NameCell name={a.name} description={a.description} onOpen={() => open(a)} /> },
      { id: 'status', label: trans.__('Status'), width: '100px', sortKey: 'status', render: a => <StatusBadge status={a.status} /> },
      { id: 'type', label: trans.__('Registry type'), width: '110px', render: a => a.registry_type },
      { id: 'address', label: trans.__('Registry address'), width: 'minmax(160px, 2fr)', render: a => a.registry_address },
      { id: 'username', label: trans.__('Registry ID'), width: 'minmax(100px, 1fr)', render: a => a.username },
      { id: 'images', label: trans.__('Images'), width: 'minmax(100px, 1fr)', render: a => a.images.join(', ') },
      { id: 'created', label: trans.__('Created'), width: '165px', sortKey: 'created_at', render: a => <TimeCell value={a.created_at} /> }
    ]
  };
  return createListPanel(ctx, registryAccountsApi(ctx), config, { id: 'jp-EasyMaker-registry-accounts', title: trans.__('Registry accounts') });
}
