/** The Batch inference area: panel, commands and create form. */
import { CommandIDs } from '../../commands';
import { BatchDetailPanel } from '../../panels/batch/detail';
import { BATCH_FORM } from '../../panels/batch/form';
import { createBatchPanel } from '../../panels/batch/list';
import { registerFormKind } from '../../panels/formKinds';
import { IAreaDeps, registerResourceCommands, strArg } from '../areaModule';

export function registerBatchArea(deps: IAreaDeps): void {
  const { ctx, areas } = deps;
  const { trans } = ctx;
  areas.register({ area: 'batch-inferences', create: () => createBatchPanel(ctx) });
  registerFormKind('batch-inference', {
    hints: BATCH_FORM,
    create: (c, body) => c.api.batchInferences.create(body),
    copy: (c, ref) => c.api.batchInferences.copy(ref),
    heading: (t, copy) => (copy ? t.__('Copy batch inference') : t.__('Create batch inference')),
    submitLabel: t => t.__('Create batch inference'),
    opened: (c, created) => void c.app.commands.execute(CommandIDs.openBatchInference, { id: created.id })
  });

  registerResourceCommands(deps, {
    area: 'batch-inferences',
    list: [CommandIDs.openBatchInferences, trans.__('Open Batch Inference')],
    create: [
      CommandIDs.createBatchInference,
      trans.__('Create Batch Inference'),
      args => {
        const modelId = strArg(args, 'modelId');
        return { kind: 'batch-inference', copyFrom: strArg(args, 'copyFrom'), preset: modelId ? { model_id: modelId } : undefined };
      }
    ],
    detail: [CommandIDs.openBatchInference, trans.__('Open Batch Inference'), (id, tab) => new BatchDetailPanel(ctx, id, tab)]
  });
}
