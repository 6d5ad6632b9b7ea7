/** The Model evaluation area: panel, commands, create form and the compare view. */
import { CommandIDs } from '../../commands';
import { EvaluationComparePanel } from '../../panels/evaluations/compare';
import { EvaluationDetailPanel } from '../../panels/evaluations/detail';
import { EVALUATION_FORM } from '../../panels/evaluations/form';
import { createEvaluationsPanel } from '../../panels/evaluations/list';
import { registerFormKind } from '../../panels/formKinds';
import { IAreaDeps, registerResourceCommands, strArg } from '../areaModule';

export function registerEvaluationsArea(deps: IAreaDeps): void {
  const { app, ctx, areas, openers } = deps;
  const { trans } = ctx;
  areas.register({ area: 'model-evaluations', create: () => createEvaluationsPanel(ctx) });
  registerFormKind('model-evaluation', {
    hints: EVALUATION_FORM,
    create: (c, body) => c.api.evaluations.create(body),
    copy: (c, ref) => c.api.evaluations.copy(ref),
    heading: (t, copy) => (copy ? t.__('Copy model evaluation') : t.__('Create model evaluation')),
    submitLabel: t => t.__('Create model evaluation'),
    opened: (c, created) => void c.app.commands.execute(CommandIDs.openEvaluation, { id: created.id })
  });

  registerResourceCommands(deps, {
    area: 'model-evaluations',
    list: [CommandIDs.openEvaluations, trans.__('Open Model Evaluation')],
    create: [
      CommandIDs.createEvaluation,
      trans.__('Create Model Evaluation'),
      args => {
        const modelId = strArg(args, 'modelId');
        return { kind: 'model-evaluation', copyFrom: strArg(args, 'copyFrom'), preset: modelId ? { model_id: modelId } : undefined };
      }
    ],
    detail: [CommandIDs.openEvaluation, trans.__('Open Model Evaluation'), (id, tab) => new EvaluationDetailPanel(ctx, id, tab)]
  });
  app.commands.addCommand(CommandIDs.compareEvaluations, {
    label: trans.__('Compare Model Evaluations'),
    execute: args => {
      const ids = Array.isArray(args.ids) ? (args.ids as string[]).map(String) : [];
      openers.reuse(`compare:${ids.join(',')}`, () => new EvaluationComparePanel(ctx, ids));
    }
  });
}
