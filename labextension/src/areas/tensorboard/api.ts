/** TensorBoard processes the server starts (or reuses) for a log dir. */
import { URLExt } from '@jupyterlab/coreutils';

import type { ApiClient } from '../../shared/api/client';

/** `POST tensorboards`. */
export interface ITensorBoard {
  id: string;
  url: string;
  logdir: string;
  status: string;
}

/** A training, an experiment (all its trainings) or a tuning (every trial a run). */
export type TensorBoardTarget = { training_id: string } | { experiment_id: string } | { hyperparameter_tuning_id: string };

export function startTensorBoard(client: ApiClient, target: TensorBoardTarget): Promise<ITensorBoard> {
  return client.post<ITensorBoard>('tensorboards', target);
}

/**
 * The absolute URL the browser loads for a TensorBoard: the server answers
 * a path under `{base_url}easymaker/tensorboard/{id}/` (or a full URL).
 */
export function tensorBoardUrl(baseUrl: string, board: ITensorBoard): string {
  const url = board.url || `easymaker/tensorboard/${board.id}/`;
  if (/^https?:\/\//.test(url)) {
    return url;
  }
  if (url.startsWith('/')) {
    const origin = new URL(baseUrl).origin;
    return origin + url;
  }
  return URLExt.join(baseUrl, url);
}
