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

import { DEFAULT_COLOR, FINAL_TRAINING_STATUSES, STATUS_COLORS } from './statusColors';

export { DEFAULT_COLOR, FINAL_TRAINING_STATUSES, STATUS_COLORS };

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
