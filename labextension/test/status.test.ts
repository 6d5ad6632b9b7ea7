/**
 * Status words come from the generated module (the server's state
 * machines); tests/test_status_words.py checks that the committed module is
 * the one the server code generates.
 */
import { describe, expect, it } from 'vitest';

import { STATUS_KINDS } from '../src/generated/statusWords';
import {
  DEFAULT_COLOR,
  StatusKind,
  clockRuns,
  isSettled,
  isStarting,
  isStoppable,
  settledOf,
  statusColor,
  statusesOf,
  statusWords
} from '../src/shared/status';

const KINDS: StatusKind[] = [
  'experiment',
  'training',
  'training template',
  'hyperparameter tuning',
  'trial',
  'model',
  'endpoint',
  'endpoint stage',
  'stage resource',
  'batch inference',
  'model evaluation',
  'rag',
  'rag ingestion',
  'pipeline',
  'pipeline run',
  'pipeline task',
  'pipeline schedule',
  'registry account',
  'image',
  'llm model',
  'notebook'
];

describe('status words', () => {
  it('has the words of every kind the panels use', () => {
    for (const kind of KINDS) {
      const words = statusWords(kind);
      expect(words.statuses.length, kind).toBeGreaterThan(0);
      expect(words.statuses, kind).toContain(words.initial);
      for (const s of [...words.settled, ...words.stoppable]) {
        expect(words.statuses, `${kind}: ${s}`).toContain(s);
      }
    }
    expect(Object.keys(STATUS_KINDS).sort()).toEqual([...KINDS].sort());
    expect(() => statusWords('nothing' as StatusKind)).toThrow(/no status words/);
  });

  it('colours every status word', () => {
    for (const kind of KINDS) {
      for (const s of statusesOf(kind)) {
        expect(statusColor(s), `${kind}: ${s}`).not.toBe(DEFAULT_COLOR);
      }
    }
    expect(statusColor('SOMETHING ELSE')).toEqual(DEFAULT_COLOR);
  });

  it('knows settled and stoppable training statuses', () => {
    expect([...settledOf('training')].sort()).toEqual(['COMPLETE', 'CREATE FAILED', 'FAIL TRAIN', 'STOPPED']);
    expect(isSettled('training', 'RUNNING')).toBe(false);
    expect(isStoppable('training', 'RUNNING')).toBe(true);
    expect(isStoppable('training', 'COMPLETE')).toBe(false);
    expect(isStoppable('model', 'ACTIVE')).toBe(false);
  });

  it('runs the clock between start and settle', () => {
    const ticking = statusesOf('training').filter(s => clockRuns('training', s));
    expect(ticking.sort()).toEqual(['COMPLETE IN PROGRESS', 'FAIL TRAIN IN PROGRESS', 'RUNNING', 'STOP IN PROGRESS']);
    expect(statusesOf('trial').filter(s => clockRuns('trial', s))).toEqual(['CREATED', 'RUNNING']);
    expect(statusesOf('training').filter(s => isStarting('training', s))).toEqual(['CREATE REQUESTED', 'CREATE IN PROGRESS']);
  });
});
