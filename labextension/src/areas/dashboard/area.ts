/** The Dashboard area: its panel, the open command and its launcher tile. */
import { CommandIDs } from '../../commands';
import { N_ } from '../../shared/i18n';
import { IArea, registerResourceCommands } from '../../shared/plugin/areaModule';
import { KO } from './catalog.ko';
import { DashboardPanel } from './panel';

export const dashboardArea: IArea = {
  id: 'dashboard',
  label: N_('Dashboard'),
  catalogs: { ko: KO },
  register(deps) {
    const { ctx, areas, launcher } = deps;
    const { trans } = ctx;
    areas.register({ area: 'dashboard', create: () => new DashboardPanel(ctx) });
    registerResourceCommands(deps, {
      area: 'dashboard',
      list: { id: CommandIDs.openDashboard, label: trans.__('Open EasyMaker Dashboard'), caption: trans.__('Open EasyMaker Dashboard') }
    });
    launcher?.add({ command: CommandIDs.openDashboard, category: trans.__('EasyMaker'), rank: 1 });
  }
};
