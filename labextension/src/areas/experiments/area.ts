/** The Experiments area: panel, commands and create form. */
import { CommandIDs } from '../../commands';
import { registerFormKind } from '../../shared/forms/formKinds';
import { N_ } from '../../shared/i18n';
import { IArea, registerResourceCommands, strArg } from '../../shared/plugin/areaModule';
import { experimentsApi } from './api';
import { KO } from './catalog.ko';
import { ExperimentDetailPanel } from './detail';
import { EXPERIMENT_FORM } from './form';
import { createExperimentsPanel } from './list';

export const experimentsArea: IArea = {
  id: 'experiments',
  label: N_('Experiments'),
  catalogs: { ko: KO },
  register(deps) {
    const { ctx, areas } = deps;
    const { trans } = ctx;
    areas.register({ area: 'experiments', create: () => createExperimentsPanel(ctx) });
    registerFormKind('experiment', {
      hints: EXPERIMENT_FORM,
      create: (c, body) => experimentsApi(c).create(body as never),
      copy: (c, ref) => experimentsApi(c).copy(ref) as Promise<never>,
      heading: (t, copy) => (copy ? t.__('Copy experiment') : t.__('Create experiment')),
      submitLabel: t => t.__('Create experiment'),
      opened: c => void c.app.commands.execute(CommandIDs.openExperiments)
    });
    registerResourceCommands(deps, {
      area: 'experiments',
      list: { id: CommandIDs.openExperiments, label: trans.__('Open Experiments'), caption: trans.__('Open Experiments') },
      create: {
        id: CommandIDs.createExperiment,
        label: trans.__('Create Experiment'),
        form: args => ({ kind: 'experiment', copyFrom: strArg(args, 'copyFrom') })
      },
      detail: { id: CommandIDs.openExperiment, label: trans.__('Open Experiment'), panel: (id, tab) => new ExperimentDetailPanel(ctx, id, tab) }
    });
  }
};
