/**
 * TensorBoard tabs: "Open TensorBoard" on a training, an experiment or a
 * hyperparameter tuning (every trial a run). No sidebar entry of its own.
 */
import { CommandIDs } from '../../commands';
import { notifyError } from '../../shared/panels/base';
import { IArea, strArg } from '../../shared/plugin/areaModule';
import { experimentsApi } from '../experiments/api';
import { trainingsApi } from '../trainings/api';
import { tuningsApi } from '../tuning/api';
import type { TensorBoardTarget } from './api';
import { KO } from './catalog.ko';
import { TensorBoardWidget } from './widget';

export const tensorboardArea: IArea = {
  id: 'tensorboard',
  catalogs: { ko: KO },
  register({ app, ctx, openers }) {
    const { trans } = ctx;
    const open = (target: TensorBoardTarget, label: string) => {
      const key = `tb:${Object.entries(target).map(([k, v]) => `${k}=${v}`).join(',')}`;
      return openers.reuse(key, () => new TensorBoardWidget(ctx, target, label));
    };
    app.commands.addCommand(CommandIDs.openTensorBoard, {
      label: trans.__('Open TensorBoard'),
      execute: async args => {
        const trainingId = strArg(args, 'trainingId');
        const experimentId = strArg(args, 'experimentId');
        const tuningId = strArg(args, 'tuningId');
        try {
          if (trainingId) {
            const t = await trainingsApi(ctx).get(trainingId);
            open({ training_id: t.id }, t.name);
          } else if (experimentId) {
            const e = await experimentsApi(ctx).get(experimentId);
            open({ experiment_id: e.id }, e.name);
          } else if (tuningId) {
            const h = await tuningsApi(ctx).get(tuningId);
            open({ hyperparameter_tuning_id: h.id }, h.name);
          }
        } catch (error) {
          notifyError(trans, trans.__('TensorBoard could not be opened'), error);
        }
      }
    });
  }
};
