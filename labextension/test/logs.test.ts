/**
 * The logs panel's pure parts: the query the box and the quick filters ask
 * for together, and the time pickers' local times sent as UTC.
 */
import { describe, expect, it } from 'vitest';

import { composeQuery, localToIso } from '../src/areas/logs/query';

describe('composeQuery', () => {
  it('joins the box and the quick filters with AND, keeping the box a group of its own', () => {
    expect(composeQuery('', '', '')).toBe('');
    expect(composeQuery('  loss*  ', '', '')).toBe('loss*');
    expect(composeQuery('', 'ERROR', '')).toBe('logLevel:ERROR');
    expect(composeQuery('', '', 'easymaker.training')).toBe('category:"easymaker.training"');
    expect(composeQuery('a OR b', 'WARNING', 'easymaker.inference')).toBe(
      '(a OR b) AND logLevel:WARNING AND category:"easymaker.inference"'
    );
  });
});

describe('localToIso', () => {
  it('sends a picked local time as UTC and nothing for an empty picker', () => {
    expect(localToIso('')).toBeUndefined();
    expect(localToIso('not a time')).toBeUndefined();
    const picked = '2026-01-02T03:04:05';
    expect(localToIso(picked)).toBe(new Date(picked).toISOString());
  });
});
