/**
 * Whether a change event is about the resource a detail tab shows. A tab may
 * be opened by name or by id (the commands accept either), while events always
 * carry the id: once the first read has told the tab its id, events are
 * matched on that too.
 */
import type { IChangeEvent } from '../api/types';

export function isOwnEvent(event: IChangeEvent, kind: string, openedAs: string, knownId: string | undefined): boolean {
  return event.kind === kind && (event.id === openedAs || (!!knownId && event.id === knownId));
}
