/** The Batch inference area: panel, commands and create form. */
import { CommandIDs } from '../../commands';
import { BatchDetailPanel } from '../../panels/batch/detail';
import { BATCH_FORM } from '../../panels/batch/form';
import { createBatchPanel } from '../../panels/batch/list';
import { registerFormKind } from '../../panels/formKinds';
import { easymakerIcon } from '../icon';
import { IAreaDeps, strArg } from '../areaModule';

export function registerBatchArea(deps: IAreaDeps): void {
  const { app, ctx, areas, openers, palette } = deps;
  const { trans } = ctx;
  const { commands } = app;
  areas.register({ area: 'batch-inferences', create: () => createBatchPanel(ctx) });
  registerFormKind('batch-inference', {
    hints: BATCH_FORM,
    create: (c, body) => c.api.batchInferences.create(body),
    copy: (c, ref) => c.api.batchInferences.copy(ref),
    heading: (t, copy) => (copy ? t.__('Copy batch inference') : t.__('Create batch inference')),
    submitLabel: t => t.__('Create batch inference'),
    opened: (c, created) => void c.app.commands.execute(CommandIDs.openBatchInference, { id: created.id })
  });

  commands.addCommand(CommandIDs.openBatchInferences, {
    label: trans.__('Open Batch Inference'),
    icon: easymakerIcon,
    isEnabled: () => ctx.handshake.kind === 'pending' || areas.has('batch-inferences'),
    execute: () => areas.open('batch-inferences')
  });
  commands.addCommand(CommandIDs.createBatchInference, {
    label: trans.__('Create Batch Inference'),
    icon: easymakerIcon,
    execute: args => {
      const modelId = strArg(args, 'modelId');
      void openers.createForm({ kind: 'batch-inference', copyFrom: strArg(args, 'copyFrom'), preset: modelId ? { model_id: modelId } : undefined });
    }
  });
  commands.addCommand(CommandIDs.openBatchInference, {
    label: trans.__('Open Batch Inference'),
    execute: args => {
      const id = String(args.id);
      const tab = strArg(args, 'tab');
      const panel = openers.reuse(`batch:${id}`, () => new BatchDetailPanel(ctx, id, tab));
      if (tab && panel.tab !== tab) {
        panel.setTab(tab);
      }
    }
  });
  for (const command of [CommandIDs.openBatchInferences, CommandIDs.createBatchInference]) {
    palette?.addItem({ command, category: trans.__('EasyMaker') });
  }
}
