/** The Model evaluation area: panel, commands, create form and the compare view. */
import { CommandIDs } from '../../commands';
import { EvaluationComparePanel } from '../../panels/evaluations/compare';
import { EvaluationDetailPanel } from '../../panels/evaluations/detail';
import { EVALUATION_FORM } from '../../panels/evaluations/form';
import { createEvaluationsPanel } from '../../panels/evaluations/list';
import { registerFormKind } from '../../panels/formKinds';
import { easymakerIcon } from '../icon';
import { IAreaDeps, strArg } from '../areaModule';

export function registerEvaluationsArea(deps: IAreaDeps): void {
  const { app, ctx, areas, openers, palette } = deps;
  const { trans } = ctx;
  const { commands } = app;
  areas.register({ area: 'model-evaluations', create: () => createEvaluationsPanel(ctx) });
  registerFormKind('model-evaluation', {
    hints: EVALUATION_FORM,
    create: (c, body) => c.api.evaluations.create(body),
    copy: (c, ref) => c.api.evaluations.copy(ref),
    heading: (t, copy) => (copy ? t.__('Copy model evaluation') : t.__('Create model evaluation')),
    submitLabel: t => t.__('Create model evaluation'),
    opened: (c, created) => void c.app.commands.execute(CommandIDs.openEvaluation, { id: created.id })
  });

  commands.addCommand(CommandIDs.openEvaluations, {
    label: trans.__('Open Model Evaluation'),
    icon: easymakerIcon,
    isEnabled: () => ctx.handshake.kind === 'pending' || areas.has('model-evaluations'),
    execute: () => areas.open('model-evaluations')
  });
  commands.addCommand(CommandIDs.createEvaluation, {
    label: trans.__('Create Model Evaluation'),
    icon: easymakerIcon,
    execute: args => {
      const modelId = strArg(args, 'modelId');
      void openers.createForm({ kind: 'model-evaluation', copyFrom: strArg(args, 'copyFrom'), preset: modelId ? { model_id: modelId } : undefined });
    }
  });
  commands.addCommand(CommandIDs.openEvaluation, {
    label: trans.__('Open Model Evaluation'),
    execute: args => {
      const id = String(args.id);
      const tab = strArg(args, 'tab');
      const panel = openers.reuse(`evaluation:${id}`, () => new EvaluationDetailPanel(ctx, id, tab));
      if (tab && panel.tab !== tab) {
        panel.setTab(tab);
      }
    }
  });
  commands.addCommand(CommandIDs.compareEvaluations, {
    label: trans.__('Compare Model Evaluations'),
    execute: args => {
      const ids = Array.isArray(args.ids) ? (args.ids as string[]).map(String) : [];
      openers.reuse(`compare:${ids.join(',')}`, () => new EvaluationComparePanel(ctx, ids));
    }
  });
  for (const command of [CommandIDs.openEvaluations, CommandIDs.createEvaluation]) {
    palette?.addItem({ command, category: trans.__('EasyMaker') });
  }
}
