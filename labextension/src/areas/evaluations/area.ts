/** The Model evaluation area: panel, commands, create form and the compare view. */
import { CommandIDs } from '../../commands';
import { registerFormKind } from '../../shared/forms/formKinds';
import { N_ } from '../../shared/i18n';
import { IArea, registerResourceCommands, strArg } from '../../shared/plugin/areaModule';
import { activeModelChoices } from '../models/pickers';
import { evaluationsApi } from './api';
import { KO } from './catalog.ko';
import { EvaluationComparePanel } from './compare';
import { EvaluationDetailPanel } from './detail';
import { EVALUATION_FORM } from './form';
import { createEvaluationsPanel } from './list';

export const evaluationsArea: IArea = {
  id: 'model-evaluations',
  label: N_('Model evaluation'),
  aliases: ['model-evaluation'],
  catalogs: { ko: KO },
  register(deps) {
    const { app, ctx, areas, openers } = deps;
    const { trans } = ctx;
    areas.register({ area: 'model-evaluations', create: () => createEvaluationsPanel(ctx) });
    registerFormKind('model-evaluation', {
      hints: EVALUATION_FORM,
      create: (c, body) => evaluationsApi(c).create(body),
      copy: (c, ref) => evaluationsApi(c).copy(ref),
      heading: (t, copy) => (copy ? t.__('Copy model evaluation') : t.__('Create model evaluation')),
      submitLabel: t => t.__('Create model evaluation'),
      choices: { model_id: activeModelChoices },
      opened: (c, created) => void c.app.commands.execute(CommandIDs.openEvaluation, { id: created.id })
    });
    registerResourceCommands(deps, {
      area: 'model-evaluations',
      list: { id: CommandIDs.openEvaluations, label: trans.__('Open Model Evaluation') },
      create: {
        id: CommandIDs.createEvaluation,
        label: trans.__('Create Model Evaluation'),
        form: args => {
          const modelId = strArg(args, 'modelId');
          return { kind: 'model-evaluation', copyFrom: strArg(args, 'copyFrom'), preset: modelId ? { model_id: modelId } : undefined };
        }
      },
      detail: { id: CommandIDs.openEvaluation, label: trans.__('Open Model Evaluation'), panel: (id, tab) => new EvaluationDetailPanel(ctx, id, tab) }
    });
    app.commands.addCommand(CommandIDs.compareEvaluations, {
      label: trans.__('Compare Model Evaluations'),
      execute: args => {
        const ids = Array.isArray(args.ids) ? (args.ids as string[]).map(String) : [];
        openers.reuse(`compare:${ids.join(',')}`, () => new EvaluationComparePanel(ctx, ids));
      }
    });
  }
};
