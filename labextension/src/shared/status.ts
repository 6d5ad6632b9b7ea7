/**
 * Status words of every kind and their badge colours, from one source: the
 * kinds' state machines on the server, written into
 * `generated/statusWords.ts` by
 * `python -m jupyter_easymaker.status_words --ts labextension/src/generated/statusWords.ts`
 * (`tests/test_status_words.py` fails when the committed file is stale).
 * The ipywidgets view of the magics reads the same colours, so both show
 * the same words in the same colours.
 */
import { DEFAULT_COLOR, IStatusKind, STATUS_COLORS, STATUS_KINDS } from '../generated/statusWords';

export { DEFAULT_COLOR, STATUS_COLORS };
export type { IStatusKind };

/** The kinds whose status words the server generates (a change event's `kind`). */
export type StatusKind =
  | 'experiment'
  | 'training'
  | 'training template'
  | 'hyperparameter tuning'
  | 'trial'
  | 'model'
  | 'endpoint'
  | 'endpoint stage'
  | 'stage resource'
  | 'batch inference'
  | 'model evaluation'
  | 'rag'
  | 'rag ingestion'
  | 'pipeline'
  | 'pipeline run'
  | 'pipeline task'
  | 'pipeline schedule'
  | 'registry account'
  | 'image'
  | 'llm model'
  | 'notebook';

export interface IBadgeColor {
  bg: string;
  fg: string;
}

/** The status words of a kind. */
export function statusWords(kind: StatusKind): IStatusKind {
  const words = STATUS_KINDS[kind];
  if (!words) {
    throw new Error(`no status words are generated for the kind "${kind}"`);
  }
  return words;
}

/** Every status of a kind, in the guide's order (the list filter). */
export function statusesOf(kind: StatusKind): readonly string[] {
  return statusWords(kind).statuses;
}

/** The statuses where a resource stays until someone acts: the UI's "final" (no more polling; delete allowed). */
export function settledOf(kind: StatusKind): readonly string[] {
  return statusWords(kind).settled;
}

export function isSettled(kind: StatusKind, status: string): boolean {
  return statusWords(kind).settled.includes(status);
}

/** "Stop" applies in this status. */
export function isStoppable(kind: StatusKind, status: string): boolean {
  return statusWords(kind).stoppable.includes(status);
}

/**
 * The job has not started yet: requested or being created (the stoppable
 * statuses other than RUNNING).
 */
export function isStarting(kind: StatusKind, status: string): boolean {
  return isStoppable(kind, status) && status !== 'RUNNING';
}

/** The job's clock runs: it has started and not settled. */
export function clockRuns(kind: StatusKind, status: string): boolean {
  return !isSettled(kind, status) && !isStarting(kind, status);
}

/** The badge colours of a status word. */
export function statusColor(status: string): IBadgeColor {
  return STATUS_COLORS[status] ?? DEFAULT_COLOR;
}
