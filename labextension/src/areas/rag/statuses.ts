/**
 * The status words of a RAG and of its ingestions, from the generated
 * module (`generated/statusWords.ts`, written from the kinds' state
 * machines on the server) under the kinds `rag` and `rag ingestion`.
 */
import { IStatusKind, STATUS_KINDS } from '../../generated/statusWords';

/** The kind of a RAG's change events and status words. */
export const RAG_KIND = 'rag';
/** The kind of an ingestion's change events and status words. */
export const INGESTION_KIND = 'rag ingestion';

/** The status words of `rag` or `rag ingestion`. */
export function wordsOf(kind: typeof RAG_KIND | typeof INGESTION_KIND): IStatusKind {
  const words = STATUS_KINDS[kind];
  if (!words) {
    throw new Error(`no status words are generated for the kind "${kind}"`);
  }
  return words;
}

/** Every status of a RAG, in the guide's order (the list filter). */
export function ragStatuses(): readonly string[] {
  return wordsOf(RAG_KIND).statuses;
}

/** Statuses where a RAG stays until someone acts (no more polling). */
export function ragSettledStatuses(): readonly string[] {
  return wordsOf(RAG_KIND).settled;
}

export function isRagSettled(status: string): boolean {
  return wordsOf(RAG_KIND).settled.includes(status);
}

/** DELETE is allowed in this status (not while it is being created or deleted). */
export function isRagDeletable(status: string): boolean {
  return wordsOf(RAG_KIND).deletable.includes(status);
}

export function isIngestionSettled(status: string): boolean {
  return wordsOf(INGESTION_KIND).settled.includes(status);
}

export function isIngestionStoppable(status: string): boolean {
  return wordsOf(INGESTION_KIND).stoppable.includes(status);
}

/** A sync may be asked for: the RAG is ACTIVE (or its last update failed) and no ingestion runs. */
export function canSync(rag: { status: string; last_ingestion?: { status: string } | null }): boolean {
  return ['ACTIVE', 'UPDATE FAILED'].includes(rag.status) && !(rag.last_ingestion && !isIngestionSettled(rag.last_ingestion.status));
}
