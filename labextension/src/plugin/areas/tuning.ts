/** The Hyperparameter tuning area: panel, commands and create form. */
import { CommandIDs } from '../../commands';
import { registerFormKind } from '../../panels/formKinds';
import { TuningDetailPanel } from '../../panels/tuning/detail';
import { TUNING_FORM } from '../../panels/tuning/form';
import { createTuningsPanel } from '../../panels/tuning/list';
import { IAreaDeps, registerResourceCommands, strArg } from '../areaModule';

export function registerTuningArea(deps: IAreaDeps): void {
  const { ctx, areas } = deps;
  const { trans } = ctx;
  areas.register({ area: 'hyperparameter-tuning', create: () => createTuningsPanel(ctx) });
  registerFormKind('tuning', {
    hints: TUNING_FORM,
    create: (c, body) => c.api.tunings.create(body),
    copy: (c, ref) => c.api.tunings.copy(ref),
    heading: (t, copy) => (copy ? t.__('Copy hyperparameter tuning') : t.__('Create hyperparameter tuning')),
    submitLabel: t => t.__('Create hyperparameter tuning'),
    experimentPickers: true,
    opened: (c, created) => void c.app.commands.execute(CommandIDs.openTuning, { id: created.id })
  });

  registerResourceCommands(deps, {
    area: 'hyperparameter-tuning',
    list: [CommandIDs.openTunings, trans.__('Open Hyperparameter Tuning')],
    create: [
      CommandIDs.createTuning,
      trans.__('Create Hyperparameter Tuning'),
      args => ({ kind: 'tuning', copyFrom: strArg(args, 'copyFrom'), templateId: strArg(args, 'templateId'), experimentId: strArg(args, 'experimentId') })
    ],
    detail: [CommandIDs.openTuning, trans.__('Open Hyperparameter Tuning'), (id, tab) => new TuningDetailPanel(ctx, id, tab)]
  });
}
