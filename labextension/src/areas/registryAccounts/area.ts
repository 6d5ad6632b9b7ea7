/** The Registry accounts area: panel, commands (the guide's two edits) and create form. */
import { registerFormKind } from '../../shared/forms/formKinds';
import { N_ } from '../../shared/i18n';
import { IArea, registerResourceCommands, strArg } from '../../shared/plugin/areaModule';
import { registryAccountsApi } from './api';
import { KO } from './catalog.ko';
import { RegistryAccountCommandIDs } from './commands';
import { RegistryAccountDetailPanel } from './detail';
import { editCredentials, editNameAndDescription } from './dialogs';
import { REGISTRY_ACCOUNT_FORM } from './form';
import { createRegistryAccountsPanel } from './list';

export const registryAccountsArea: IArea = {
  id: 'registry-accounts',
  label: N_('Registry accounts'),
  aliases: ['registry_accounts'],
  catalogs: { ko: KO },
  register(deps) {
    const { app, ctx, areas, openers } = deps;
    const { trans } = ctx;
    areas.register({ area: 'registry-accounts', create: () => createRegistryAccountsPanel(ctx) });
    registerFormKind('registry-account', {
      hints: REGISTRY_ACCOUNT_FORM,
      create: (c, body) => registryAccountsApi(c).create(body as never),
      heading: t => t.__('Create registry account'),
      submitLabel: t => t.__('Create registry account'),
      opened: (c, created) => void c.app.commands.execute(RegistryAccountCommandIDs.openAccount, { id: created.id })
    });
    registerResourceCommands(deps, {
      area: 'registry-accounts',
      list: { id: RegistryAccountCommandIDs.openAccounts, label: trans.__('Open Registry Accounts'), caption: trans.__('Open Registry Accounts') },
      create: {
        id: RegistryAccountCommandIDs.createAccount,
        label: trans.__('Create Registry Account'),
        execute: () => void openers.createForm({ kind: 'registry-account' })
      },
      detail: { id: RegistryAccountCommandIDs.openAccount, label: trans.__('Open Registry Account'), panel: id => new RegistryAccountDetailPanel(ctx, id) }
    });
    const withAccount = (edit: typeof editCredentials) => async (id: string | undefined) => {
      if (id) {
        await edit(ctx, await registryAccountsApi(ctx).get(id));
      }
    };
    app.commands.addCommand(RegistryAccountCommandIDs.editAccount, {
      label: trans.__('Change registry account name and description'),
      execute: args => withAccount(editNameAndDescription)(strArg(args, 'id'))
    });
    app.commands.addCommand(RegistryAccountCommandIDs.editCredentials, {
      label: trans.__('Change registry ID and password'),
      execute: args => withAccount(editCredentials)(strArg(args, 'id'))
    });
  }
};
