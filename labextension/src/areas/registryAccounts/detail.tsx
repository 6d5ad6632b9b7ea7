/** One registry account: its registry, id (the password masked) and the images pulled with it. */
import type { IToolbarAction } from '../../shared/components/ListToolbar';
import type { EasyMakerContext } from '../../shared/context';
import { overviewTab } from '../../shared/panels/detailTabs';
import { IDetailTab, ResourceDetailPanel } from '../../shared/panels/resourceDetail';
import { formatTime } from '../../shared/state/format';
import { settledOf } from '../../shared/status';
import { registryAccountsApi, type IRegistryAccount } from './api';
import { RegistryAccountCommandIDs } from './commands';

export class RegistryAccountDetailPanel extends ResourceDetailPanel<IRegistryAccount> {
  constructor(ctx: EasyMakerContext, accountId: string) {
    super(ctx, { api: registryAccountsApi(ctx), id: accountId, finalStatuses: settledOf('registry account'), name: 'registry account' });
    this.title.label = ctx.trans.__('Registry account');
  }

  protected actions(a: IRegistryAccount): IToolbarAction[] {
    const { trans } = this;
    const commands = this.ctx.app.commands;
    return [
      { id: 'edit', label: trans.__('Change'), onClick: () => void commands.execute(RegistryAccountCommandIDs.editAccount, { id: a.id }) },
      {
        id: 'credentials',
        label: trans.__('Change registry account'),
        onClick: () => void commands.execute(RegistryAccountCommandIDs.editCredentials, { id: a.id })
      }
    ];
  }

  protected tabs(): IDetailTab[] {
    const { trans } = this;
    const a = this.resource as IRegistryAccount;
    return [
      overviewTab(trans, a, [
        [trans.__('Registry type'), a.registry_type],
        [trans.__('Registry address'), a.registry_address],
        [trans.__('Registry ID'), a.username],
        [trans.__('Registry password'), a.password],
        [trans.__('Images'), a.images.join(', ') || '-'],
        [trans.__('Created'), formatTime(a.created_at)],
        [trans.__('Updated'), formatTime(a.updated_at)]
      ])
    ];
  }
}
