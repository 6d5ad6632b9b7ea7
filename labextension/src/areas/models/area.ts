/** The Models area: panel, commands and create form. */
import { CommandIDs } from '../../commands';
import { registerFormKind } from '../../shared/forms/formKinds';
import { N_ } from '../../shared/i18n';
import { IArea, registerResourceCommands, strArg } from '../../shared/plugin/areaModule';
import { trainingsApi } from '../trainings/api';
import { tuningsApi } from '../tuning/api';
import { modelsApi } from './api';
import { KO } from './catalog.ko';
import { ModelDetailPanel } from './detail';
import { MODEL_FORM } from './form';
import { createModelsPanel } from './list';

export const modelsArea: IArea = {
  id: 'models',
  label: N_('Models'),
  catalogs: { ko: KO },
  register(deps) {
    const { ctx, areas } = deps;
    const { trans } = ctx;
    areas.register({ area: 'models', create: () => createModelsPanel(ctx) });
    registerFormKind('model', {
      hints: MODEL_FORM,
      create: (c, body) => modelsApi(c).create(body),
      copy: (c, ref) => modelsApi(c).copy(ref),
      heading: (t, copy) => (copy ? t.__('Copy model') : t.__('Create model')),
      submitLabel: t => t.__('Create model'),
      choices: {
        framework: async c =>
          (await modelsApi(c).frameworks()).map(f => ({
            value: f.name,
            label: f.available ? f.name : `${f.name} (${f.reason})`,
            disabled: !f.available
          })),
        training_id: async c =>
          (await trainingsApi(c).list({ status: ['COMPLETE'], limit: 1000 })).items.map(t => ({ value: t.id, label: t.name })),
        hyperparameter_tuning_id: async c =>
          (await tuningsApi(c).list({ status: ['COMPLETE'], limit: 1000 })).items.map(t => ({ value: t.id, label: t.name }))
      },
      opened: (c, created) => void c.app.commands.execute(CommandIDs.openModel, { id: created.id })
    });
    registerResourceCommands(deps, {
      area: 'models',
      list: { id: CommandIDs.openModels, label: trans.__('Open Models') },
      create: {
        id: CommandIDs.createModel,
        label: trans.__('Create Model'),
        form: args => {
          const trainingId = strArg(args, 'trainingId');
          const tuningId = strArg(args, 'tuningId');
          const preset = trainingId ? { training_id: trainingId } : tuningId ? { hyperparameter_tuning_id: tuningId } : undefined;
          return { kind: 'model', copyFrom: strArg(args, 'copyFrom'), preset };
        }
      },
      detail: { id: CommandIDs.openModel, label: trans.__('Open Model'), panel: (id, tab) => new ModelDetailPanel(ctx, id, tab) }
    });
  }
};
