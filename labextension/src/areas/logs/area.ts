/** The Logs area: the log search panel and its open command. */
import { CommandIDs } from '../../commands';
import { N_ } from '../../shared/i18n';
import { IArea, registerResourceCommands } from '../../shared/plugin/areaModule';
import { KO } from './catalog.ko';
import { LogsPanel } from './panel';

export const logsArea: IArea = {
  id: 'logs',
  label: N_('Logs'),
  catalogs: { ko: KO },
  register(deps) {
    const { ctx, areas } = deps;
    const { trans } = ctx;
    areas.register({ area: 'logs', create: () => new LogsPanel(ctx) });
    registerResourceCommands(deps, {
      area: 'logs',
      list: { id: CommandIDs.openLogs, label: trans.__('Open EasyMaker Logs'), caption: trans.__('Search the logs of every job') }
    });
  }
};
