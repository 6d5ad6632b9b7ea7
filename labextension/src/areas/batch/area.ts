/** The Batch inference area: panel, commands and create form. */
import { CommandIDs } from '../../commands';
import { registerFormKind } from '../../shared/forms/formKinds';
import { N_ } from '../../shared/i18n';
import { IArea, registerResourceCommands, strArg } from '../../shared/plugin/areaModule';
import { activeModelChoices } from '../models/pickers';
import { batchInferencesApi } from './api';
import { KO } from './catalog.ko';
import { BatchDetailPanel } from './detail';
import { BATCH_FORM } from './form';
import { createBatchPanel } from './list';

export const batchArea: IArea = {
  id: 'batch-inferences',
  label: N_('Batch inference'),
  aliases: ['batch-inference'],
  catalogs: { ko: KO },
  register(deps) {
    const { ctx, areas } = deps;
    const { trans } = ctx;
    areas.register({ area: 'batch-inferences', create: () => createBatchPanel(ctx) });
    registerFormKind('batch-inference', {
      hints: BATCH_FORM,
      create: (c, body) => batchInferencesApi(c).create(body),
      copy: (c, ref) => batchInferencesApi(c).copy(ref),
      heading: (t, copy) => (copy ? t.__('Copy batch inference') : t.__('Create batch inference')),
      submitLabel: t => t.__('Create batch inference'),
      choices: { model_id: activeModelChoices },
      opened: (c, created) => void c.app.commands.execute(CommandIDs.openBatchInference, { id: created.id })
    });
    registerResourceCommands(deps, {
      area: 'batch-inferences',
      list: { id: CommandIDs.openBatchInferences, label: trans.__('Open Batch Inference') },
      create: {
        id: CommandIDs.createBatchInference,
        label: trans.__('Create Batch Inference'),
        form: args => {
          const modelId = strArg(args, 'modelId');
          return { kind: 'batch-inference', copyFrom: strArg(args, 'copyFrom'), preset: modelId ? { model_id: modelId } : undefined };
        }
      },
      detail: { id: CommandIDs.openBatchInference, label: trans.__('Open Batch Inference'), panel: (id, tab) => new BatchDetailPanel(ctx, id, tab) }
    });
  }
};
