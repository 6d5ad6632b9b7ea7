/** The Hyperparameter tuning area: panel, commands and create form. */
import { CommandIDs } from '../../commands';
import { registerFormKind } from '../../shared/forms/formKinds';
import { N_ } from '../../shared/i18n';
import { IArea, registerResourceCommands, strArg } from '../../shared/plugin/areaModule';
import { TRAINING_FORM_ADDONS } from '../trainings/formAddons';
import { tuningsApi } from './api';
import { KO } from './catalog.ko';
import { TuningDetailPanel } from './detail';
import { TUNING_FORM } from './form';
import { createTuningsPanel } from './list';

export const tuningArea: IArea = {
  id: 'hyperparameter-tuning',
  label: N_('Hyperparameter tuning'),
  aliases: ['hyperparameter-tunings', 'hpo'],
  catalogs: { ko: KO },
  register(deps) {
    const { ctx, areas } = deps;
    const { trans } = ctx;
    areas.register({ area: 'hyperparameter-tuning', create: () => createTuningsPanel(ctx) });
    registerFormKind('tuning', {
      hints: TUNING_FORM,
      create: (c, body) => tuningsApi(c).create(body),
      copy: (c, ref) => tuningsApi(c).copy(ref),
      heading: (t, copy) => (copy ? t.__('Copy hyperparameter tuning') : t.__('Create hyperparameter tuning')),
      submitLabel: t => t.__('Create hyperparameter tuning'),
      ...TRAINING_FORM_ADDONS,
      opened: (c, created) => void c.app.commands.execute(CommandIDs.openTuning, { id: created.id })
    });
    registerResourceCommands(deps, {
      area: 'hyperparameter-tuning',
      list: { id: CommandIDs.openTunings, label: trans.__('Open Hyperparameter Tuning') },
      create: {
        id: CommandIDs.createTuning,
        label: trans.__('Create Hyperparameter Tuning'),
        form: args => ({ kind: 'tuning', copyFrom: strArg(args, 'copyFrom'), templateId: strArg(args, 'templateId'), experimentId: strArg(args, 'experimentId') })
      },
      detail: { id: CommandIDs.openTuning, label: trans.__('Open Hyperparameter Tuning'), panel: (id, tab) => new TuningDetailPanel(ctx, id, tab) }
    });
  }
};
