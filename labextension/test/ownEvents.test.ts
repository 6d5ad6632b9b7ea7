import { describe, expect, it } from 'vitest';

import type { IChangeEvent } from '../src/shared/api/types';
import { isOwnEvent } from '../src/shared/panels/ownEvents';

const event = (kind: string, id: string): IChangeEvent => ({ seq: 1, kind, id, change: 'status', status: 'ACTIVE' });

describe('isOwnEvent: which change events a detail tab re-reads on', () => {
  it('matches the id the tab was opened with', () => {
    expect(isOwnEvent(event('pipeline', 'p-1'), 'pipeline', 'p-1', undefined)).toBe(true);
  });

  it('a tab opened by name matches nothing before its first read, then its id', () => {
    const byId = event('pipeline', 'p-1');
    expect(isOwnEvent(byId, 'pipeline', 'iris-pipeline', undefined)).toBe(false);
    expect(isOwnEvent(byId, 'pipeline', 'iris-pipeline', 'p-1')).toBe(true);
  });

  it('never matches another kind or another resource', () => {
    expect(isOwnEvent(event('pipeline run', 'p-1'), 'pipeline', 'p-1', 'p-1')).toBe(false);
    expect(isOwnEvent(event('pipeline', 'p-2'), 'pipeline', 'iris-pipeline', 'p-1')).toBe(false);
  });
});
