/** The Models area: panel, commands and create form. */
import { CommandIDs } from '../../commands';
import { registerFormKind } from '../../panels/formKinds';
import { ModelDetailPanel } from '../../panels/models/detail';
import { MODEL_FORM } from '../../panels/models/form';
import { createModelsPanel } from '../../panels/models/list';
import { IAreaDeps, registerResourceCommands, strArg } from '../areaModule';

export function registerModelsArea(deps: IAreaDeps): void {
  const { ctx, areas } = deps;
  const { trans } = ctx;
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

  registerResourceCommands(deps, {
    area: 'models',
    list: [CommandIDs.openModels, trans.__('Open Models')],
    create: [
      CommandIDs.createModel,
      trans.__('Create Model'),
      args => {
        const trainingId = strArg(args, 'trainingId');
        const tuningId = strArg(args, 'tuningId');
        const preset = trainingId ? { training_id: trainingId } : tuningId ? { hyperparameter_tuning_id: tuningId } : undefined;
        return { kind: 'model', copyFrom: strArg(args, 'copyFrom'), preset };
      }
    ],
    detail: [CommandIDs.openModel, trans.__('Open Model'), (id, tab) => new ModelDetailPanel(ctx, id, tab)]
  });
}
