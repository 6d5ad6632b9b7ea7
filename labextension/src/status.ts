/**
 * Status words of the console guide and their badge colours.
 *
 * Mirrors `jupyter_easymaker/status_colors.py` exactly (the ipywidgets view
 * of the magics reads that file), so the panel and the widgets show the same
 * words in the same colours. `labextension/test/status.test.ts` parses the
 * Python file and fails when the two differ.
 */

export interface IBadgeColor {
  bg: string;
  fg: string;
}

export const STATUS_COLORS: { readonly [status: string]: IBadgeColor } = {
  // waiting for resources or the backend: grey-blue
  'CREATE REQUESTED': { bg: '#78909c', fg: '#ffffff' },
  'CREATE IN PROGRESS': { bg: '#607d8b', fg: '#ffffff' },
  RUNNING: { bg: '#1e88e5', fg: '#ffffff' },
  COMPLETE: { bg: '#43a047', fg: '#ffffff' },
  'FAIL TRAIN': { bg: '#e53935', fg: '#ffffff' },
  'CREATE FAILED': { bg: '#e53935', fg: '#ffffff' },
  STOPPED: { bg: '#fb8c00', fg: '#ffffff' },
  'STOP IN PROGRESS': { bg: '#ffb74d', fg: '#3e2723' },
  // cleanup after the job ended: light shades of the final colour
  'COMPLETE IN PROGRESS': { bg: '#c8e6c9', fg: '#1b5e20' },
  'FAIL TRAIN IN PROGRESS': { bg: '#ffcdd2', fg: '#b71c1c' },
  // experiments and templates
  ACTIVE: { bg: '#43a047', fg: '#ffffff' }
};

export const DEFAULT_COLOR: IBadgeColor = { bg: '#9e9e9e', fg: '#ffffff' };

/** A training in one of these will not change any more. */
export const FINAL_TRAINING_STATUSES: readonly string[] = [
  'COMPLETE',
  'FAIL TRAIN',
  'STOPPED',
  'CREATE FAILED'
];

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
