/**
 * Status words of the console guide and their badge colours.
 *
 * The colours are `jupyter_easymaker/status_colors.py` (what the ipywidgets
 * view of the magics reads), copied into `statusColors.ts` by
 * `scripts/sync-status-colors.js` at every build, so the panel and the
 * widgets show the same words in the same colours.
 * `labextension/test/status.test.ts` parses the Python file and fails when
 * the two differ.
 */

import {
  DEFAULT_COLOR,
  FINAL_BATCH_STATUSES,
  FINAL_EVALUATION_STATUSES,
  FINAL_TRAINING_STATUSES,
  FINAL_TUNING_STATUSES,
  STATUS_COLORS
} from './statusColors';

export { DEFAULT_COLOR, FINAL_BATCH_STATUSES, FINAL_EVALUATION_STATUSES, FINAL_TRAINING_STATUSES, FINAL_TUNING_STATUSES, STATUS_COLORS };

export interface IBadgeColor {
  bg: string;
  fg: string;
}

/** Every status of a training, in the guide's order. */
export const TRAINING_STATUSES: readonly string[] = [
  'CREATE REQUESTED',
  'CREATE IN PROGRESS',
  'RUNNING',
  'STOPPED',
  'COMPLETE',
  'STOP IN PROGRESS',
  'FAIL TRAIN',
  'CREATE FAILED',
  'FAIL TRAIN IN PROGRESS',
  'COMPLETE IN PROGRESS'
];

export const EXPERIMENT_STATUSES: readonly string[] = [
  'CREATE REQUESTED',
  'CREATE IN PROGRESS',
  'CREATE FAILED',
  'ACTIVE'
];

export const TEMPLATE_STATUSES: readonly string[] = ['ACTIVE'];

/** Every status of a hyperparameter tuning (Katib's words, as the guide). */
export const TUNING_STATUSES: readonly string[] = [
  'CREATE REQUESTED',
  'CREATE IN PROGRESS',
  'RUNNING',
  'STOPPED',
  'COMPLETE',
  'STOP IN PROGRESS',
  'FAIL HYPERPARAMETER TUNING',
  'CREATE FAILED',
  'FAIL HYPERPARAMETER TUNING IN PROGRESS',
  'COMPLETE IN PROGRESS'
];

export const TRIAL_STATUSES: readonly string[] = [
  'CREATED',
  'RUNNING',
  'SUCCEEDED',
  'KILLED',
  'FAILED',
  'METRICS_UNAVAILABLE',
  'EARLY_STOPPED'
];

export const MODEL_STATUSES: readonly string[] = [
  'CREATE REQUESTED',
  'CREATE IN PROGRESS',
  'DELETE IN PROGRESS',
  'ACTIVE',
  'CREATE FAILED',
  'DELETE FAILED'
];

/** A model, endpoint or stage in one of these stays there until someone acts. */
export const FINAL_MODEL_STATUSES: readonly string[] = ['ACTIVE', 'CREATE FAILED', 'DELETE FAILED'];
export const SETTLED_ENDPOINT_STATUSES: readonly string[] = ['ACTIVE', 'CREATE FAILED', 'UPDATE FAILED', 'DEPLOY FAILED'];

export const ENDPOINT_STATUSES: readonly string[] = [
  'CREATE REQUESTED',
  'CREATE IN PROGRESS',
  'UPDATE IN PROGRESS',
  'DELETE IN PROGRESS',
  'ACTIVE',
  'CREATE FAILED',
  'UPDATE FAILED'
];

export const STAGE_STATUSES: readonly string[] = [
  'CREATE REQUESTED',
  'CREATE IN PROGRESS',
  'DEPLOY IN PROGRESS',
  'DELETE IN PROGRESS',
  'ACTIVE',
  'CREATE FAILED',
  'DEPLOY FAILED'
];

export const STAGE_RESOURCE_STATUSES: readonly string[] = [
  'CREATE REQUESTED',
  'CREATE IN PROGRESS',
  'DELETE IN PROGRESS',
  'ACTIVE',
  'CREATE FAILED'
];

export const BATCH_STATUSES: readonly string[] = [
  'CREATE REQUESTED',
  'CREATE IN PROGRESS',
  'RUNNING',
  'STOPPED',
  'COMPLETE',
  'STOP IN PROGRESS',
  'FAIL BATCH INFERENCE',
  'CREATE FAILED',
  'FAIL BATCH INFERENCE IN PROGRESS',
  'COMPLETE IN PROGRESS'
];

export const EVALUATION_STATUSES: readonly string[] = [
  'CREATE REQUESTED',
  'CREATE IN PROGRESS',
  'CREATE FAILED',
  'RUNNING',
  'COMPLETE IN PROGRESS',
  'FAIL MODEL EVALUATION IN PROGRESS',
  'COMPLETE',
  'STOP IN PROGRESS',
  'STOPPED',
  'FAIL MODEL EVALUATION',
  'DELETE IN PROGRESS'
];

/** Statuses in which "Stop" applies to a job-like resource (tuning, batch, evaluation). */
export const STOPPABLE_JOB_STATUSES: readonly string[] = ['CREATE REQUESTED', 'CREATE IN PROGRESS', 'RUNNING'];

/** Statuses of a training that "Stop" applies to (it has not ended yet). */
export const STOPPABLE_TRAINING_STATUSES: readonly string[] = [
  'CREATE REQUESTED',
  'CREATE IN PROGRESS',
  'RUNNING'
];

/** The badge colours of a status word. */
export function statusColor(status: string): IBadgeColor {
  return STATUS_COLORS[status] ?? DEFAULT_COLOR;
}

export function isFinalTraining(status: string): boolean {
  return FINAL_TRAINING_STATUSES.includes(status);
}

/** A training whose clock runs (the elapsed time ticks). */
export function isTrainingActive(status: string): boolean {
  return (
    status === 'RUNNING' ||
    status === 'STOP IN PROGRESS' ||
    status === 'COMPLETE IN PROGRESS' ||
    status === 'FAIL TRAIN IN PROGRESS'
  );
}
