/** The Models area: panel, commands and create form. */
import { CommandIDs } from '../../commands';
import { registerFormKind } from '../../panels/formKinds';
import { ModelDetailPanel } from '../../panels/models/detail';
import { MODEL_FORM } from '../../panels/models/form';
import { createModelsPanel } from '../../panels/models/list';
import { easymakerIcon } from '../icon';
import { IAreaDeps, strArg } from '../areaModule';

export function registerModelsArea(deps: IAreaDeps): void {
  const { app, ctx, areas, openers, palette } = deps;
  const { trans } = ctx;
  const { commands } = app;
  areas.register({ area: 'models', create: () => createModelsPanel(ctx) });
  registerFormKind('model', {
    hints: MODEL_FORM,
    create: (c, body) => c.api.models.create(body),
    copy: (c, ref) => c.api.models.copy(ref),
    heading: (t, copy) => (copy ? t.__('Copy model') : t.__('Create model')),
    submitLabel: t => t.__('Create model'),
    choices: {
      framework: async c =>
        (await c.api.models.frameworks()).map(f => ({
          value: f.name,
          label: f.available ? f.name : `${f.name} (${f.reason})`,
          disabled: !f.available
        })),
      training_id: async c =>
        (await c.api.trainings.list({ status: ['COMPLETE'], limit: 1000 })).items.map(t => ({ value: t.id, label: t.name })),
      hyperparameter_tuning_id: async c =>
        (await c.api.tunings.list({ status: ['COMPLETE'], limit: 1000 })).items.map(t => ({ value: t.id, label: t.name }))
    },
    opened: (c, created) => void c.app.commands.execute(CommandIDs.openModel, { id: created.id })
  });

  commands.addCommand(CommandIDs.openModels, {
    label: trans.__('Open Models'),
    icon: easymakerIcon,
    isEnabled: () => ctx.handshake.kind === 'pending' || areas.has('models'),
    execute: () => areas.open('models')
  });
  commands.addCommand(CommandIDs.createModel, {
    label: trans.__('Create Model'),
    icon: easymakerIcon,
    execute: args => {
      const trainingId = strArg(args, 'trainingId');
      const tuningId = strArg(args, 'tuningId');
      const preset = trainingId ? { training_id: trainingId } : tuningId ? { hyperparameter_tuning_id: tuningId } : undefined;
      void openers.createForm({ kind: 'model', copyFrom: strArg(args, 'copyFrom'), preset });
    }
  });
  commands.addCommand(CommandIDs.openModel, {
    label: trans.__('Open Model'),
    execute: args => {
      const id = String(args.id);
      const tab = strArg(args, 'tab');
      const panel = openers.reuse(`model:${id}`, () => new ModelDetailPanel(ctx, id, tab));
      if (tab && panel.tab !== tab) {
        panel.setTab(tab);
      }
    }
  });
  for (const command of [CommandIDs.openModels, CommandIDs.createModel]) {
    palette?.addItem({ command, category: trans.__('EasyMaker') });
  }
}
