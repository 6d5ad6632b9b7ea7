import { describe, expect, it } from 'vitest';

import type { IChangeEvent } from '../src/shared/api/types';
import { isOwnEvent } from '../src/shared/panels/ownEvents';

const event = (kind: string, id: string, name?: string): IChangeEvent => ({ seq: 1, kind, id, name, change: 'status', status: 'ACTIVE' });

describe('isOwnEvent: which change events a detail tab re-reads on', () => {
  it('matches the id the tab was opened with', () => {
    expect(isOwnEvent(event('pipeline', 'p-1'), 'pipeline', 'p-1', undefined)).toBe(true);
  });

  it('a tab opened by name matches its name before its first read, then its id', () => {
    const named = event('pipeline', 'p-1', 'iris-pipeline');
    // the first read is in flight: the event may be newer than its answer
    expect(isOwnEvent(named, 'pipeline', 'iris-pipeline', undefined)).toBe(true);
    expect(isOwnEvent(event('pipeline', 'p-1'), 'pipeline', 'iris-pipeline', undefined)).toBe(false);
    expect(isOwnEvent(event('pipeline', 'p-1'), 'pipeline', 'iris-pipeline', 'p-1')).toBe(true);
    // once the id is known, a resource since renamed to the name the tab was opened as is another one
    expect(isOwnEvent(event('pipeline', 'p-2', 'iris-pipeline'), 'pipeline', 'iris-pipeline', 'p-1')).toBe(false);
  });

  it('never matches another kind or another resource', () => {
    expect(isOwnEvent(event('pipeline run', 'p-1'), 'pipeline', 'p-1', 'p-1')).toBe(false);
    expect(isOwnEvent(event('pipeline', 'p-2'), 'pipeline', 'iris-pipeline', 'p-1')).toBe(false);
  });
});
