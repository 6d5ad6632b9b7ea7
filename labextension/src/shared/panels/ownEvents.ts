/**
 * Whether a change event is about the resource a detail tab shows. A tab may
 * be opened by name or by id (the commands accept either), while events carry
 * the id (and the name, where the resource has one). Before the first read has
 * told the tab its id, an event naming the resource it was opened as is its
 * own: one that lands while that read is in flight must not be lost (the read
 * may answer the state from before it). After, the id decides: names change.
 */
import type { IChangeEvent } from '../api/types';

export function isOwnEvent(event: IChangeEvent, kind: string, openedAs: string, knownId: string | undefined): boolean {
  return event.kind === kind && (event.id === openedAs || (knownId ? event.id === knownId : event.name === openedAs));
}
