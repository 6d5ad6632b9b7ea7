import { describe, expect, it } from 'vitest';

import type { ITrial } from '../src/areas/tuning/api';
import { MONITORED_TRIALS, monitoredTrials } from '../src/areas/tuning/monitoring';

function trial(number: number, status: string): ITrial {
  return {
    id: `t${number}`, tuning_id: 'x', number, name: `trial-${number}`, status, status_reason: '', parameters: {}, metrics: {},
    is_best: false, created_at: '', updated_at: ''
  };
}

describe('tuning monitoring', () => {
  it('charts the running trials first, then the newest, at most MONITORED_TRIALS', () => {
    const trials = [trial(0, 'SUCCEEDED'), trial(1, 'RUNNING'), trial(2, 'FAILED'), trial(3, 'RUNNING')];
    expect(monitoredTrials(trials).map(t => t.number)).toEqual([3, 1, 2, 0]);
    const many = Array.from({ length: 20 }, (_, i) => trial(i, 'SUCCEEDED'));
    const shown = monitoredTrials(many);
    expect(shown).toHaveLength(MONITORED_TRIALS);
    expect(shown[0].number).toBe(19);
  });
});
